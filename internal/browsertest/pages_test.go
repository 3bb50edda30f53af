package browsertest

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBackAndReloadNeverResubmit: the mock answers each form with a
// redirect, so the consent screen is a GET that reloads as it is, and Back
// after the login shows the mock's expired page with the way home, never
// the browser's "Confirm Form Resubmission".
func TestBackAndReloadNeverResubmit(t *testing.T) {
	s := startSite(t, nil)
	tb := newTab(t)
	tb.expectTrouble("status of 404") // the expired page's own status

	tb.openHome(s)
	tb.pressLogin()
	tb.pickPersona()
	if loc := tb.location(); !strings.Contains(loc, "/mock/consent/") {
		t.Errorf("after picking a persona the address is %s, want the consent screen's own", loc)
	}
	tb.do("reload the consent screen", chromedp.Reload(), chromedp.WaitVisible(byTestID("mock-sgid-consent")))
	// One POST for the pick; the reload was a GET.
	wantStatuses(t, s, "POST", "/mock-sgid/*", 303)

	tb.allow()
	tb.do("go back", chromedp.NavigateBack(), chromedp.WaitVisible(byTestID("mock-error")))
	if got := tb.text("mock-home-link"); got != "Back to sgidweb-local" {
		t.Errorf("the expired page's way back says %q", got)
	}
	tb.do("follow the way back", chromedp.Click(byTestID("mock-home-link")), chromedp.WaitVisible(byTestID("logged-in-as")))
	wantStatuses(t, s, "POST", "/mock-sgid/*", 303, 303)
}

// TestRevealShowsTheNumberOnce: the control says what it will do, the
// full number replaces the masked one, and the control does not move.
func TestRevealShowsTheNumberOnce(t *testing.T) {
	s := startSite(t, map[string]string{"SGID_SCOPES": "openid myinfo.name myinfo.nric_number"})
	tb := newTab(t)
	tb.openHome(s)
	tb.pressLogin()
	tb.pickPersona()
	tb.allow()

	const field = `document.querySelector('[data-testid="field-myinfo-nric_number"] dd')`
	masked := eval[string](tb, "masked", field+`.querySelector('[data-testid="masked-value"]').textContent`)
	full := eval[string](tb, "full", field+`.querySelector('[data-testid$="-reveal"]').textContent`)
	shown := func() string { return eval[string](tb, "read the field", field+".innerText") }
	if got := tb.text("field-myinfo-nric_number"); !strings.Contains(got, "Show full NRIC number") || strings.Contains(got, "Hide") {
		t.Errorf("before: the control says %q, want \"Show full NRIC number\"", got)
	}
	if got := shown(); strings.Count(got, masked) != 1 || strings.Contains(got, full) {
		t.Errorf("before: want the masked number %q alone, the page shows %q", masked, got)
	}
	const control = field + `.querySelector('summary').getBoundingClientRect().top`
	before := eval[float64](tb, "where the control is", control)
	tb.do("press Show", chromedp.Click(`[data-testid="field-myinfo-nric_number"] summary`))
	// The control stays under the pointer, so pressing it again hides.
	if after := eval[float64](tb, "where the control is", control); after < before-1 || after > before+1 {
		t.Errorf("the control moved from %.0f to %.0f px when pressed", before, after)
	}
	got := shown()
	if !strings.Contains(got, "Hide full NRIC number") || strings.Contains(got, "Show full") {
		t.Errorf("after: the control says %q, want \"Hide full NRIC number\"", got)
	}
	if strings.Count(got, full) != 1 || strings.Contains(got, masked) {
		t.Errorf("after: want the full number %q once and the masked one gone, the page shows %q", full, got)
	}
}

// spanGaps measures, for the consent list and the profile's description
// list, how far each row's rules fall short of the card's width, in CSS
// pixels (0 everywhere when every rule spans it).
const spanGaps = `(() => {
	const gaps = [];
	const list = document.querySelector('[data-testid="consent-requested"]');
	if (list) {
		const width = list.getBoundingClientRect().width, rows = {};
		for (const li of list.children) {
			const r = li.getBoundingClientRect();
			rows[Math.round(r.top)] = (rows[Math.round(r.top)] || 0) + r.width;
		}
		for (const w of Object.values(rows)) gaps.push(Math.round(width - w));
	}
	const dl = document.querySelector('[data-testid="profile-panel"] dl');
	if (dl) {
		const region = dl.parentElement, cs = getComputedStyle(region);
		const inner = region.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
		gaps.push(Math.round(inner - dl.getBoundingClientRect().width));
		for (const f of dl.children) gaps.push(Math.round(inner - f.getBoundingClientRect().width));
	}
	return gaps;
})()`

