package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/sgidweb/sgidweb/internal/access"
	"github.com/sgidweb/sgidweb/internal/mocksgid"
	"github.com/sgidweb/sgidweb/internal/session"
	"github.com/sgidweb/sgidweb/internal/sgid"
	"github.com/sgidweb/sgidweb/views/components/button"
	"github.com/sgidweb/sgidweb/views/components/notice"
	"github.com/sgidweb/sgidweb/views/layouts"
	"github.com/sgidweb/sgidweb/views/pages"
)

// The component gallery: routes.go mounts it in mock mode only, as a tool
// for people working on the look, not a page for the public. Its index
// links every state; each state has a page of its own, and a page that
// shows it at a phone's and a desktop's width.

func (s *Server) gallery(c echo.Context) error {
	page := s.galleryPage(c, "Component gallery")
	props := pages.GalleryProps{Page: page, Sections: s.gallerySections(c, page.Theme)}
	return s.render(c, http.StatusOK, pages.Gallery(props), nil)
}

// galleryState shows one state: a whole page as it is, any other component
// inside a gallery page. The frames page shows it in a frame, so it may be
// framed by this site.
func (s *Server) galleryState(c echo.Context) error {
	found, err := s.requestedGalleryState(c)
	if err != nil {
		return err
	}
	allowFramingBySelf(c)
	if found.state.WholePage {
		return s.render(c, http.StatusOK, found.state.View, nil)
	}
	props := pages.GalleryStateProps{Page: s.galleryPage(c, found.state.Title), Section: found.section, State: found.state, Prev: found.prev, Next: found.next}
	return s.render(c, http.StatusOK, pages.GalleryStatePage(props), nil)
}

func (s *Server) galleryFrames(c echo.Context) error {
	found, err := s.requestedGalleryState(c)
	if err != nil {
		return err
	}
	page := s.galleryPage(c, found.state.Title+": phone and desktop")
	page.Wide = true // the desktop frame is wider than the reading width
	h := c.Response().Header()
	h.Set("Content-Security-Policy", h.Get("Content-Security-Policy")+"; frame-src 'self'")
	return s.render(c, http.StatusOK, pages.GalleryFrames(pages.GalleryFramesProps{Page: page, State: found.state}), nil)
}

// requestedGalleryState is the state the address names, in the theme it
// asks for; 404 for a name the gallery does not have.
func (s *Server) requestedGalleryState(c echo.Context) (foundState, error) {
	found, ok := findGalleryState(s.gallerySections(c, galleryTheme(c)), c.Param("state"))
	if !ok {
		return foundState{}, echo.NewHTTPError(http.StatusNotFound)
	}
	return found, nil
}

// allowFramingBySelf lets this site's pages, and no other, show the
// response in a frame.
func allowFramingBySelf(c echo.Context) {
	h := c.Response().Header()
	h.Set("Content-Security-Policy", strings.Replace(h.Get("Content-Security-Policy"), "frame-ancestors 'none'", "frame-ancestors 'self'", 1))
	h.Set("X-Frame-Options", "SAMEORIGIN")
}

// galleryTheme is the theme the address asks for: ?theme=light or dark;
// anything else follows the system.
func galleryTheme(c echo.Context) string {
	switch t := c.QueryParam("theme"); t {
	case pages.ThemeLight, pages.ThemeDark:
		return t
	}
	return ""
}

func (s *Server) galleryPage(c echo.Context, title string) layouts.Page {
	page := s.page(title)
	page.Theme = galleryTheme(c)
	return page
}

func (s *Server) gallerySections(c echo.Context, theme string) []pages.GallerySection {
	page := s.page("")
	page.Theme = theme
	return GallerySections(page, s.csrfToken(c), RequestID(c.Request().Context()), s.mock)
}

// foundState is a state with its place in the gallery.
type foundState struct {
	state      pages.GalleryState
	section    string
	prev, next pages.GalleryLink
}

func findGalleryState(sections []pages.GallerySection, id string) (foundState, bool) {
	var all []pages.GalleryState
	var sectionOf []string
	for _, sec := range sections {
		for _, st := range sec.States {
			all = append(all, st)
			sectionOf = append(sectionOf, sec.Title)
		}
	}
	for i, st := range all {
		if st.ID != id {
			continue
		}
		f := foundState{state: st, section: sectionOf[i]}
		if i > 0 {
			f.prev = pages.GalleryLink{ID: all[i-1].ID, Title: all[i-1].Title}
		}
		if i+1 < len(all) {
			f.next = pages.GalleryLink{ID: all[i+1].ID, Title: all[i+1].Title}
		}
		return f, true
	}
	return foundState{}, false
}

