package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/sgidweb/sgidweb/internal/mocksgid"
	"github.com/sgidweb/sgidweb/internal/session"
	"github.com/sgidweb/sgidweb/internal/sgid"
	"github.com/sgidweb/sgidweb/views/components/button"
	"github.com/sgidweb/sgidweb/views/layouts"
	"github.com/sgidweb/sgidweb/views/pages"
)

// gallery renders the component gallery. routes.go mounts it in mock mode
// only: it is a tool for people working on the look, not a page for the
// public.
func (s *Server) gallery(c echo.Context) error {
	page := s.page(c, "Component gallery")
	page.Wide = true
	props := GalleryProps(page, s.csrfToken(c))
	return s.render(c, http.StatusOK, pages.Gallery(props), nil)
}

// GalleryProps builds every state the gallery shows, from the mock personas
// and the same words and view models the site uses. It reads no request, so
// the golden tests in views/pages render exactly what /dev/gallery shows.
// csrfToken goes into the login and logout forms, so they work when pressed.
func GalleryProps(page layouts.Page, csrfToken string) pages.GalleryProps {
	return pages.GalleryProps{Page: page, Sections: []pages.GallerySection{
		shellSection(page),
		buttonSection(),
		loginButtonSection(csrfToken),
		flashSection(),
		consentSection(),
		profileSection(),
		errorSection(page.RequestID),
	}}
}

func shellSection(page layouts.Page) pages.GallerySection {
	mock := layouts.Page{MockMode: true, RequestID: page.RequestID}
	live := layouts.Page{RequestID: page.RequestID}
	return pages.GallerySection{ID: "page-shell", Title: "Page shell",
		Description: "The header and footer around every page.",
		States: []pages.GalleryState{
			{ID: "shell-mock", Title: "Against the embedded mock sgID", Note: "Every page warns that logins are not real.", Shell: &mock},
			{ID: "shell-live", Title: "Against sgID", Note: "No warning; the footer keeps the request reference.", Shell: &live},
		}}
}

func buttonSection() pages.GallerySection {
	return pages.GallerySection{ID: "buttons", Title: "Buttons",
		Description: "One primary action per screen; secondary for the rest. A disabled button is what htmx leaves while a request is in flight.",
		States: []pages.GalleryState{
			{ID: "button-primary", Title: "Primary", Button: &button.Props{Label: "Login with sgID", Variant: button.Primary}},
			{ID: "button-primary-disabled", Title: "Primary, disabled", Button: &button.Props{Label: "Login with sgID", Variant: button.Primary, Disabled: true}},
			{ID: "button-secondary", Title: "Secondary", Button: &button.Props{Label: "Log out", Variant: button.Secondary}},
			{ID: "button-secondary-disabled", Title: "Secondary, disabled", Button: &button.Props{Label: "Log out", Variant: button.Secondary, Disabled: true}},
		}}
}

func loginButtonSection(csrfToken string) pages.GallerySection {
	name := personaUser(mocksgid.Personas()[0]).Name()
	return pages.GallerySection{ID: "login-button", Title: "Login button region",
		Description: "The login form, or who is signed in and the logout form. Both work without JavaScript.",
		States: []pages.GalleryState{
			{ID: "login-ready", Title: "Ready", Note: "Nobody is logged in.",
				LoginButton: &pages.LoginButtonProps{CSRFToken: csrfToken}},
			{ID: "login-working", Title: "Working", Note: "After the press, while the server prepares the redirect to sgID: the button is disabled and the indicator shows.",
				LoginButton: &pages.LoginButtonProps{CSRFToken: csrfToken, Working: true}},
			{ID: "logout-ready", Title: "Signed in", Note: "The person shared their name.",
				LoginButton: &pages.LoginButtonProps{LoggedIn: true, CSRFToken: csrfToken, Name: name}},
			{ID: "logout-ready-no-name", Title: "Signed in, name not shared",
				LoginButton: &pages.LoginButtonProps{LoggedIn: true, CSRFToken: csrfToken}},
			{ID: "logout-working", Title: "Logging out",
				LoginButton: &pages.LoginButtonProps{LoggedIn: true, CSRFToken: csrfToken, Name: name, Working: true}},
		}}
}

