package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/sgidweb/sgidweb/internal/mocksgid"
	"github.com/sgidweb/sgidweb/internal/testenv"
	"github.com/sgidweb/sgidweb/internal/testkit"
)

// TestSeveralInstancesShareOneStore runs the real binary as separate
// processes: one `sgidweb mock-sgid` and two servers behind an imaginary
// load balancer (one PUBLIC_URL), sharing one session store.
func TestSeveralInstancesShareOneStore(t *testing.T) {
	stores := []struct {
		name  string
		start func(testing.TB) *testenv.Service
		// durable: sessions survive the store's restart.
		durable bool
	}{
		{"redis", testenv.StartRedis, false},
		{"postgres", testenv.StartPostgres, true},
	}
	binDir := t.TempDir() // outlives the subtests; built once, on first need
	var bin string
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			store := st.start(t)
			if bin == "" {
				bin = buildBinary(t, binDir)
			}
			c := startCluster(t, bin, store.URL)
			a, b := c.instances[0], c.instances[1]

			// A login started on A is finished on B.
			br := c.newBrowser()
			persona := br.loginAcross(a, b, "tan-heng-huat")
			for _, in := range c.instances {
				br.wantSignedInAs(in, persona)
			}

			// Both restart; the session lives in the store.
			for _, in := range c.instances {
				in.restart()
			}
			for _, in := range c.instances {
				br.wantSignedInAs(in, persona)
			}

			// Logout on B logs out A.
			br.logout(b)
			br.wantAnonymous(a)

			// An outage of the store: not ready and a clear 503, then
			// recovery without restarting anything.
			br.loginAcross(b, a, "tan-heng-huat")
			store.Stop()
			for _, in := range c.instances {
				if got := in.status(t, "/readyz"); got != http.StatusServiceUnavailable {
					t.Fatalf("%s /readyz while the store is down: want 503, got %d", in.name, got)
				}
				p := br.get(in, "/")
				if p.Status != http.StatusServiceUnavailable || !strings.Contains(p.Text("error-title"), "can't log anyone in") {
					t.Fatalf("%s GET / while the store is down: want the 503 page, got %d %q", in.name, p.Status, p.Text("error-title"))
				}
			}
			store.Start()
			for _, in := range c.instances {
				in.waitReady()
				p := br.get(in, "/")
				if p.Status != http.StatusOK {
					t.Fatalf("%s GET / after the store came back: want 200, got %d", in.name, p.Status)
				}
				// Redis runs without persistence here, so its sessions
				// are gone; PostgreSQL keeps them.
				if loggedIn := p.Text("logged-in-as") != ""; loggedIn != st.durable {
					t.Fatalf("%s after the store restarted: want logged in = %v, got %q", in.name, st.durable, p.Text("logged-in-as"))
				}
			}

			t.Run("sessions across instances", func(t *testing.T) {
				c.checkSessionsAcrossInstances(t, bin, store.URL)
			})

			// Forty people log in at once, across both instances, each as
			// a persona; each must see only their own person.
			ids := c.personaIDs(t)
			t.Run("parallel logins", func(t *testing.T) {
				for i := range 40 {
					t.Run(fmt.Sprint(i), func(t *testing.T) {
						t.Parallel()
						br := c.browserFor(t)
						start, finish := c.instances[i%2], c.instances[(i/2)%2]
						want := br.loginAcross(start, finish, ids[i%len(ids)])
						br.wantSignedInAs(c.instances[(i+1)%2], want)
					})
				}
			})
		})
	}
}

func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "sgidweb")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Join(testenv.ModuleRoot(), "cmd", "sgidweb")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type cluster struct {
	t         *testing.T
	publicURL string
	mockURL   string
	instances []*instance
}

