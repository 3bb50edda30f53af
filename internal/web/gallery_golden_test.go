package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/sgidweb/sgidweb/internal/golden"
	"github.com/sgidweb/sgidweb/internal/mocksgid"
	"github.com/sgidweb/sgidweb/internal/web"
	"github.com/sgidweb/sgidweb/views/layouts"
	"github.com/sgidweb/sgidweb/views/pages"
	"github.com/sgidweb/sgidweb/views/urls"
)

// galleryMock is a mock provider at a fixed address, so its pages render
// the same on every run.
var galleryMock = sync.OnceValue(func() *mocksgid.Provider {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	p, err := mocksgid.New(mocksgid.Config{
		Issuer: "http://localhost:8080/mock-sgid/v2",
		Clients: []mocksgid.Client{{ID: "sgidweb-local", Secret: "gallery", PublicKey: &key.PublicKey,
			RedirectURIs: []string{"http://localhost:8080/auth/callback"}}},
		SigningKey: key,
	})
	if err != nil {
		panic(err)
	}
	return p
})

// gallerySections is the gallery as /dev/gallery builds it, with the
// request's parts fixed.
func gallerySections() []pages.GallerySection {
	return web.GallerySections(layouts.Page{MockMode: true}, "csrf-gallery", "req-gallery", galleryMock())
}

// hashedAsset matches a content-hashed asset name, which changes with every
// edit to the file it names.
var hashedAsset = regexp.MustCompile(`(/assets/[a-z0-9/._-]+)\.[0-9a-f]{8}\.(css|js)`)

// renderState renders a state's view as its own address shows it.
func renderState(t *testing.T, st pages.GalleryState) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := st.View.Render(context.Background(), &buf); err != nil {
		t.Fatalf("%s: render: %v", st.ID, err)
	}
	return buf.Bytes()
}

// TestGalleryGolden renders every gallery state and compares it with
// testdata/golden/<state>.html. Run `task golden` after an intended change.
func TestGalleryGolden(t *testing.T) {
	var names []string
	seen := map[string]bool{}
	for _, sec := range gallerySections() {
		if seen[sec.ID] {
			t.Errorf("section id %q is used twice", sec.ID)
		}
		seen[sec.ID] = true
		for _, st := range sec.States {
			if seen[st.ID] {
				t.Errorf("state id %q is used twice; addresses, anchors and golden files need unique ids", st.ID)
			}
			seen[st.ID] = true
			names = append(names, st.ID)
			first, second := renderState(t, st), renderState(t, st)
			if !bytes.Equal(first, second) {
				t.Errorf("%s: two renderings differ; golden tests need a deterministic rendering", st.ID)
			}
			if len(first) == 0 {
				t.Errorf("%s: rendered nothing", st.ID)
			}
			golden.Check(t, st.ID, hashedAsset.ReplaceAll(first, []byte("$1.HASH.$2")))
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

// The site says "Log in", "Logged in as" and "Log out", in every state;
// never "sign in" or "login" as a verb.
func TestGalleryCopyUsesOneVerb(t *testing.T) {
	// "Login" stays a noun ("Login didn't complete"); as a button or a
	// heading it was a verb.
	banned := regexp.MustCompile(`(?i:\bsign(s|ed|ing)? ?(in|out)\b)|\bLogin with\b|\bLogout\b`)
	for _, sec := range gallerySections() {
		for _, st := range sec.States {
			doc, err := goquery.NewDocumentFromReader(bytes.NewReader(renderState(t, st)))
			if err != nil {
				t.Fatal(err)
			}
			doc.Find("script, style, title").Remove()
			text := strings.Join(strings.Fields(doc.Text()+" "+doc.Find("[aria-label]").AttrOr("aria-label", "")), " ")
			if m := banned.FindString(text); m != "" {
				t.Errorf("%s: says %q; the site's verbs are \"Log in\", \"Logged in as\" and \"Log out\"", st.ID, m)
			}
		}
	}
}

// Every state the issue of a usable gallery asked for is there.
func TestGalleryHasEveryState(t *testing.T) {
	ids := map[string]bool{}
	for _, sec := range gallerySections() {
		for _, st := range sec.States {
			ids[st.ID] = true
		}
	}
	for _, id := range []string{
		"notice-warning", "focus-and-hover", "profile-nric-revealed", "error-no-login-in-progress", "error-login-took-too-long",
		"mock-authorize", "mock-scan", "mock-consent", "mock-expired", "home-logged-out", "home-logged-in", "home-masthead",
		"error-upstream-unavailable", // a guarded app that does not answer (UPSTREAM_URL)
	} {
		if !ids[id] {
			t.Errorf("expected the gallery state %q", id)
		}
	}
	for _, p := range mocksgid.Personas() {
		if !ids["profile-"+p.ID] {
			t.Errorf("expected a profile state for persona %s", p.ID)
		}
	}
}

// Under a base path (BASE_PATH=/sgid/) every address in the gallery and in
// its states stays under it. The mock's pages are left out: their addresses
// come from the mock's issuer, which internal/mocksgid tests under a base
// path. So is the 502 page's Try again: it retries the guarded app's page,
// and the app's addresses are the ones outside BASE_PATH.
func TestGalleryKeepsEveryAddressUnderTheBasePath(t *testing.T) {
	const base = "/sgid/"
	ctx := urls.WithBase(context.Background(), base)
	sections := gallerySections()
	views := map[string]templ.Component{
		"index":  pages.Gallery(pages.GalleryProps{Sections: sections}),
		"state":  pages.GalleryStatePage(pages.GalleryStateProps{State: sections[1].States[0], Prev: pages.GalleryLink{ID: "a"}, Next: pages.GalleryLink{ID: "b"}}),
		"frames": pages.GalleryFrames(pages.GalleryFramesProps{State: sections[0].States[0]}),
	}
	for _, sec := range sections {
		if sec.ID == "mock-sgid" {
			continue
		}
		for _, st := range sec.States {
			views[st.ID] = st.View
		}
	}
	for what, c := range views {
		var buf bytes.Buffer
		if err := c.Render(ctx, &buf); err != nil {
			t.Fatalf("%s: render: %v", what, err)
		}
		doc, err := goquery.NewDocumentFromReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		doc.Find("[href], [action], [src], [hx-get], [hx-post]").Each(func(_ int, s *goquery.Selection) {
			for _, name := range []string{"href", "action", "src", "hx-get", "hx-post"} {
				if what == "error-upstream-unavailable" && s.AttrOr("data-testid", "") == "error-retry" {
					continue
				}
				if v, ok := s.Attr(name); ok && !strings.HasPrefix(v, "#") && !strings.HasPrefix(v, base) {
					t.Errorf("%s: expected every address under %s, found %s=%q", what, base, name, v)
				}
			}
		})
	}
}
