// Package browsertest drives the real server with Debian's Chromium through
// chromedp: the login flow as a person sees it, with and without
// JavaScript, the layout of the pages, the accessibility of every state in
// the component gallery, and the README's screenshots.
//
// The tests need Chromium; the accessibility tests also need axe-core (from
// `task deps:node`) and skip without it.
//
// One browser serves the whole package (starting one costs seconds); each
// test gets its own tab in its own browser context, so cookies never leak
// between tests.
package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/audits"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/sgidweb/sgidweb/internal/apptest"
	"github.com/sgidweb/sgidweb/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the README screenshots in testdata/")

// stepTimeout bounds one step of a test (a click and the page it leads to).
// Steps derive it from the tab's context; the browser's own context has none.
const stepTimeout = 10 * time.Second

// shared is the one browser of this package, started by the first test
// that needs it and stopped by TestMain.
var shared struct {
	once    sync.Once
	ctx     context.Context // a chromedp context holding the browser
	cancel  func()
	dataDir string
	err     error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.cancel != nil {
		shared.cancel()
	}
	if shared.dataDir != "" {
		_ = os.RemoveAll(shared.dataDir)
	}
	os.Exit(code)
}

// startBrowser starts Chromium headless, with nothing that talks to the
// network on its own and every host name but 127.0.0.1 unresolvable.
func startBrowser(execPath string) {
	shared.dataDir, shared.err = os.MkdirTemp("", "sgidweb-chromium-")
	if shared.err != nil {
		return
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.UserDataDir(shared.dataDir),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(allocCtx)
	shared.cancel = func() { cancelBrowser(); cancelAlloc() }
	// The first Do starts the browser and binds it to ctx, which has no
	// deadline: a timeout here would end the browser with it.
	shared.err = chromedp.Do(ctx)
	shared.ctx = ctx
}

// tab is one browser tab, in a fresh browser context, for one test.
type tab struct {
	t       *testing.T
	ctx     context.Context
	mu      sync.Mutex
	trouble []string // console errors, exceptions and CSP violations seen
	allowed []string // substrings of trouble the test expects (an error page's status)
}

// newTab opens a tab, watching its console and CSP reports from the start.
func newTab(t *testing.T) *tab {
	t.Helper()
	execPath := testenv.LookPath(t, "chromium", "install Debian's chromium with `task deps:system`")
	shared.once.Do(func() { startBrowser(execPath) })
	if shared.err != nil {
		t.Fatalf("start chromium: %v", shared.err)
	}
	tb := &tab{t: t}
	ctx, cancel := chromedp.NewContext(shared.ctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(tb.watch))
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // opens the tab; no deadline, see startBrowser
		t.Fatalf("open tab: %v", err)
	}
	tb.ctx = ctx
	// The Log domain carries network and security errors; the Audits domain
	// carries CSP violations as issues.
	tb.call("enable log", func(ctx context.Context) error { _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); return err })
	tb.call("enable audits", func(ctx context.Context) error { _, err := chromedp.Call(ctx, audits.Enable, cdp.Empty{}); return err })
	tb.do("viewport", chromedp.EmulateViewport(1280, 900))
	t.Cleanup(tb.checkTrouble)
	return tb
}

// watch runs on chromedp's reading goroutine: it only records.
func (tb *tab) watch(ev any) {
	var msg string
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range e.Args {
				if a.Value != nil {
					parts = append(parts, string(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			msg = "console." + string(e.Type) + ": " + strings.Join(parts, " ")
		}
	case *runtime.EventExceptionThrown:
		msg = "exception: " + e.ExceptionDetails.Text
		if e.ExceptionDetails.Exception != nil {
			msg += " " + e.ExceptionDetails.Exception.Description
		}
	case *cdplog.EventEntryAdded:
		if e.Entry.Level == cdplog.EntryLevelError {
			msg = fmt.Sprintf("log %s: %s (%s)", e.Entry.Source, e.Entry.Text, e.Entry.URL)
		}
	case *audits.EventIssueAdded:
		if d := e.Issue.Details; d != nil && d.ContentSecurityPolicyIssueDetails != nil {
			csp := d.ContentSecurityPolicyIssueDetails
			msg = fmt.Sprintf("CSP violation: %s blocked %q (%s)", csp.ViolatedDirective, csp.BlockedURL, csp.ContentSecurityPolicyViolationType)
		}
	}
	if msg != "" {
		tb.mu.Lock()
		tb.trouble = append(tb.trouble, msg)
		tb.mu.Unlock()
	}
}

// expectTrouble makes a console message containing s expected, such as the
// "status of 400" Chromium logs for an error page.
func (tb *tab) expectTrouble(s string) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.allowed = append(tb.allowed, s)
}

func (tb *tab) troubleSoFar() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	var out []string
outer:
	for _, m := range tb.trouble {
		for _, a := range tb.allowed {
			if strings.Contains(m, a) {
				continue outer
			}
		}
		out = append(out, m)
	}
	return out
}

