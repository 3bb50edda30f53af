package pages_test

import (
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/sgidweb/sgidweb/views/layouts"
	"github.com/sgidweb/sgidweb/views/pages"
)

// The index lists every state once, each linking to its own address, and
// shows none of them: a state's ids appear only on its own page.
func TestGalleryIndexLinksEveryStateOnce(t *testing.T) {
	props := galleryFixture()
	props.Page.Theme = pages.ThemeDark
	doc := render(t, pages.Gallery(props))
	one(t, doc, testID(pages.GalleryPageID))
	for _, sec := range props.Sections {
		section := one(t, doc, testID("section-"+sec.ID))
		attr(t, one(t, doc, `nav a[href="#`+sec.ID+`"]`), "href", "#"+sec.ID)
		for _, st := range sec.States {
			item := one(t, section, testID("state-"+st.ID))
			attr(t, item, "id", "state-"+st.ID)
			// Moving around the gallery keeps the theme.
			attr(t, one(t, item, "a.gallery__state-link"), "href", pages.GalleryStatePath(st.ID)+"?theme=dark")
			attr(t, one(t, item, "a.gallery__frames-link"), "href", pages.GalleryFramesPath(st.ID)+"?theme=dark")
		}
	}
	none(t, doc, testID(pages.LoginButtonID))
	uniqueIDs(t, "gallery index", doc)
	text(t, one(t, doc, ".theme-switch [aria-current]"), "Dark")
}

func TestGalleryStatePageShowsTheStateOnceWithItsNeighbours(t *testing.T) {
	st := galleryFixture().Sections[0].States[1]
	doc := render(t, pages.GalleryStatePage(pages.GalleryStateProps{
		Page: layouts.Page{Title: st.Title}, Section: "Login", State: st,
		Prev: pages.GalleryLink{ID: "a", Title: "A"}, Next: pages.GalleryLink{ID: "c", Title: "C"},
	}))
	text(t, one(t, doc, "h1"), "B")
	one(t, doc, testID("gallery-specimen")+" "+testID(pages.LoginButtonID))
	attr(t, one(t, doc, `a[rel="prev"]`), "href", pages.GalleryStatePath("a"))
	attr(t, one(t, doc, `a[rel="next"]`), "href", pages.GalleryStatePath("c"))
	attr(t, one(t, doc, testID("gallery-index-link")), "href", pages.GalleryPath+"#state-b")
	uniqueIDs(t, "gallery state", doc)

	doc = render(t, pages.GalleryStatePage(pages.GalleryStateProps{State: st}))
	none(t, doc, `a[rel="prev"], a[rel="next"]`)
}

// The frames page loads the state's own page at a phone's and a desktop's
// width, so whole pages lay out as on those screens.
func TestGalleryFramesShowTheStateAtPhoneAndDesktopWidth(t *testing.T) {
	st := galleryFixture().Sections[0].States[2]
	doc := render(t, pages.GalleryFrames(pages.GalleryFramesProps{Page: layouts.Page{Theme: pages.ThemeLight}, State: st}))
	for name, width := range map[string]string{"phone": "390", "desktop": "1280"} {
		frame := one(t, doc, "iframe"+testID("frame-"+name))
		attr(t, frame, "src", pages.GalleryStatePath("c")+"?theme=light")
		attr(t, frame, "width", width)
		if frame.AttrOr("title", "") == "" {
			t.Errorf("%s frame: expected a title naming it, it has none", name)
		}
	}
}

// On the frames page the theme links keep the frames, and the other view
// is the state alone (the page does not link to itself).
func TestGalleryFramesNavigationStaysOnTheFrames(t *testing.T) {
	st := galleryFixture().Sections[0].States[2]
	doc := render(t, pages.GalleryFrames(pages.GalleryFramesProps{Page: layouts.Page{Theme: pages.ThemeLight}, State: st}))
	links := doc.Find(".theme-switch a")
	if links.Length() != 2 {
		t.Fatalf("expected links to the two other themes, found %d", links.Length())
	}
	links.Each(func(_ int, a *goquery.Selection) {
		if href := a.AttrOr("href", ""); href != pages.GalleryFramesPath(st.ID) && href != pages.GalleryFramesPath(st.ID)+"?theme=dark" {
			t.Errorf("theme link %q leads to %s, want the frames page", a.Text(), href)
		}
	})
	attr(t, one(t, doc, testID("gallery-other-view")), "href", pages.GalleryStatePath(st.ID)+"?theme=light")
	none(t, doc, `.gallery-nav a[href="`+pages.GalleryFramesPath(st.ID)+`?theme=light"]`)

	doc = render(t, pages.GalleryStatePage(pages.GalleryStateProps{Page: layouts.Page{Theme: pages.ThemeLight}, State: st}))
	attr(t, one(t, doc, testID("gallery-other-view")), "href", pages.GalleryFramesPath(st.ID)+"?theme=light")
	attr(t, doc.Find(`.theme-switch a`).First(), "href", pages.GalleryStatePath(st.ID))
}

// uniqueIDs fails for every id that appears more than once in doc.
func uniqueIDs(t *testing.T, what string, doc *goquery.Document) {
	t.Helper()
	seen := map[string]int{}
	doc.Find("[id]").Each(func(_ int, s *goquery.Selection) { seen[s.AttrOr("id", "")]++ })
	for id, n := range seen {
		if n > 1 {
			t.Errorf("%s: expected id %q once, found it %d times", what, id, n)
		}
	}
}