// GallerySections builds every state the gallery shows, from the mock
// personas and the same words and view models the site uses. It reads no
// request, so the golden test renders exactly what /dev/gallery shows.
// page is the shell of the whole-page states (its Theme fixes theirs);
// csrfToken goes into the forms, so they work when pressed; requestID is
// the reference on the error pages; mock provides the mock's own pages.
//
// Each state is one line: an id, a title, when it happens, and the
// component. A whole page goes through wholePage.
func GallerySections(page layouts.Page, csrfToken, requestID string, mock *mocksgid.Provider) []pages.GallerySection {
	persona := mocksgid.Personas()[0]
	user := personaUser(persona)
	name := sgid.Format("myinfo.name", user.Name()).Text
	revealed := profileProps(user)
	for i := range revealed.Fields {
		revealed.Fields[i].Revealed = true
	}
	defaultScopes := consentItems(dataScopes([]string{"openid", "myinfo.name"}))

	home := func(loggedIn bool, flash *pages.Flash, adjust func(*layouts.Page)) pages.HomeProps {
		p := pages.HomeProps{Page: withTitle(page, "Home"), Flash: flash, LoginButton: pages.LoginButtonProps{LoggedIn: loggedIn, CSRFToken: csrfToken}}
		if loggedIn {
			p.LoginButton.Name, p.Consent, p.Profile = name, pages.ConsentStatusProps{LoggedIn: true}, profileProps(user)
		} else {
			p.Consent.Requested = consentItems(dataScopes(everyScope()))[:4]
		}
		if adjust != nil {
			adjust(&p.Page)
		}
		return p
	}
	live := func(p *layouts.Page) { p.MockMode = false }
	masthead := func(p *layouts.Page) { p.Masthead = true }

	return []pages.GallerySection{
		{ID: "pages", Title: "Pages", Description: "Whole pages as people meet them. \"Phone and desktop\" shows each at both widths.", States: []pages.GalleryState{
			wholePage("home-logged-out", "Home, logged out", "The first page: the login button and what sgID will ask for.", pages.Home(home(false, nil, nil))),
			wholePage("home-logged-in", "Home, logged in", "After Allow at sgID: the person's data, and Log out in the header.", pages.Home(home(true, nil, nil))),
			wholePage("home-denied", "Home, after Deny at sgID", "One message says what happened.", pages.Home(home(false, &pages.Flash{Kind: pages.FlashInfo, Message: flashDenied}, nil))),
			wholePage("home-logged-out-again", "Home, after Log out", "", pages.Home(home(false, &pages.Flash{Kind: pages.FlashSuccess, Message: flashLoggedOut}, nil))),
			wholePage("home-live", "Home against the real sgID", "No development banner.", pages.Home(home(false, nil, live))),
			wholePage("home-masthead", "Home with the Singapore Government masthead", "MASTHEAD=1, for an agency's site.", pages.Home(home(true, nil, masthead))),
			wholePage("sessions", "Your sessions", "Logged in in three browsers: the other two can be ended.", pages.Sessions(sampleSessions(page, csrfToken, 3))),
			wholePage("sessions-only-this", "Your sessions, this browser only", "", pages.Sessions(sampleSessions(page, csrfToken, 1))),
			wholePage("sessions-ended-one", "Your sessions, one just ended", "After \"End\" on another browser's session.", pages.Sessions(withSessionsFlash(sampleSessions(page, csrfToken, 2), pages.FlashSuccess, flashSessionEnded))),
			wholePage("sessions-ended-others", "Your sessions, all others just ended", "After \"End all other sessions\".", pages.Sessions(withSessionsFlash(sampleSessions(page, csrfToken, 1), pages.FlashSuccess, flashOthersEnded(2)))),
			wholePage("sessions-already-gone", "Your sessions, the one to end had already ended", "Ended from another browser, or expired, before the form was sent.", pages.Sessions(withSessionsFlash(sampleSessions(page, csrfToken, 1), pages.FlashInfo, flashSessionGone))),
		}},
		{ID: "buttons", Title: "Buttons", Description: "One primary action per screen; secondary for the rest. A disabled button is what htmx leaves while a request is in flight.", States: []pages.GalleryState{
			{ID: "button-primary", Title: "Primary", View: button.Submit(button.Props{Label: "Log in with sgID"})},
			{ID: "button-primary-disabled", Title: "Primary, disabled", View: button.Submit(button.Props{Label: "Log in with sgID", Disabled: true})},
			{ID: "button-secondary", Title: "Secondary", View: button.Submit(button.Props{Label: "Log out", Variant: button.Secondary})},
			{ID: "button-secondary-disabled", Title: "Secondary, disabled", View: button.Submit(button.Props{Label: "Log out", Variant: button.Secondary, Disabled: true})},
			{ID: "focus-and-hover", Title: "Focus and hover", Note: "Links, buttons and the reveal control at rest, under the pointer and with keyboard focus.", View: pages.GalleryFocusAndHover()},
		}},
		{ID: "notices", Title: "Notices", Description: "A message box; its label names the kind, so colour is never the only signal.", States: []pages.GalleryState{
			{ID: "notice-info", Title: "Information", View: pages.GalleryNotice(notice.Info, "sgID is slow to answer today.")},
			{ID: "notice-success", Title: "Success", View: pages.GalleryNotice(notice.Success, flashLoggedOut)},
			{ID: "notice-warning", Title: "Warning", View: pages.GalleryNotice(notice.Warning, "Your session ends in two minutes.")},
			{ID: "notice-error", Title: "Error", View: pages.GalleryNotice(notice.Error, "Your session ended before the login finished. Please log in again.")},
		}},
		{ID: "flash", Title: "Flash messages", Description: "A one-off message at the top of the page, announced to screen readers.", States: []pages.GalleryState{
			{ID: "flash-info", Title: "Information", Note: "After the person declined at sgID.", View: pages.FlashMessage(pages.Flash{Kind: pages.FlashInfo, Message: flashDenied})},
			{ID: "flash-success", Title: "Success", Note: "After logging out.", View: pages.FlashMessage(pages.Flash{Kind: pages.FlashSuccess, Message: flashLoggedOut})},
			{ID: "flash-error", Title: "Error", Note: "For a failure the person can fix on the same page.", View: pages.FlashMessage(pages.Flash{Kind: pages.FlashError, Message: "Your session ended before the login finished. Please log in again."})},
		}},
		{ID: pages.LoginButtonID, Title: "Login region", Description: "The login form, or who is logged in and Log out (in the header). Both work without JavaScript.", States: []pages.GalleryState{
			{ID: "login-ready", Title: "Ready", Note: "Nobody is logged in.", View: pages.LoginButton(pages.LoginButtonProps{CSRFToken: csrfToken})},
			{ID: "login-working", Title: "Working", Note: "After the press, while the server prepares the redirect to sgID.", View: pages.LoginButton(pages.LoginButtonProps{CSRFToken: csrfToken, Working: true})},
			{ID: "logout-ready", Title: "Logged in", Note: "The person shared their name.", View: pages.LoginButton(pages.LoginButtonProps{LoggedIn: true, CSRFToken: csrfToken, Name: name})},
			{ID: "logout-ready-no-name", Title: "Logged in, name not shared", View: pages.LoginButton(pages.LoginButtonProps{LoggedIn: true, CSRFToken: csrfToken})},
			{ID: "logout-working", Title: "Logging out", View: pages.LoginButton(pages.LoginButtonProps{LoggedIn: true, CSRFToken: csrfToken, Name: name, Working: true})},
		}},
		{ID: pages.ConsentStatusID, Title: "Consent region", Description: "What sgID will ask for, before login. The list spans its card at any count.", States: []pages.GalleryState{
			{ID: "consent-one-field", Title: "One field", Note: "SGID_SCOPES=\"openid myinfo.name\", what most sites may ask.", View: pages.ConsentStatus(pages.ConsentStatusProps{Requested: defaultScopes})},
			{ID: "consent-three-fields", Title: "Three fields", View: pages.ConsentStatus(pages.ConsentStatusProps{Requested: consentItems(dataScopes(everyScope()))[:3]})},
			{ID: "consent-every-field", Title: "Every field", View: pages.ConsentStatus(pages.ConsentStatusProps{Requested: consentItems(dataScopes(everyScope()))})},
			{ID: "consent-identity-only", Title: "openid only", View: pages.ConsentStatus(pages.ConsentStatusProps{})},
		}},
		{ID: pages.ProfilePanelID, Title: "Profile region", Description: "The person's data: one entry per field asked for, each formatted by the catalogue.", States: append([]pages.GalleryState{
			{ID: "profile-identity-only", Title: "openid only", Note: "sgID confirmed who the person is and shared no data.", View: pages.ProfilePanel(pages.ProfileProps{LoggedIn: true})},
			{ID: "profile-nric-revealed", Title: "NRIC number revealed", Note: "After pressing \"Show full NRIC number\".", View: pages.ProfilePanel(revealed)},
		}, personaProfiles()...)},
		accessSection(page, csrfToken, requestID),
		errorSection(page, requestID),
		mockSection(mock, page.Theme),
	}
}

