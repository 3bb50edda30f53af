package web_test

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/sgidweb/sgidweb/internal/golden"
	"github.com/sgidweb/sgidweb/internal/web"
	"github.com/sgidweb/sgidweb/views/layouts"
	"github.com/sgidweb/sgidweb/views/pages"
)

// galleryProps is the gallery as /dev/gallery builds it, with the request's
// parts fixed so that the rendering is the same on every run.
func galleryProps() pages.GalleryProps {
	page := layouts.Page{Title: "Component gallery", MockMode: true, RequestID: "req-gallery", Wide: true}
	return web.GalleryProps(page, "csrf-gallery")
}

// TestGalleryGolden renders every gallery state and compares it with
// testdata/golden/<state>.html. Run `task golden` after an intended change.
func TestGalleryGolden(t *testing.T) {
	var names []string
	seen := map[string]bool{}
	for _, sec := range galleryProps().Sections {
		for _, st := range sec.States {
			if seen[st.ID] {
				t.Errorf("state id %q is used twice; golden files and anchors need unique ids", st.ID)
			}
			seen[st.ID] = true
			names = append(names, st.ID)
			var first, second bytes.Buffer
			if err := pages.GalleryStateView(st).Render(context.Background(), &first); err != nil {
				t.Fatalf("%s: render: %v", st.ID, err)
			}
			_ = pages.GalleryStateView(st).Render(context.Background(), &second)
			if !bytes.Equal(first.Bytes(), second.Bytes()) {
				t.Errorf("%s: two renderings differ; golden tests need a deterministic rendering", st.ID)
			}
			if first.Len() == 0 {
				t.Errorf("%s: rendered nothing; set one of the state's component fields", st.ID)
			}
			golden.Check(t, st.ID, first.Bytes())
		}
	}
	stale, err := golden.Stale(names)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range stale {
		if golden.Updating() {
			t.Logf("removing %s: no gallery state renders it any more", f)
			_ = os.Remove(f)
			continue
		}
		t.Errorf("%s belongs to no gallery state; run `task golden` to remove it", f)
	}
}