// TestListsSpanTheirCard: the consent list and the profile span their card
// at any count, on a phone and a desktop.
func TestListsSpanTheirCard(t *testing.T) {
	s := startSite(t, nil)
	tb := newTab(t)
	for _, width := range []int64{390, 1280} {
		tb.viewport(width, 900)
		for _, state := range []string{"consent-one-field", "consent-three-fields", "consent-every-field", "profile-tan-heng-huat", "home-logged-out", "home-logged-in"} {
			tb.do("open "+state, chromedp.Navigate(s.url+"/dev/gallery/"+state), chromedp.WaitReady("body"))
			gaps := eval[[]int](tb, "measure "+state, spanGaps)
			if len(gaps) == 0 {
				t.Errorf("%s at %d px: found no list to measure", state, width)
			}
			for _, g := range gaps {
				if g > 1 || g < -1 {
					t.Errorf("%s at %d px: a row's rule falls %d px short of the card (all rows: %v)", state, width, g, gaps)
					break
				}
			}
		}
	}
}

// TestReadmeScreenshots takes the README's pictures of the home page,
// logged out and logged in, on a phone (390 px) and a desktop (1280 px), in
// the light and the dark scheme. `go test ./internal/browsertest -run
// TestReadmeScreenshots -update` rewrites them in testdata/.
func TestReadmeScreenshots(t *testing.T) {
	s := startSite(t, nil)
	tb := newTab(t)
	for _, page := range []struct{ state, name string }{{"home-logged-out", "home"}, {"home-logged-in", "profile"}} {
		for _, size := range []struct {
			width, height int64
			suffix        string
		}{{1280, 800, ""}, {390, 844, "-phone"}} {
			for _, scheme := range []string{"light", "dark"} {
				name := "readme-" + page.name + size.suffix
				if scheme == "dark" {
					name += "-dark"
				}
				tb.viewport(size.width, size.height)
				tb.colourScheme(scheme)
				tb.do("open "+page.state, chromedp.Navigate(s.url+"/dev/gallery/"+page.state), chromedp.WaitVisible(byTestID("home-page")))
				if got := eval[string](tb, "scheme", `matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light"`); got != scheme {
					t.Fatalf("%s: the page sees the %s scheme, want %s", name, got, scheme)
				}
				tb.screenshot(name, name+".png")
			}
		}
	}
}

// TestGalleryFrameCaptions: the captions read as written, "Phone, 390 px",
// as the browser renders them (a text-transform once made it "390 Px").
func TestGalleryFrameCaptions(t *testing.T) {
	s := startSite(t, nil)
	tb := newTab(t)
	tb.do("open the frames", chromedp.Navigate(s.url+"/dev/gallery/home-logged-in/frames"), chromedp.WaitVisible(byTestID("frame-desktop")))
	got := eval[[]string](tb, "read the captions", `[...document.querySelectorAll("figcaption")].map(c => c.innerText)`)
	want := []string{"Phone, 390 px", "Desktop, 1280 px"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("the frames' captions read %q, want %q", got, want)
	}
}

// TestPanelsKeepTheirSpacing: a form keeps its distance from what comes
// before it, in a panel and on the page (the forms' own margin reset once
// won over both), and a panel holding only a list draws no rule at its
// edges, where its own border already is.
func TestPanelsKeepTheirSpacing(t *testing.T) {
	s := startSite(t, nil)
	tb := newTab(t)
	tb.do("open the picker", chromedp.Navigate(s.url+"/dev/gallery/picker"), chromedp.WaitVisible(byTestID("picker-cancel-form")))
	gaps := eval[map[string]int](tb, "measure the picker", `(() => {
		const box = e => e.getBoundingClientRect(), out = {};
		for (const form of document.querySelectorAll('section.region > form')) {
			out["above " + form.dataset.testid] = Math.round(box(form).top - box(form.previousElementSibling).bottom);
		}
		const cancel = document.querySelector('[data-testid="picker-cancel-form"]');
		out["above the cancel form"] = Math.round(box(cancel).top - box(cancel.previousElementSibling).bottom);
		return out;
	})()`)
	if len(gaps) < 3 {
		t.Fatalf("expected two postings' forms and the cancel form, measured %v", gaps)
	}
	for what, gap := range gaps {
		if gap < 12 {
			t.Errorf("%s: %d px of space, want at least 12 (all: %v)", what, gap, gaps)
		}
	}

	tb.do("open a profile", chromedp.Navigate(s.url+"/dev/gallery/profile-tan-heng-huat"), chromedp.WaitVisible(byTestID("profile-panel")))
	edges := eval[[]string](tb, "read the profile's edge rules", `(() => {
		const fields = document.querySelectorAll('[data-testid="profile-panel"] > dl > .field');
		return [getComputedStyle(fields[0]).borderTopWidth, getComputedStyle(fields[fields.length - 1]).borderBottomWidth];
	})()`)
	if edges[0] != "0px" || edges[1] != "0px" {
		t.Errorf("the profile panel draws rules at its edges (top %s, bottom %s), inside its own border", edges[0], edges[1])
	}
}
