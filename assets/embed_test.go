package assets

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

func TestPathHashesContent(t *testing.T) {
	b, err := FS.ReadFile("css/app.css")
	if err != nil {
		t.Fatalf("expected css/app.css embedded, got %v", err)
	}
	sum := sha256.Sum256(b)
	want := "/assets/css/app." + hex.EncodeToString(sum[:])[:8] + ".css"
	if got := Path("css/app.css"); got != want {
		t.Errorf("Path(css/app.css): expected %q, got %q", want, got)
	}
	if got := Path("/css/app.css"); got != want {
		t.Errorf("Path(/css/app.css): expected the leading slash ignored, %q, got %q", want, got)
	}
}

func TestPathKeepsExtensionLast(t *testing.T) {
	re := regexp.MustCompile(`^/assets/js/htmx-2\.0\.8\.min\.[0-9a-f]{8}\.js$`)
	if got := Path("js/htmx-2.0.8.min.js"); !re.MatchString(got) {
		t.Errorf("expected the htmx path to match %s, got %q", re, got)
	}
}

func TestPathUnknownNameIsUnhashed(t *testing.T) {
	if got := Path("css/missing.css"); got != "/assets/css/missing.css" {
		t.Errorf("expected an unknown name to come back unhashed, /assets/css/missing.css, got %q", got)
	}
}

func TestLookupRoundTripsEveryFile(t *testing.T) {
	n := 0
	err := fs.WalkDir(FS, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		hashed := Path(name)
		if hashed == Prefix+name {
			t.Errorf("%s: expected a hashed path, got the plain one %q", name, hashed)
		}
		for _, in := range []string{hashed, strings.TrimPrefix(hashed, Prefix)} {
			got, ok := Lookup(in)
			if !ok || got != name {
				t.Errorf("Lookup(%q): expected (%q, true), got (%q, %v)", in, name, got, ok)
			}
		}
		if _, err := FS.Open(name); err != nil {
			t.Errorf("expected the looked-up name %q to open in FS, got %v", name, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 2 {
		t.Errorf("expected at least the CSS and htmx embedded, found %d files", n)
	}
}

func TestLookupRejectsWhatPathDidNotMake(t *testing.T) {
	for _, in := range []string{
		"",
		"/assets/css/app.css",          // unhashed
		"css/app.css",                  // unhashed, no prefix
		"/assets/css/app.00000000.css", // stale hash
		"/assets/../embed.go",
		"/other/" + strings.TrimPrefix(Path("css/app.css"), Prefix),
	} {
		if name, ok := Lookup(in); ok {
			t.Errorf("Lookup(%q): expected not found, got %q", in, name)
		}
	}
}