// accessSection holds the pages of ACCESS_ALLOW: the posting picker, with
// the two-posting officer's postings, and the refusal for each kind of rule.
func accessSection(page layouts.Page, csrfToken, requestID string) pages.GallerySection {
	siti, _ := mocksgid.PersonaByID("siti-public-officer")
	picker := pages.PickerProps{Page: withTitle(page, "Choose a posting"), CSRFToken: csrfToken, Minutes: int(session.FlowMaxAge.Minutes()),
		Postings: postingChoices(access.ParsePostings(siti.Fields[access.OfficerScope]))}
	working := picker
	working.Working = true
	refused := func(allow string, loggedIn bool) pages.RefusedProps {
		policy, err := access.Parse(allow)
		if err != nil {
			panic("web: gallery policy " + allow + ": " + err.Error())
		}
		p := pages.RefusedProps{Page: withTitle(page, "This site is not open to you"), Requirements: requirements(policy), LoggedIn: loggedIn, RequestID: requestID}
		if loggedIn {
			p.Page.Account = pages.LoginButton(pages.LoginButtonProps{LoggedIn: true, CSRFToken: csrfToken, Name: siti.Name})
		}
		return p
	}
	return pages.GallerySection{ID: "access", Title: "Who may enter (ACCESS_ALLOW)",
		Description: "The posting picker for an officer with several postings, and the 403 page for a person the site's rules turn away: it describes the rules, never the person.", States: []pages.GalleryState{
			wholePage("picker", "Choose a posting", "After consent, for an officer with two postings that pass; the second's department is NA.", pages.Picker(picker)),
			wholePage("picker-working", "Choose a posting, sending", "While htmx sends the first choice.", pages.Picker(working)),
			wholePage("refused-public-officer", "Refused: public officers only", "ACCESS_ALLOW=public-officer, and sgID shows no posting.", pages.Refused(refused("public-officer", false))),
			wholePage("refused-agency", "Refused: named agencies only", "ACCESS_ALLOW=agency:Ministry_of_Health,Health_Promotion_Board", pages.Refused(refused("agency:Ministry_of_Health,Health_Promotion_Board", false))),
			wholePage("refused-email-domain", "Refused: work email domains only", "ACCESS_ALLOW=email-domain:moh.gov.sg", pages.Refused(refused("email-domain:moh.gov.sg", false))),
			wholePage("refused-several-rules", "Refused: several rules", "ACCESS_ALLOW=agency:Ministry_of_Health email-domain:hpb.gov.sg", pages.Refused(refused("agency:Ministry_of_Health email-domain:hpb.gov.sg", false))),
			wholePage("refused-after-policy-change", "Refused while logged in", "ACCESS_ALLOW changed and the chosen posting no longer passes: forward auth and the proxy answer this.", pages.Refused(refused("agency:Ministry_of_Health", true))),
		}}
}

