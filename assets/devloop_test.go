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
// templ's proxy to reload (cmd/sgidweb-cssreload).
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
	// The reload comes from cmd/sgidweb-cssreload, which polls the folder:
	// Task's own watcher cancelled the reload it had begun when an editor
	// saved by renaming a temporary file over the stylesheet.
	at := strings.Index(taskfile, "\n  dev:css:")
	if at < 0 {
		t.Fatal("expected a task dev:css that reloads the browser on a CSS edit, found none")
	}
	css := taskfile[at:]
	if end := strings.Index(css, "\n\n"); end > 0 { // the next task
		css = css[:end]
	}
	if !strings.Contains(css, "go run ./cmd/sgidweb-cssreload -proxy http://127.0.0.1:7331 assets/css") {
		t.Errorf("expected the task dev:css to run cmd/sgidweb-cssreload on assets/css against templ's proxy, got:\n%.400s", css)
	}
	if strings.Contains(taskfile, "--watch --interval") {
		t.Error("a CSS edit is watched by cmd/sgidweb-cssreload; Task's --watch would cancel its own reloads")
	}
	if !regexp.MustCompile(`deps: \[[^\]]*dev:css`).MatchString(taskfile) {
		t.Error("expected the dev task to start dev:css")
	}
}
