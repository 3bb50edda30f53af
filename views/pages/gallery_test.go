package pages_test

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/sgidweb/sgidweb/internal/web"
	"github.com/sgidweb/sgidweb/views/internal/golden"
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
// testdata/<state>.html. Run `go test ./views/... -update` after an
// intended change.
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
		t.Errorf("%s belongs to no gallery state; run `go test ./views/... -update` to remove it", f)
	}
}

func TestGalleryShowsEveryStateInBothThemesAtBothWidths(t *testing.T) {
	props := galleryProps()
	doc := render(t, pages.Gallery(props))
	one(t, doc, testID(pages.GalleryPageID))
	for _, sec := range props.Sections {
		section := one(t, doc, testID("section-"+sec.ID))
		for _, st := range sec.States {
			state := one(t, section, testID("state-"+st.ID))
			for _, theme := range pages.GalleryThemes {
				for _, width := range pages.GalleryWidths {
					frame := one(t, state, testID(pages.FrameTestID(st.ID, theme, width)))
					attr(t, frame, "data-theme", string(theme))
					if !frame.HasClass("frame--" + string(width)) {
						t.Errorf("%s: expected class frame--%s, got %q", st.ID, width, frame.AttrOr("class", ""))
					}
				}
			}
		}
	}
	if n := doc.Find("[style]").Length(); n != 0 {
		t.Errorf("expected no inline style attributes, found %d", n)
	}
}
