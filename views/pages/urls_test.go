package pages_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/sgidweb/sgidweb/views/layouts"
	"github.com/sgidweb/sgidweb/views/pages"
	"github.com/sgidweb/sgidweb/views/urls"
)

// urlAttributes are the attributes whose value is an address the browser
// fetches or navigates to.
var urlAttributes = []string{"href", "action", "formaction", "src", "hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete"}

// outsideBase lists every address in doc that leaves base: anything but an
// in-page anchor ("#main") or a path under base.
func outsideBase(doc *goquery.Document, base string) []string {
	var out []string
	doc.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, name := range urlAttributes {
			v, ok := s.Attr(name)
			if !ok || strings.HasPrefix(v, "#") || strings.HasPrefix(v, base) {
				continue
			}
			out = append(out, "<"+goquery.NodeName(s)+" "+name+"="+v+">")
		}
	})
	return out
}

func renderIn(t *testing.T, ctx context.Context, c templ.Component) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(ctx, &buf); err != nil {
		t.Fatalf("render: %v", err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// Under a base path (BASE_PATH=/sgid/) every address a page writes stays
// under it, so sgidweb can share an origin with another app.
func TestPagesKeepEveryAddressUnderTheBasePath(t *testing.T) {
	const base = "/sgid/"
	ctx := urls.WithBase(context.Background(), base)
	for what, c := range map[string]templ.Component{
		"home, logged out": pages.Home(anonymousHome()),
		"home, logged in":  pages.Home(loggedInHome()),
		"error page":       pages.ErrorPage(pages.ErrorProps{Page: layouts.Page{Title: "Oops"}, Status: 500}),
		"gallery index":    pages.Gallery(galleryFixture()),
		"sessions": pages.Sessions(pages.SessionsProps{Sessions: []pages.SessionItem{
			{ID: "a", Browser: "Chrome on Windows", Current: true}, {ID: "b", Browser: "Safari on iPhone"}}}),
		"gallery state": pages.GalleryStatePage(pages.GalleryStateProps{Page: layouts.Page{Theme: pages.ThemeDark},
			State: galleryFixture().Sections[0].States[1], Prev: pages.GalleryLink{ID: "a", Title: "A"}, Next: pages.GalleryLink{ID: "c", Title: "C"}}),
		"gallery frames": pages.GalleryFrames(pages.GalleryFramesProps{State: galleryFixture().Sections[0].States[0]}),
	} {
		doc := renderIn(t, ctx, c)
		if n := doc.Find("[href], [action], [src], [hx-post]").Length(); n < 4 {
			t.Fatalf("%s: expected the page's links, forms and assets, found %d addresses", what, n)
		}
		for _, a := range outsideBase(doc, base) {
			t.Errorf("%s: expected every address under %s, found %s", what, base, a)
		}
	}
}

// galleryFixture is a small gallery: one section of three states.
func galleryFixture() pages.GalleryProps {
	login := pages.LoginButton(pages.LoginButtonProps{CSRFToken: "c"})
	return pages.GalleryProps{Sections: []pages.GallerySection{{ID: "login", Title: "Login", States: []pages.GalleryState{
		{ID: "a", Title: "A", View: login},
		{ID: "b", Title: "B", Note: "The second", View: login},
		{ID: "c", Title: "C", View: pages.Home(anonymousHome()), WholePage: true},
	}}}}
}
