package web_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/sgidweb/sgidweb/assets"
)

// In the development loop the stylesheet comes from disk under its plain
// name with no-store, so a designer's edit shows on the next reload.
func TestDevServesAssetsFromDiskUncached(t *testing.T) {
	dir := t.TempDir()
	css := filepath.Join(dir, "css", "app.css")
	if err := os.MkdirAll(filepath.Dir(css), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(css, []byte("body { color: red; }"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startSite(t, map[string]string{"SGIDWEB_DEV": "1", "ASSETS_DIR": dir})
	t.Cleanup(assets.UseEmbedded)
	b := s.newBrowser()

	home := b.get("/")
	href, _ := home.Doc.Find(`link[rel="stylesheet"]`).Attr("href")
	if href != "/assets/css/app.css" {
		t.Fatalf("expected the stylesheet at its plain name in development, got %q", href)
	}
	first := b.get(href)
	if first.Status != http.StatusOK || first.Body != "body { color: red; }" {
		t.Fatalf("expected the file on disk, got %d %q", first.Status, first.Body)
	}
	if cc := first.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("expected Cache-Control: no-store in development, got %q", cc)
	}
	if err := os.WriteFile(css, []byte("body { color: blue; }"), 0o644); err != nil {
		t.Fatal(err)
	}
	if again := b.get(href); again.Body != "body { color: blue; }" {
		t.Errorf("expected the edited file on the next request, got %q", again.Body)
	}
	if p := b.get("/assets/../go.mod"); p.Status != http.StatusNotFound {
		t.Errorf("expected 404 for a path out of the assets folder, got %d", p.Status)
	}
}

// Outside development the embedded files are served under hashed names and
// cached for good.
func TestAssetsAreHashedAndImmutableByDefault(t *testing.T) {
	s := startSite(t, nil)
	b := s.newBrowser()
	href, _ := b.get("/").Doc.Find(`link[rel="stylesheet"]`).Attr("href")
	if href == "/assets/css/app.css" || href == "" {
		t.Fatalf("expected a content-hashed stylesheet path, got %q", href)
	}
	p := b.get(href)
	if p.Status != http.StatusOK {
		t.Fatalf("GET %s: expected 200, got %d", href, p.Status)
	}
	if cc := p.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Errorf("expected an immutable cache header, got %q", cc)
	}
	if p := b.get("/assets/css/app.css"); p.Status != http.StatusNotFound {
		t.Errorf("expected the unhashed name refused outside development, got %d", p.Status)
	}
}