// personaProfiles shows each mock persona's data, as after consenting to
// every field.
func personaProfiles() []pages.GalleryState {
	var states []pages.GalleryState
	for _, p := range mocksgid.Personas() {
		states = append(states, pages.GalleryState{ID: "profile-" + p.ID, Title: "Persona " + p.ID, Note: p.Description, View: pages.ProfilePanel(profileProps(personaUser(p)))})
	}
	return states
}

// sampleSessions is the sessions page of a person logged in in n browsers,
// this one first, at fixed times.
func sampleSessions(page layouts.Page, csrfToken string, n int) pages.SessionsProps {
	began := time.Date(2026, 3, 2, 9, 15, 0, 0, sessionTimeZone)
	browsers := []string{"Chrome on Windows", "Safari on iPhone", "Firefox on Linux"}
	var list []session.SessionInfo
	for i := range n {
		list = append(list, session.SessionInfo{ID: "session-" + strconv.Itoa(i+1), Browser: browsers[i%len(browsers)], Current: i == 0,
			Started: began.Add(time.Duration(i) * 26 * time.Hour), LastSeen: began.Add(time.Duration(i)*26*time.Hour + 40*time.Minute)})
	}
	page = withTitle(page, "Your sessions")
	page.Account = pages.LoginButton(pages.LoginButtonProps{LoggedIn: true, CSRFToken: csrfToken, Name: "TAN HENG HUAT"})
	return pages.SessionsProps{Page: page, CSRFToken: csrfToken, Sessions: sessionItems(list, began.Add(time.Hour))}
}