func flashSection() pages.GallerySection {
	return pages.GallerySection{ID: "flash", Title: "Flash messages",
		Description: "A one-off message above the regions, announced to screen readers. The label says the kind, so colour is never the only signal.",
		States: []pages.GalleryState{
			{ID: "flash-info", Title: "Information", Note: "After the person declined at sgID.",
				Flash: &pages.Flash{Kind: pages.FlashInfo, Message: flashDenied}},
			{ID: "flash-success", Title: "Success", Note: "After logging out.",
				Flash: &pages.Flash{Kind: pages.FlashSuccess, Message: flashLoggedOut}},
			{ID: "flash-error", Title: "Error", Note: "The style for a failure the person can fix on the same page.",
				Flash: &pages.Flash{Kind: pages.FlashError, Message: "Your session ended before the login finished. Please log in again."}},
		}}
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

func consentSection() pages.GallerySection {
	full, _ := userRegions(personaUser(mocksgid.Personas()[0]))
	nameOnly := session.User{Fields: map[string]string{"myinfo.name": "NA"}, Scopes: []string{"openid", "myinfo.name"}}
	nameMissing, _ := userRegions(nameOnly)
	identityOnly, _ := userRegions(session.User{Scopes: []string{"openid"}})
	return pages.GallerySection{ID: "consent-status", Title: "Consent status region",
		Description: "What sgID will ask for before login, and what was shared after.",
		States: []pages.GalleryState{
			{ID: "consent-before-default", Title: "Before login, default scopes", Note: "SGID_SCOPES=\"openid myinfo.name\", what most sites may ask.",
				Consent: &pages.ConsentStatusProps{Requested: consentItems(dataScopes([]string{"openid", "myinfo.name"}))}},
			{ID: "consent-before-every-field", Title: "Before login, every field",
				Consent: &pages.ConsentStatusProps{Requested: consentItems(dataScopes(everyScope()))}},
			{ID: "consent-before-identity-only", Title: "Before login, openid only",
				Consent: &pages.ConsentStatusProps{}},
			{ID: "consent-after-shared", Title: "After login, shared and not provided", Note: "The first persona, asked for every field.",
				Consent: &full},
			{ID: "consent-after-not-provided", Title: "After login, nothing provided", Note: "sgID answered NA for the only field asked.",
				Consent: &nameMissing},
			{ID: "consent-after-identity-only", Title: "After login, openid only",
				Consent: &identityOnly},
			{ID: "consent-denied", Title: "After a denial", Note: "The person declined at sgID; they are not logged in.",
				Consent: &pages.ConsentStatusProps{Denied: true, Requested: consentItems(dataScopes([]string{"openid", "myinfo.name"}))}},
		}}
}

func profileSection() pages.GallerySection {
	sec := pages.GallerySection{ID: "profile-panel", Title: "Profile panel region",
		Description: "The person's data as the site shows it: one entry per field asked for, every field formatted by the catalogue.",
		States: []pages.GalleryState{
			{ID: "profile-anonymous", Title: "Logged out", Profile: &pages.ProfileProps{}},
			{ID: "profile-identity-only", Title: "Logged in, openid only", Note: "sgID confirmed who the person is and shared no data.",
				Profile: &pages.ProfileProps{LoggedIn: true}},
		}}
	for _, p := range mocksgid.Personas() {
		_, profile := userRegions(personaUser(p))
		sec.States = append(sec.States, pages.GalleryState{
			ID: "profile-" + p.ID, Title: "Persona " + p.ID, Note: p.Description, Profile: &profile,
		})
	}
	return sec
}

// personaUser is the session a persona would have after consenting to
// every field.
func personaUser(p mocksgid.Persona) session.User {
	return session.User{Subject: p.Sub, Fields: p.Fields, Scopes: everyScope()}
}

func errorSection(requestID string) pages.GallerySection {
	states := []struct {
		id, note string
		err      *pageError
	}{
		{"error-400-login", "The callback's state did not match a login this browser started.", flowError(session.FlowUnknown)},
		{"error-400-id-token", "The ID token failed a check.", loginError(sgid.ReasonIDTokenInvalid)},
		{"error-403-csrf-origin", "A form was posted from another site.", errCSRFOrigin},
		{"error-403-csrf-token", "A form carried a missing or stale CSRF token.", errCSRFToken},
		{"error-404", "No page at this address.", classify(echo.NewHTTPError(http.StatusNotFound))},
		{"error-429", "One address pressed login or came back from sgID too often in a minute.", errRateLimited},
		{"error-502", "sgID's token endpoint failed.", loginError(sgid.ReasonTokenUpstream)},
		{"error-503-keys", "sgID's keys could not be fetched.", loginError(sgid.ReasonKeysUnavailable)},
		{"error-503-signing-key", "No key of sgID's key set verifies the login, even after fetching it again.", loginError(sgid.ReasonSigningKeyUnknown)},
		{"error-503-sessions", "The session store is not answering.", classify(session.ErrUnavailable)},
		{"error-504", "sgID did not answer in time.", loginError(sgid.ReasonTimeout)},
		{"error-504-request", "The request ran out of time.", classify(context.DeadlineExceeded)},
		{"error-500", "Anything unexpected.", classify(errors.New("unexpected"))},
	}
	sec := pages.GallerySection{ID: "error-page", Title: "Error pages",
		Description: "What the person reads when something fails: plain words, a way to try again and a reference for support."}
	for _, st := range states {
		props := pages.ErrorProps{Status: st.err.status, Title: st.err.title, Message: st.err.message, RetryURL: "/", RequestID: requestID}
		sec.States = append(sec.States, pages.GalleryState{
			ID: st.id, Title: strconv.Itoa(st.err.status) + ": " + st.err.title, Note: st.note + " Reason code: " + st.err.reason + ".", Error: &props,
		})
	}
	return sec
}