// startCluster starts the mock and two servers. PUBLIC_URL is the load
// balancer's origin; the test plays the balancer by choosing the instance.
func startCluster(t *testing.T, bin, storeURL string) *cluster {
	t.Helper()
	dir := t.TempDir()
	publicURL := fmt.Sprintf("http://127.0.0.1:%d", testenv.FreePort(t))
	mockAddr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	mock := &instance{t: t, name: "mock-sgid", bin: bin, dir: dir, args: []string{"mock-sgid", "-dir", filepath.Join(dir, "mock")},
		env: []string{"MOCK_SGID_ADDR=" + mockAddr, "MOCK_SGID_REDIRECT_URIS=" + publicURL + "/auth/callback"}}
	stdout := mock.start()
	env := []string{"PUBLIC_URL=" + publicURL, "SESSION_STORE=" + storeURL, "LOG_FORMAT=json"}
	sc := bufio.NewScanner(stdout)
	for len(env) < 7 && sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "SGID_") {
			env = append(env, line)
		}
	}
	if len(env) != 7 {
		t.Fatalf("mock-sgid did not print the four SGID_ lines; got %v\n%s", env, mock.logs())
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	// No balancer waits for the drain here: stop at once. Forty people log
	// in at once from this one address, as from behind one office NAT, so
	// the per-address login limit is off.
	env = append(env, "SHUTDOWN_DELAY=0", "RATE_LIMIT_LOGIN=0")
	c := &cluster{t: t, publicURL: publicURL, mockURL: "http://" + mockAddr}
	for _, name := range []string{"A", "B"} {
		addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
		in := &instance{t: t, name: name, bin: bin, dir: dir, base: "http://" + addr, env: append([]string{"ADDR=" + addr}, env...)}
		in.start()
		c.instances = append(c.instances, in)
	}
	for _, in := range c.instances {
		in.waitReady()
	}
	return c
}

// instance is one process of the binary, stopped by its PID with SIGTERM.
type instance struct {
	t    *testing.T
	name string
	bin  string
	dir  string
	base string
	args []string
	env  []string
	cmd  *exec.Cmd
	log  *bytes.Buffer
	mu   sync.Mutex
}

func (in *instance) start() io.ReadCloser {
	in.t.Helper()
	cmd := exec.Command(in.bin, in.args...)
	cmd.Dir = in.dir // no .env from the developer's checkout
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, in.env...)
	in.log = &bytes.Buffer{}
	cmd.Stderr = &lockedWriter{mu: &in.mu, w: in.log}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		in.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		in.t.Fatalf("start %s: %v", in.name, err)
	}
	in.cmd = cmd
	in.t.Cleanup(func() { in.stop() })
	return stdout
}

func (in *instance) stop() {
	if in.cmd == nil {
		return
	}
	_ = in.cmd.Process.Signal(syscall.SIGTERM)
	if err := in.cmd.Wait(); err != nil {
		in.t.Errorf("%s did not exit cleanly on SIGTERM: %v\n%s", in.name, err, in.logs())
	}
	in.cmd = nil
}

func (in *instance) restart() {
	in.t.Helper()
	in.stop()
	in.start()
	in.waitReady()
}