// withSessionsFlash is the sessions page as it shows after one of its forms.
func withSessionsFlash(p pages.SessionsProps, kind, message string) pages.SessionsProps {
	p.Flash = &pages.Flash{Kind: kind, Message: message}
	return p
}

// wholePage is a gallery state that is a whole page.
func wholePage(id, title, note string, view templ.Component) pages.GalleryState {
	return pages.GalleryState{ID: id, Title: title, Note: note, View: view, WholePage: true}
}

func withTitle(page layouts.Page, title string) layouts.Page {
	page.Title = title
	return page
}

// everyScope asks for openid and every catalogued field, as a public
// agency with sgID's approval for all of them would.
func everyScope() []string {
	scopes := []string{"openid"}
	for _, f := range sgid.AllFields() {
		scopes = append(scopes, f.Scope)
	}
	return scopes
}

// personaUser is the session a persona would have after consenting to
// every field.
func personaUser(p mocksgid.Persona) session.User {
	return session.User{Subject: p.Sub, Fields: p.Fields, Scopes: everyScope()}
}

// sampleGuardedAddress is a page of the guarded app, for the 502 page's
// Try again. The app's addresses lie outside BASE_PATH, so it is the same
// under any base path.
const sampleGuardedAddress = "/app/page?x=1"

func errorSection(page layouts.Page, requestID string) pages.GallerySection {
	states := []struct {
		id, note string
		err      *pageError
	}{
		{"error-no-login-in-progress", "The callback came to a browser that started no login, or finished it already.", flowError(session.FlowNone)},
		{"error-login-took-too-long", "The person took more than ten minutes at sgID.", flowError(session.FlowExpired)},
		{"error-state-mismatch", "The callback's state did not match a login this browser started.", flowError(session.FlowUnknown)},
		{"error-id-token-invalid", "The ID token failed a check.", loginError(sgid.ReasonIDTokenInvalid)},
		{"error-csrf-origin", "A form was posted from another site.", errCSRFOrigin},
		{"error-csrf-token", "A form carried a missing or stale CSRF token.", errCSRFToken},
		{"error-not-found", "No page at this address.", classify(echo.NewHTTPError(http.StatusNotFound))},
		{"error-rate-limited", "One address pressed login or came back from sgID too often in a minute.", errRateLimited},
		{"error-token-upstream", "sgID's token endpoint failed.", loginError(sgid.ReasonTokenUpstream)},
		{"error-keys-unavailable", "sgID's keys could not be fetched.", loginError(sgid.ReasonKeysUnavailable)},
		{"error-signing-key-unknown", "No key of sgID's key set verifies the login, even after fetching it again.", loginError(sgid.ReasonSigningKeyUnknown)},
		{"error-sessions-unavailable", "The session store is not answering.", classify(session.ErrUnavailable)},
		{"error-sgid-timeout", "sgID did not answer in time.", loginError(sgid.ReasonTimeout)},
		{"error-request-timeout", "The request ran out of time.", classify(context.DeadlineExceeded)},
		{"error-upstream-unavailable", "With UPSTREAM_URL, the guarded app did not answer; Try again asks for the same address again.", errUpstream.retryAt(sampleGuardedAddress)},
		{"error-internal", "Anything unexpected.", classify(errors.New("unexpected"))},
	}
	sec := pages.GallerySection{ID: pages.ErrorPageID, Title: "Error pages",
		Description: "What the person reads when something fails: plain words, a way to try again, and a reference to quote to support."}
	for _, st := range states {
		props := pages.ErrorProps{Page: withTitle(page, st.err.title), Status: st.err.status, Title: st.err.title, Message: st.err.message, RetryURL: st.err.retryURL, RequestID: requestID}
		title := strconv.Itoa(st.err.status) + ": " + st.err.title
		sec.States = append(sec.States, wholePage(st.id, title, st.note+" Reason code: "+st.err.reason+".", pages.ErrorPage(props)))
	}
	return sec
}

// mockSection holds the embedded mock sgID's pages.
func mockSection(mock *mocksgid.Provider, theme string) pages.GallerySection {
	sec := pages.GallerySection{ID: "mock-sgid", Title: "Mock sgID pages",
		Description: "The embedded mock's own pages, which stand in for sgID and the Singpass app in development."}
	for _, sp := range mock.SamplePages(theme) {
		sec.States = append(sec.States, wholePage(sp.ID, sp.Title, sp.Note, sp.Page))
	}
	return sec
}
