package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNormalizePutsEachTagOnItsOwnLine(t *testing.T) {
	got := string(Normalize([]byte(`<div class="a"><p>Logged in as <strong>TAN</strong></p><input type="hidden" value="x"><br></div>`)))
	want := `<div class="a">
  <p>
    "Logged in as "
    <strong>
      TAN
    </strong>
  </p>
  <input type="hidden" value="x">
  <br>
</div>
`
	if got != want {
		t.Errorf("expected\n%s\ngot\n%s", want, got)
	}
}

func TestNormalizeKeepsSpacesThatMatter(t *testing.T) {
	a := Normalize([]byte(`<p>Logged in as <strong>TAN</strong></p>`))
	b := Normalize([]byte(`<p>Logged in as<strong>TAN</strong></p>`))
	if string(a) == string(b) {
		t.Errorf("expected a dropped space to change the normalized form, both are\n%s", a)
	}
}

func TestDiffShowsChangedLinesWithContext(t *testing.T) {
	want := "a\nb\nc\nd\ne\nf\ng\nh\ni\n"
	got := "a\nb\nc\nd\nE\nf\ng\nh\ni\nj\n"
	d := Diff(want, got)
	for _, line := range []string{"- e", "+ E", "+ j", "  d", "  f"} {
		if !strings.Contains(d, line+"\n") {
			t.Errorf("expected the diff to contain %q, got\n%s", line, d)
		}
	}
	if strings.Contains(d, "  a\n") {
		t.Errorf("expected lines far from a change left out, got\n%s", d)
	}
	if Diff(want, want) != "" {
		t.Errorf("expected no diff for equal texts, got %q", Diff(want, want))
	}
}

func TestCheckWritesTheActualFileAndFails(t *testing.T) {
	// This test checks the comparing mode, also when the run rewrites files.
	wasUpdating := *update
	*update = false
	t.Cleanup(func() { *update = wasUpdating })
	dir := t.TempDir()
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chdir(wd) })
	if err := os.MkdirAll(Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(Path("x"), Normalize([]byte(`<p>old</p>`)), 0o644); err != nil {
		t.Fatal(err)
	}

	ft := &fakeT{TB: t}
	Check(ft, "x", []byte(`<p>new</p>`))
	if !ft.failed || !strings.Contains(ft.msg, "- ") || !strings.Contains(ft.msg, "+ ") || !strings.Contains(ft.msg, "task golden") {
		t.Errorf("expected a failure with a diff and the `task golden` hint, got failed=%v msg=%q", ft.failed, ft.msg)
	}
	actual, err := os.ReadFile(filepath.Join(Dir, "x.actual.html"))
	if err != nil || !strings.Contains(string(actual), "new") {
		t.Errorf("expected x.actual.html with the new rendering, got %q, %v", actual, err)
	}

	ft = &fakeT{TB: t}
	Check(ft, "x", []byte(`<p>old</p>`))
	if ft.failed {
		t.Errorf("expected a match to pass, got %q", ft.msg)
	}
	if _, err := os.Stat(filepath.Join(Dir, "x.actual.html")); !os.IsNotExist(err) {
		t.Errorf("expected a match to remove the stale actual file, stat says %v", err)
	}

	stale, err := Stale([]string{"y"})
	if err != nil || len(stale) != 1 || filepath.Base(stale[0]) != "x.html" {
		t.Errorf("expected x.html reported stale when only y is rendered, got %v, %v", stale, err)
	}
}

// fakeT records a failure instead of failing the real test.
type fakeT struct {
	testing.TB
	failed bool
	msg    string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Errorf(format string, args ...any) {
	f.failed = true
	f.msg += fmt.Sprintf(format, args...)
}