func (in *instance) logs() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.log.String()
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// waitReady polls /readyz for up to 15 seconds.
func (in *instance) waitReady() {
	in.t.Helper()
	for range 150 {
		if in.status(in.t, "/readyz") == http.StatusOK {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	in.t.Fatalf("%s never became ready\n%s", in.name, in.logs())
}

func (in *instance) status(t *testing.T, path string) int {
	res, err := http.Get(in.base + path)
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

// browser is the shared test browser; its cookies are kept for the load
// balancer's host (cookies ignore the port, so both instances see them).
type browser struct {
	*testkit.Browser
	t *testing.T
	c *cluster
}

// page is what the browser read.
type page = testkit.Page

func (c *cluster) newBrowser() *browser { return c.browserFor(c.t) }

func (c *cluster) browserFor(t *testing.T) *browser {
	return &browser{Browser: testkit.NewBrowser(t), t: t, c: c}
}

func (b *browser) get(in *instance, path string) page { return b.Get(in.base + path) }

func (b *browser) post(target string, form url.Values) page { return b.PostForm(target, form, nil) }

// submit posts a form found on a page of the mock, with one button's value.
func (b *browser) submitMock(p page, formTestID, button string, extra url.Values) page {
	b.t.Helper()
	form := p.Doc.Find(`form[data-testid="` + formTestID + `"]`)
	action, ok := form.Attr("action")
	if !ok {
		b.t.Fatalf("mock page has no %s form (status %d)", formTestID, p.Status)
	}
	values := url.Values{}
	form.Find(`input[type="hidden"]`).Each(func(_ int, s *goquery.Selection) {
		values.Set(s.AttrOr("name", ""), s.AttrOr("value", ""))
	})
	btn := form.Find(`button[data-testid="` + button + `"]`)
	if btn.Length() != 1 {
		b.t.Fatalf("%s form has no button %s", formTestID, button)
	}
	values.Set(btn.AttrOr("name", ""), btn.AttrOr("value", ""))
	for k, v := range extra {
		values[k] = v
	}
	return b.post(b.c.mockURL+action, values)
}

// loginAcross presses Login on start, picks the persona and allows on the
// mock's pages, and delivers the callback to finish: two instances, one flow.
// The home page with the button comes from finish: the instances share no
// CSRF_KEY, and a form one served must still be accepted by the other.
func (b *browser) loginAcross(start, finish *instance, personaID string) mocksgid.Persona {
	b.t.Helper()
	home := b.get(finish, "/")
	token := home.Doc.Find(`form[action="/auth/login"] input[name="csrf_token"]`).AttrOr("value", "")
	login := b.post(start.base+"/auth/login", url.Values{"csrf_token": {token}})
	if login.Status != http.StatusSeeOther {
		b.t.Fatalf("%s POST /auth/login: want 303, got %d", start.name, login.Status)
	}
	authorize := b.Get(login.Header.Get("Location"))
	picked := b.submitMock(authorize, "persona-form", "persona-"+personaID, nil)
	if picked.Status != http.StatusSeeOther {
		b.t.Fatalf("mock persona: want 303 to the consent screen, got %d", picked.Status)
	}
	consent := b.Get(b.c.mockURL + picked.Header.Get("Location"))
	back := b.submitMock(consent, "consent-form", "consent-allow", nil)
	if back.Status != http.StatusSeeOther {
		b.t.Fatalf("mock consent: want 303 back to the site, got %d", back.Status)
	}
	cb, err := url.Parse(back.Header.Get("Location"))
	if err != nil || cb.Scheme+"://"+cb.Host != b.c.publicURL || cb.Path != "/auth/callback" {
		b.t.Fatalf("mock redirected to %q, want %s/auth/callback", back.Header.Get("Location"), b.c.publicURL)
	}
	done := b.get(finish, "/auth/callback?"+cb.RawQuery)
	if done.Status != http.StatusSeeOther || done.Header.Get("Location") != "/" {
		b.t.Fatalf("%s callback of a login started on %s: want 303 to /, got %d %q", finish.name, start.name, done.Status, done.Text("error-message"))
	}
	persona, ok := mocksgid.PersonaByID(personaID)
	if !ok {
		b.t.Fatalf("unknown persona %s", personaID)
	}
	return persona
}

func (b *browser) wantSignedInAs(in *instance, persona mocksgid.Persona) {
	b.t.Helper()
	p := b.get(in, "/")
	want := persona.Fields["myinfo.name"]
	if got := p.Text("field-myinfo-name"); p.Status != http.StatusOK || !strings.Contains(got, want) {
		b.t.Errorf("%s GET /: want the profile of %s, got %d %q", in.name, persona.ID, p.Status, got)
	}
}

func (b *browser) wantAnonymous(in *instance) {
	b.t.Helper()
	p := b.get(in, "/")
	if p.Status != http.StatusOK || p.Text("logged-in-as") != "" || p.Doc.Find(`[data-testid="login-form"]`).Length() != 1 {
		b.t.Fatalf("%s GET /: want the anonymous page, got %d logged in as %q", in.name, p.Status, p.Text("logged-in-as"))
	}
}

func (b *browser) logout(in *instance) {
	b.t.Helper()
	home := b.get(in, "/")
	token := home.Doc.Find(`form[action="/auth/logout"] input[name="csrf_token"]`).AttrOr("value", "")
	if p := b.post(in.base+"/auth/logout", url.Values{"csrf_token": {token}}); p.Status != http.StatusSeeOther {
		b.t.Fatalf("%s POST /auth/logout: want 303, got %d", in.name, p.Status)
	}
}

// personaIDs reads the persona picker the way a person sees it.
func (c *cluster) personaIDs(t *testing.T) []string {
	t.Helper()
	b := c.newBrowser()
	in := c.instances[0]
	home := b.get(in, "/")
	token := home.Doc.Find(`form[action="/auth/login"] input[name="csrf_token"]`).AttrOr("value", "")
	login := b.post(in.base+"/auth/login", url.Values{"csrf_token": {token}})
	picker := b.Get(login.Header.Get("Location"))
	var ids []string
	picker.Doc.Find(`form[data-testid="persona-form"] button[name="persona"]`).Each(func(_ int, s *goquery.Selection) {
		ids = append(ids, s.AttrOr("value", ""))
	})
	if len(ids) < 2 {
		t.Fatalf("want several personas in the picker, got %v", ids)
	}
	return ids
}

// checkSessionsAcrossInstances logs one person in on both instances: each
// instance lists both sessions, ending the others from one logs the other
// browser out on the other instance, and `sgidweb sessions revoke` with the
// subject hash of the audit lines ends every session of that person and no
// one else's.
func (c *cluster) checkSessionsAcrossInstances(t *testing.T, bin, storeURL string) {
	a, b := c.instances[0], c.instances[1]
	const person, someoneElse = "long-name", "siti-public-officer" // personas not logged in earlier
	onA, onB := c.browserFor(t), c.browserFor(t)
	hashA := loginHash(t, a, func() { onA.loginAcross(a, a, person) })
	if hashB := loginHash(t, b, func() { onB.loginAcross(b, b, person) }); hashB != hashA {
		t.Fatalf("one person's subject hash on A and B: want the same (the key the store keeps), got %q and %q", hashA, hashB)
	}
	other := c.browserFor(t)
	otherPersona := other.loginAcross(b, a, someoneElse)

	for _, in := range c.instances {
		if n := onA.sessionCount(in); n != 2 {
			t.Fatalf("%s /sessions: want both sessions of the person, got %d", in.name, n)
		}
	}
	// From A, end all others: the browser logged in on B is logged out there.
	p := onA.get(a, "/sessions")
	token := p.Doc.Find(`[data-testid="end-others-form"] input[name="csrf_token"]`).AttrOr("value", "")
	if end := onA.post(a.base+"/sessions/end-others", url.Values{"csrf_token": {token}}); end.Status != http.StatusSeeOther {
		t.Fatalf("A POST /sessions/end-others: want 303, got %d", end.Status)
	}
	onB.wantAnonymous(b)
	onB.wantAnonymous(a)
	if n := onA.sessionCount(b); n != 1 {
		t.Fatalf("B /sessions after A ended the others: want 1, got %d", n)
	}

	// The operator's commands, as separate processes against the store.
	onB.loginAcross(b, b, person)
	if out := runCommand(t, bin, storeURL, "sessions", "count"); !strings.Contains(out, "live sessions") {
		t.Fatalf("sgidweb sessions count: got %q", out)
	}
	if out := runCommand(t, bin, storeURL, "sessions", "revoke", "-subject-hash", hashA); !strings.Contains(out, "ended 2 sessions") {
		t.Fatalf("sgidweb sessions revoke: want 2 sessions ended, got %q", out)
	}
	for _, in := range c.instances {
		onA.wantAnonymous(in)
		onB.wantAnonymous(in)
		other.wantSignedInAs(in, otherPersona)
	}
}

// sessionCount reads how many sessions /sessions lists on in.
func (b *browser) sessionCount(in *instance) int {
	b.t.Helper()
	p := b.get(in, "/sessions")
	if p.Status != http.StatusOK {
		b.t.Fatalf("%s GET /sessions: want 200, got %d", in.name, p.Status)
	}
	return p.Doc.Find(`[data-testid="session-item"]`).Length()
}

// loginHashes lists the subject hashes of the login audit lines of in.
func loginHashes(in *instance) []string {
	var hashes []string
	for _, line := range strings.Split(in.logs(), "\n") {
		var l struct {
			Event       string `json:"event"`
			SubjectHash string `json:"subject_hash"`
		}
		if json.Unmarshal([]byte(line), &l) == nil && l.Event == "login_succeeded" {
			hashes = append(hashes, l.SubjectHash)
		}
	}
	return hashes
}

// loginHash logs in with login and returns the subject hash of the audit
// line that login wrote on in. The line is written just after the answer
// goes out, so it is waited for (at most five seconds).
func loginHash(t *testing.T, in *instance, login func()) string {
	t.Helper()
	before := len(loginHashes(in))
	login()
	for range 50 {
		if hashes := loginHashes(in); len(hashes) > before {
			return hashes[len(hashes)-1]
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s wrote no login audit line\n%s", in.name, in.logs())
	return ""
}

// runCommand runs the binary as an operator would, with SESSION_STORE set.
func runCommand(t *testing.T, bin, storeURL string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "SESSION_STORE=" + storeURL}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sgidweb %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