func (tb *tab) checkTrouble() {
	for _, m := range tb.troubleSoFar() {
		tb.t.Errorf("browser reported: %s", m)
	}
}

// do runs steps under a per-step deadline derived from the tab's context.
func (tb *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.t.Fatalf("%s: %v (page %s)", what, err, tb.location())
	}
}

func (tb *tab) call(what string, f func(ctx context.Context) error) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if err := f(ctx); err != nil {
		tb.t.Fatalf("%s: %v", what, err)
	}
}

// run is do for one action with a value.
func run[T any](tb *tab, what string, a chromedp.Action[T]) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		tb.t.Fatalf("%s: %v (page %s)", what, err, tb.location())
	}
	return v
}

// location is the tab's URL, for failure messages; it never fails a test.
func (tb *tab) location() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Second)
	defer cancel()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "unknown"
	}
	return u
}

// eval evaluates JavaScript in the page through the DevTools protocol,
// which the page's CSP does not govern.
func eval[T any](tb *tab, what, js string) T {
	tb.t.Helper()
	return run(tb, what, chromedp.Evaluate[T](js))
}

func byTestID(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }

func (tb *tab) text(testID string) string {
	tb.t.Helper()
	return strings.Join(strings.Fields(run(tb, "read "+testID, chromedp.Text(byTestID(testID), chromedp.NodeVisible))), " ")
}

// screenshot saves the viewport into testdata/screenshots at the module
// root, a folder CI keeps; with -update, readmeName also rewrites the copy
// the README shows, recompressed to keep the repository small.
func (tb *tab) screenshot(name, readmeName string) {
	tb.t.Helper()
	// The harness's DOM queries can make Chromium style the page before its
	// stylesheet has arrived; the buttons then fade from the browser's grey
	// to their colour, and a picture taken at once catches them half way.
	run(tb, "let transitions finish", chromedp.Evaluate[bool](
		`Promise.all(document.getAnimations().map(a => a.finished)).then(() => true)`, chromedp.EvalAwaitPromise))
	shot := run(tb, "screenshot "+name, chromedp.CaptureScreenshot())
	dir := filepath.Join(testenv.ModuleRoot(), "testdata", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), shot, 0o644); err != nil {
		tb.t.Fatal(err)
	}
	if *update && readmeName != "" {
		if err := os.WriteFile(filepath.Join("testdata", readmeName), recompress(tb.t, shot), 0o644); err != nil {
			tb.t.Fatal(err)
		}
	}
}

// recompress re-encodes a PNG at the best compression Go offers.
func recompress(t *testing.T, shot []byte) []byte {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("decode screenshot: %v", err)
	}
	var out bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&out, img); err != nil {
		t.Fatalf("encode screenshot: %v", err)
	}
	return out.Bytes()
}

// viewport sets the tab's window to a phone's or a desktop's width.
func (tb *tab) viewport(width, height int64) {
	tb.t.Helper()
	tb.do("viewport", chromedp.EmulateViewport(width, height))
}

// colourScheme makes the tab's pages see the system's light or dark
// preference.
func (tb *tab) colourScheme(scheme string) {
	tb.t.Helper()
	tb.call("emulate "+scheme, func(ctx context.Context) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	})
}

// site is sgidweb in mock mode on a loopback port.
type site struct {
	url  string
	logs *apptest.LogBuffer
}

// startSite serves the real app with the embedded mock; env adds or
// overrides variables.
func startSite(t *testing.T, env map[string]string) *site {
	t.Helper()
	s := apptest.Start(t, apptest.Listen(t), env)
	return &site{url: s.URL, logs: s.Logs}
}

// statuses lists the status of every request the server logged for a
// method and route, in order. It is how a test sees what the browser sent:
// htmx's requests are answered 204 + HX-Redirect, plain forms 303.
func (s *site) statuses(method, route string) []int {
	var out []int
	for _, line := range strings.Split(s.logs.String(), "\n") {
		var e struct {
			Msg, Method, Route string
			Status             int
		}
		if json.Unmarshal([]byte(line), &e) == nil && e.Msg == "request" && e.Method == method && e.Route == route {
			out = append(out, e.Status)
		}
	}
	return out
}
