// Command sgidweb-cssreload is the development loop's stylesheet watcher (`task
// dev` runs it): when a .css file in the folder changes, it asks templ's
// live-reload proxy to reload the browser. The server reads the stylesheets
// from disk in development, so the reload shows the edit without a restart.
//
// It looks at the folder every interval rather than subscribing to file
// events. Editors save by writing a temporary file and renaming it over the
// old one; Task's watcher, which ran the reload before, began a run on the
// rename and cancelled it on the temporary file's next event, so about one
// save in two reloaded nothing. A look compares each stylesheet (which file
// it is, its size and its time) with the last look, so every way of saving
// is a change, and files of other names (swap files, backups) are none. The
// proxy is told once the folder has been still for one interval, so one
// save is one reload.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	proxy := flag.String("proxy", "http://127.0.0.1:7331", "templ's live-reload proxy (`templ generate --watch --proxy`)")
	interval := flag.Duration("interval", 50*time.Millisecond, "how often to look at the stylesheets")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: cssreload [-proxy URL] [-interval D] [FOLDER]\n\nReloads the browser through templ's proxy when a .css file in FOLDER (default assets/css) changes.")
		flag.PrintDefaults()
	}
	flag.Parse()
	dir := "assets/css"
	if flag.NArg() > 0 {
		dir = flag.Arg(0)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	w, err := newWatcher(dir)
	if err != nil {
		log.Fatalf("cssreload: %v", err)
	}
	reload := proxyReloader(*proxy)
	err = run(ctx, w, *interval, func() {
		if err := reload(); err != nil {
			// The proxy starts after the server's first build; an edit
			// before that has no browser to reload.
			log.Printf("cssreload: could not reach templ's proxy: %v", err)
		}
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		log.Fatalf("cssreload: %v", err)
	}
}

// run looks every interval until ctx ends, and calls reload once for each
// change.
func run(ctx context.Context, w *watcher, interval time.Duration, reload func()) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		now, err := w.step()
		if err != nil {
			return err
		}
		if now {
			reload()
		}
	}
}

// stylesheet is what one look saw of one file.
type stylesheet struct {
	info os.FileInfo // for os.SameFile: a save by rename is another file
	size int64
	mod  time.Time
}

func (a stylesheet) same(b stylesheet) bool {
	return a.size == b.size && a.mod.Equal(b.mod) && os.SameFile(a.info, b.info)
}

// watcher remembers the last look at a folder.
type watcher struct {
	dir     string
	last    map[string]stylesheet
	pending bool // a change seen, not yet reported
}

func newWatcher(dir string) (*watcher, error) {
	w := &watcher{dir: dir}
	var err error
	if w.last, err = w.look(); err != nil {
		return nil, err
	}
	return w, nil
}

// step looks once and reports whether to reload now: after a change, once
// a look finds the folder as the one before.
func (w *watcher) step() (bool, error) {
	now, err := w.look()
	if err != nil {
		return false, err
	}
	changed := len(now) != len(w.last)
	for name, s := range now {
		if old, ok := w.last[name]; !ok || !s.same(old) {
			changed = true
		}
	}
	w.last = now
	if changed {
		w.pending = true
		return false, nil
	}
	if w.pending {
		w.pending = false
		return true, nil
	}
	return false, nil
}

// look reads the stylesheets in the folder. A file that goes between the
// listing and its stat (a save under way) is left for the next look.
func (w *watcher) look() (map[string]stylesheet, error) {
	entries, err := os.ReadDir(w.dir)
	if err != nil {
		return nil, fmt.Errorf("read the stylesheets' folder: %w (run it from the module root, or name the folder)", err)
	}
	seen := make(map[string]stylesheet)
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".css") {
			continue
		}
		info, err := os.Stat(filepath.Join(w.dir, e.Name()))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if info.IsDir() {
			continue
		}
		seen[e.Name()] = stylesheet{info: info, size: info.Size(), mod: info.ModTime()}
	}
	return seen, nil
}

// proxyReloader returns a function that asks templ's proxy to reload every
// browser it serves, as `templ generate --notify-proxy` does.
func proxyReloader(proxy string) func() error {
	client := &http.Client{Timeout: 2 * time.Second}
	url := strings.TrimSuffix(proxy, "/") + "/_templ/reload/events"
	return func() error {
		res, err := client.Post(url, "", nil)
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("%s answered %s", url, res.Status)
		}
		return nil
	}
}
