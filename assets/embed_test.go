package assets

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
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

func TestUseDirServesTheFolderUnhashed(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "css"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "css", "app.css"), []byte("a{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(dir), "outside.css"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(filepath.Dir(dir), "outside.css"), filepath.Join(dir, "css", "link.css")); err != nil {
		t.Fatal(err)
	}
	if err := UseDir(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(UseEmbedded)

	if !FromDisk() {
		t.Error("expected FromDisk after UseDir")
	}
	if got := Path("css/app.css"); got != "/assets/css/app.css" {
		t.Errorf("expected the unhashed path after UseDir, got %q", got)
	}
	name, ok := Lookup(Path("css/app.css"))
	if !ok || name != "css/app.css" {
		t.Fatalf("expected Lookup to find css/app.css on disk, got (%q, %v)", name, ok)
	}
	b, err := fs.ReadFile(Files(), name)
	if err != nil || string(b) != "a{}" {
		t.Errorf("expected the disk file's content, got %q, %v", b, err)
	}
	// An edit shows at once: no hash, no cache inside the server.
	if err := os.WriteFile(filepath.Join(dir, "css", "app.css"), []byte("b{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := fs.ReadFile(Files(), name); string(b) != "b{}" {
		t.Errorf("expected the edited content, got %q", b)
	}
	for _, bad := range []string{"/assets/css/missing.css", "/assets/../outside.css", "/assets/css", "/assets/"} {
		if name, ok := Lookup(bad); ok {
			t.Errorf("Lookup(%q) after UseDir: expected not found, got %q", bad, name)
		}
	}
	if name, ok := Lookup("/assets/css/link.css"); ok {
		if _, err := fs.ReadFile(Files(), name); err == nil {
			t.Error("expected a symbolic link out of the folder to be refused")
		}
	}

	UseEmbedded()
	if FromDisk() || Path("css/app.css") == "/assets/css/app.css" {
		t.Errorf("expected hashed embedded paths after UseEmbedded, got %q", Path("css/app.css"))
	}
}
