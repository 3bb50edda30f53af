package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// steps runs the watcher's looks and returns on which of them it reloads.
func steps(t *testing.T, w *watcher, n int) []int {
	t.Helper()
	var at []int
	for i := range n {
		now, err := w.step()
		if err != nil {
			t.Fatal(err)
		}
		if now {
			at = append(at, i)
		}
	}
	return at
}

// saveByRename saves the way sed -i, vim and many editors do: a temporary
// file in the same folder, renamed over the stylesheet.
func saveByRename(t *testing.T, path, text string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "sedX1Y2Z3")
	write(t, tmp, text)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestASaveByRenameReloadsOnce(t *testing.T) {
	dir := t.TempDir()
	css := filepath.Join(dir, "app.css")
	write(t, css, "a { color: red; }")
	old, err := os.Stat(css)
	if err != nil {
		t.Fatal(err)
	}
	w, err := newWatcher(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := steps(t, w, 2); len(got) != 0 {
		t.Fatalf("reloaded with nothing changed, at looks %v", got)
	}

	// Same size and the same time: only the file itself is new, as when a
	// save lands within the file system's clock tick.
	saveByRename(t, css, "a { color: tan; }")
	if err := os.Chtimes(css, old.ModTime(), old.ModTime()); err != nil {
		t.Fatal(err)
	}
	if got := steps(t, w, 4); len(got) != 1 || got[0] != 1 {
		t.Errorf("after a save by rename: reloads at looks %v, want one, at the look after the change", got)
	}
}

func TestAnEditInPlaceReloadsOnce(t *testing.T) {
	dir := t.TempDir()
	css := filepath.Join(dir, "mock.css")
	write(t, css, "a {}")
	w, err := newWatcher(dir)
	if err != nil {
		t.Fatal(err)
	}
	write(t, css, "a { color: tan; }")
	if got := steps(t, w, 4); len(got) != 1 {
		t.Errorf("after an edit in place: reloads at looks %v, want one", got)
	}
}

// A save seen across two looks (the old file renamed away, then the new
// one written) is one reload, after the folder is still.
func TestASaveSpreadOverTwoLooksReloadsOnce(t *testing.T) {
	dir := t.TempDir()
	css := filepath.Join(dir, "app.css")
	write(t, css, "a {}")
	w, err := newWatcher(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(css, css+"~"); err != nil { // vim's backup
		t.Fatal(err)
	}
	if got := steps(t, w, 1); len(got) != 0 {
		t.Fatalf("reloaded mid-save, with the stylesheet gone")
	}
	write(t, css, "a { color: tan; }")
	if err := os.Remove(css + "~"); err != nil {
		t.Fatal(err)
	}
	if got := steps(t, w, 4); len(got) != 1 || got[0] != 1 {
		t.Errorf("after the save completed: reloads at looks %v, want one, at the look after the change", got)
	}
}

func TestOtherFilesReloadNothing(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "app.css"), "a {}")
	w, err := newWatcher(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{".app.css.swp", "4913", "app.css~", "app.css.tmp", "notes.txt"} {
		write(t, filepath.Join(dir, name), "x")
	}
	if got := steps(t, w, 3); len(got) != 0 {
		t.Errorf("files that are not stylesheets caused reloads at looks %v", got)
	}
}

func TestAMissingFolderIsAClearError(t *testing.T) {
	_, err := newWatcher(filepath.Join(t.TempDir(), "nowhere"))
	if err == nil {
		t.Fatal("expected an error for a missing folder")
	}
}

// The reload is the request `templ generate --notify-proxy` makes.
func TestTheProxyIsAskedToReload(t *testing.T) {
	got := make(chan string, 1)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Method + " " + r.URL.Path
	}))
	defer proxy.Close()
	if err := proxyReloader(proxy.URL + "/")(); err != nil {
		t.Fatal(err)
	}
	if req := <-got; req != "POST /_templ/reload/events" {
		t.Errorf("the proxy got %q, want POST /_templ/reload/events", req)
	}
}

// run turns a save into a reload, however long the machine takes.
func TestRunReloadsAfterASave(t *testing.T) {
	dir := t.TempDir()
	css := filepath.Join(dir, "app.css")
	write(t, css, "a {}")
	w, err := newWatcher(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reloads := make(chan struct{}, 10)
	done := make(chan error, 1)
	go func() { done <- run(ctx, w, time.Millisecond, func() { reloads <- struct{}{} }) }()

	saveByRename(t, css, "a { color: tan; }")
	select {
	case <-reloads:
	case err := <-done:
		t.Fatalf("run ended: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("no reload within 30 s of the save")
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("run ended with %v, want context.Canceled", err)
	}
}
