package pages_test

import (
	"testing"

	"github.com/sgidweb/sgidweb/views/pages"
)

func TestRefusedSaysWhatTheSiteRequires(t *testing.T) {
	cases := []struct {
		req  pages.Requirement
		want string
	}{
		{pages.Requirement{Kind: pages.RequirePublicOfficer}, "This site is for public officers: people whose Singpass shows a public service posting."},
		{pages.Requirement{Kind: pages.RequireAgency, Values: []string{"Ministry of Health"}}, "This site is for public officers of Ministry of Health."},
		{pages.Requirement{Kind: pages.RequireAgency, Values: []string{"A", "B", "C"}}, "This site is for public officers of A, B or C."},
		{pages.Requirement{Kind: pages.RequireEmailDomain, Values: []string{"tech.gov.sg", "moh.gov.sg"}}, "This site is for public officers with a work email address at tech.gov.sg or moh.gov.sg (subdomains included)."},
	}
	for _, tc := range cases {
		doc := render(t, pages.Refused(pages.RefusedProps{Requirements: []pages.Requirement{tc.req}, RequestID: "req-1"}))
		text(t, one(t, doc, testID("refused-requirements")), tc.want)
		one(t, doc, testID(pages.RequirementTestID(tc.req.Kind)))
	}
}

func TestRefusedListsSeveralRules(t *testing.T) {
	doc := render(t, pages.Refused(pages.RefusedProps{Requirements: []pages.Requirement{
		{Kind: pages.RequireAgency, Values: []string{"GovTech"}},
		{Kind: pages.RequireEmailDomain, Values: []string{"tech.gov.sg"}},
	}}))
	if n := one(t, doc, testID("refused-requirements")).Find("li").Length(); n != 2 {
		t.Errorf("expected two requirements listed, found %d", n)
	}
}

func TestRefusedAtLoginOffersHomeAndAfterAPolicyChangeTheWayOn(t *testing.T) {
	req := []pages.Requirement{{Kind: pages.RequirePublicOfficer}}
	refused := render(t, pages.Refused(pages.RefusedProps{Requirements: req}))
	attr(t, one(t, refused, testID("refused-home")), "href", "/")
	none(t, refused, testID("refused-next"))
	contains(t, one(t, refused, testID("refused-message")), "you are not logged in")

	session := render(t, pages.Refused(pages.RefusedProps{Requirements: req, LoggedIn: true}))
	contains(t, one(t, session, testID("refused-message")), "You are logged in")
	contains(t, one(t, session, testID("refused-next")), "log out, log in again and choose that one")
	none(t, session, testID("refused-home"))
}

func TestPickerOffersEachPostingAsAFormThatWorksWithoutJavaScript(t *testing.T) {
	doc := render(t, pages.Picker(pages.PickerProps{CSRFToken: "tok", Minutes: 10, Postings: []pages.PostingChoice{
		{Value: "0", Title: "Director", Agency: "Ministry of Mock Affairs", Department: "Digital", EmploymentType: "Permanent", WorkEmail: "a@mma.gov.sg"},
		{Value: "1", Title: "Adviser", Agency: "Sandbox Statutory Board"},
	}}))
	for _, v := range []string{"0", "1"} {
		form := one(t, doc, testID(pages.PostingTestID(v)+"-form"))
		attr(t, form, "method", "post")
		attr(t, form, "action", "/auth/posting")
		attr(t, form, "hx-post", "/auth/posting")
		attr(t, one(t, form, `input[name="csrf_token"]`), "value", "tok")
		attr(t, one(t, form, `input[name="posting"]`), "value", v)
		one(t, form, `button[type="submit"]`)
	}
	text(t, one(t, doc, testID(pages.PostingTestID("0")+"-submit")), "Continue as Director, Ministry of Mock Affairs")
	// What sgID did not provide reads as such, never as a blank.
	if n := one(t, doc, testID(pages.PostingTestID("1"))).Find(testID("not-provided")).Length(); n != 3 {
		t.Errorf("expected the three missing values of the second posting shown as not provided, found %d", n)
	}
	cancel := one(t, doc, testID("picker-cancel-form"))
	attr(t, one(t, cancel, `input[name="cancel"]`), "value", "1")
	attr(t, one(t, cancel, `input[name="csrf_token"]`), "value", "tok")
	contains(t, one(t, doc, testID("picker-expiry")), "within 10 minutes")
}

func TestPickerEscapesPostingValues(t *testing.T) {
	hostile := `<script>alert(1)</script> "x" & y`
	doc := render(t, pages.Picker(pages.PickerProps{Postings: []pages.PostingChoice{{Value: "0", Title: hostile, Agency: hostile}}}))
	if doc.Find("main script").Length() != 0 {
		t.Error("a posting value was rendered as markup")
	}
	contains(t, one(t, doc, testID(pages.PostingTestID("0"))), hostile)
}
