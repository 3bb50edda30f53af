package assets

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The development loop (`task dev`) shows a CSS edit by reloading the
// browser, without restarting the server: the server reads the stylesheets
// from disk there. So templ's watcher, which restarts the server on what it
// matches, must not match a stylesheet, and a watcher of its own must tell
// templ's proxy to reload.
func TestDevLoopReloadsCSSWithoutARestart(t *testing.T) {
	b, err := os.ReadFile("../Taskfile.yml")
	if err != nil {
		t.Fatal(err)
	}
	taskfile := string(b)
	m := regexp.MustCompile(`--watch-pattern='([^']+)'`).FindStringSubmatch(taskfile)
	if m == nil {
		t.Fatal("expected templ's --watch-pattern in the dev task, found none")
	}
	pattern := regexp.MustCompile(m[1])
	for _, f := range []string{"assets/css/app.css", "assets/css/mock.css"} {
		if pattern.MatchString(f) {
			t.Errorf("templ's watch pattern %q matches %s: a CSS edit would restart the server", m[1], f)
		}
	}
	for _, f := range []string{"internal/web/home.go", "views/pages/home.templ"} {
		if !pattern.MatchString(f) {
			t.Errorf("templ's watch pattern %q misses %s", m[1], f)
		}
	}
	at := strings.Index(taskfile, "\n  dev-css-reload:")
	if at < 0 {
		t.Fatal("expected a task dev-css-reload that reloads the browser on a CSS edit, found none")
	}
	reload := taskfile[at:]
	if !strings.Contains(reload, "sources: ['assets/css/*.css']") || !strings.Contains(reload, "generate --notify-proxy") {
		t.Errorf("expected the task dev-css-reload to watch assets/css and notify templ's proxy, got:\n%.400s", reload)
	}
	if !strings.Contains(taskfile, "--watch --interval=50ms dev-css-reload") {
		t.Error("expected the dev task to start the CSS watcher")
	}
}
