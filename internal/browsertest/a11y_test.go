package browsertest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/sgidweb/sgidweb/internal/testenv"
)

// axeSource is axe-core's script, read once.
var axeSource struct {
	once sync.Once
	text string
	err  error
}

// loadAxe reads axe-core's script, and skips the test (fails it in CI)
// when `task deps:node` has not installed it. Chromium runs the script;
// Node itself is not needed.
func loadAxe(t *testing.T) string {
	t.Helper()
	file := filepath.Join(testenv.NodeModules(), "axe-core", "axe.min.js")
	if _, err := os.Stat(file); err != nil {
		testenv.Missing(t, "npm package axe-core", "run `task deps:node`")
	}
	axeSource.once.Do(func() {
		b, err := os.ReadFile(file)
		axeSource.text, axeSource.err = string(b), err
	})
	if axeSource.err != nil {
		t.Fatalf("read axe-core: %v", axeSource.err)
	}
	return axeSource.text
}

type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// runAxe is the axe-core call with the options in %s: violations only,
// each with its elements.
const runAxe = `axe.run(document, {resultTypes: ["violations"]%s}).then(r => r.violations.map(v => ({
	id: v.id, impact: v.impact || "", help: v.help,
	targets: v.nodes.map(n => n.target.join(" ")),
})))`

// Which of axe-core's rules a check runs: all of them, or only the colour
// contrast, the one rule a change of theme can break.
const (
	allRules     = ""
	contrastOnly = `, runOnly: ["color-contrast"]`
)

// checkAccessibility runs axe-core on the page as it is. The script goes in
// through the DevTools protocol, not a <script> tag, so the page's CSP stays
// as strict as it is for everyone. Serious and critical violations fail the
// test; lesser ones are logged.
func (tb *tab) checkAccessibility(state, rules string) {
	tb.t.Helper()
	if !strings.Contains(eval[string](tb, "inject axe-core", loadAxe(tb.t)+`;typeof axe.run`), "function") {
		tb.t.Fatal("axe-core did not load")
	}
	violations := run(tb, "run axe-core on "+state, chromedp.Evaluate[[]axeViolation](fmt.Sprintf(runAxe, rules), chromedp.EvalAwaitPromise))
	for _, v := range violations {
		msg := state + ": " + v.Impact + " " + v.ID + " (" + v.Help + ") at " + strings.Join(v.Targets, ", ")
		if v.Impact == "serious" || v.Impact == "critical" {
			tb.t.Error(msg)
		} else {
			tb.t.Log(msg)
		}
	}
}

// tabTo presses Tab until the element with testID has the focus, as a
// keyboard user does, and fails if it never does.
func (tb *tab) tabTo(testID string) {
	tb.t.Helper()
	const maxTabs = 40 // more than any of our pages has focusable elements
	for range maxTabs {
		tb.do("press Tab", chromedp.KeyEvent(kb.Tab))
		if eval[bool](tb, "read focus", `document.activeElement?.dataset?.testid === "`+testID+`"`) {
			return
		}
	}
	tb.t.Fatalf("%d presses of Tab never reached %s", maxTabs, testID)
}

// TestKeyboardOnlyLogin logs in with the keyboard alone: Tab and Enter on
// our page, Tab and Enter, then Tab and Space, on the mock's pages.
func TestKeyboardOnlyLogin(t *testing.T) {
	s := startSite(t, nil)
	tb := newTab(t)

	tb.openHome(s)
	tb.tabTo("login-submit")
	tb.do("press Enter on login", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(byTestID("mock-sgid-authorize")))

	tb.tabTo("persona-" + personaID)
	tb.do("press Enter on persona", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(byTestID("mock-sgid-consent")))

	tb.tabTo("consent-allow")
	tb.do("press Space on Allow", chromedp.KeyEvent(" "), chromedp.WaitVisible(byTestID("logged-in-as")))
	tb.wantProfile()

	tb.tabTo("logout-submit")
	tb.do("press Enter on logout", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(byTestID("login-submit")))
}

// TestAccessibilityOfEveryGalleryState runs axe-core on the gallery's index
// and on every state's own page at a desktop's width, in the light theme
// and (colour contrast, the rule a theme can break) in the dark one, and on
// every whole page at a phone's width too: no serious or critical violation
// anywhere.
func TestAccessibilityOfEveryGalleryState(t *testing.T) {
	loadAxe(t)
	s := startSite(t, nil)
	tb := newTab(t)
	tb.do("open the gallery", chromedp.Navigate(s.url+"/dev/gallery"), chromedp.WaitVisible(byTestID("gallery-page")))
	tb.checkAccessibility("gallery index", allRules)
	states := eval[[]string](tb, "list the states", `[...document.querySelectorAll("a.gallery__state-link")].map(a => a.getAttribute("href"))`)
	if len(states) < 50 {
		t.Fatalf("expected at least 50 states in the gallery, found %d", len(states))
	}
	for _, path := range states {
		tb.do("open "+path, chromedp.Navigate(s.url+path+"?theme=light"), chromedp.WaitReady("body"))
		tb.checkAccessibility(path+" (light)", allRules)
		whole := eval[bool](tb, "whole page?", `document.querySelector('[data-testid="gallery-state"]') === null`)
		tb.do("open "+path, chromedp.Navigate(s.url+path+"?theme=dark"), chromedp.WaitReady("body"))
		tb.checkAccessibility(path+" (dark)", contrastOnly)
		if whole {
			tb.viewport(390, 844)
			tb.do("open "+path, chromedp.Navigate(s.url+path), chromedp.WaitReady("body"))
			tb.checkAccessibility(path+" (phone)", allRules)
			tb.viewport(1280, 900)
		}
	}
}
