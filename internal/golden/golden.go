// Package golden compares rendered HTML with files kept in testdata/golden/,
// so a test fails on any change to a component's markup, and shows the
// change.
//
// Run the test with -update (`task golden` does it for the component
// gallery) to accept what the components render now: it rewrites the files,
// and the diff then shows in git.
package golden

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden/ with what the components render now")

// Dir is where golden files live, relative to the test's package.
const Dir = "testdata/golden"

// Updating reports whether the test run was asked to rewrite golden files.
func Updating() bool { return *update }

// Path is the golden file for name.
func Path(name string) string { return filepath.Join(Dir, name+".html") }

// actualPath is where a mismatching rendering is written, beside the golden
// file (gitignored).
func actualPath(name string) string { return filepath.Join(Dir, name+".actual.html") }

// Check compares rendered HTML with the golden file for name. On a mismatch
// it writes the rendering beside the golden file as name.actual.html and
// fails with a line diff. With -update it rewrites the golden file instead.
func Check(t testing.TB, name string, rendered []byte) {
	t.Helper()
	got := Normalize(rendered)
	path := Path(name)
	if *update {
		if err := os.MkdirAll(Dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		_ = os.Remove(actualPath(name))
		return
	}
	want, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s: no golden file; if this is a new component state, run `task golden` and commit %s", name, path)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(want, got) {
		_ = os.Remove(actualPath(name))
		return
	}
	if err := os.WriteFile(actualPath(name), got, 0o644); err != nil {
		t.Errorf("write %s: %v", actualPath(name), err)
	}
	t.Errorf("%s: the rendering differs from %s (- golden, + now; the whole rendering is in %s).\n"+
		"If the change is intended, run `task golden` and commit the golden file.\n%s",
		name, path, actualPath(name), Diff(string(want), string(got)))
}

// Stale returns the golden files in Dir that no name in names accounts for,
// so a renamed or removed state does not leave its old file behind.
func Stale(names []string) ([]string, error) {
	keep := make(map[string]bool, len(names))
	for _, n := range names {
		keep[filepath.Clean(Path(n))] = true
	}
	var stale []string
	err := filepath.WalkDir(Dir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasSuffix(p, ".html") && !strings.HasSuffix(p, ".actual.html") && !keep[filepath.Clean(p)] {
			stale = append(stale, p)
		}
		return nil
	})
	return stale, err
}

// voidElements never have an end tag, so they do not indent what follows.
var voidElements = map[string]bool{
	"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true, "img": true,
	"input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true,
}

// Normalize puts every tag and every line of text on its own line, indented
// by depth, so that a diff points at the element that changed. Tags and
// text are kept byte for byte, except that a text line that starts or ends
// with a space is quoted, so spaces that matter between words stay visible.
func Normalize(rendered []byte) []byte {
	var out bytes.Buffer
	z := html.NewTokenizer(bytes.NewReader(rendered))
	depth := 0
	line := func(s string) {
		out.WriteString(strings.Repeat("  ", depth))
		out.WriteString(s)
		out.WriteByte('\n')
	}
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				line("<!-- golden: parse error: " + z.Err().Error() + " -->")
			}
			break
		}
		raw := string(z.Raw())
		switch tt {
		case html.StartTagToken:
			line(raw)
			name, _ := z.TagName()
			if !voidElements[string(name)] {
				depth++
			}
		case html.EndTagToken:
			if depth > 0 {
				depth--
			}
			line(raw)
		case html.TextToken:
			for _, l := range strings.Split(raw, "\n") {
				if l == "" {
					continue
				}
				if strings.TrimSpace(l) != l {
					l = fmt.Sprintf("%q", l)
				}
				line(l)
			}
		default:
			line(raw)
		}
	}
	return out.Bytes()
}
