package mocksgid

import (
	"github.com/a-h/templ"

	views "github.com/sgidweb/sgidweb/views/mocksgid"
)

// SamplePage is one of the mock's pages as a person meets it, filled with
// an example login request.
type SamplePage struct {
	ID    string // kebab-case, unique among the samples
	Title string
	Note  string // when the page shows, in a line
	Page  templ.Component
}

// sampleRequestID stands in for a request id in the samples, so they render
// the same every time.
const sampleRequestID = "example-request"

// SamplePages are the mock's pages filled with an example request of the
// first registered client, for the component gallery. theme fixes their
// colour scheme ("light" or "dark"; empty follows the system).
func (p *Provider) SamplePages(theme string) []SamplePage {
	page := p.page(theme)
	c := p.firstClient
	req := &authRequest{client: c, redirectURI: c.RedirectURIs[0], scopes: []string{"openid", "myinfo.name", "myinfo.nric_number", "myinfo.date_of_birth", "myinfo.registered_address"}}
	identityOnly := &authRequest{client: c, redirectURI: c.RedirectURIs[0], scopes: []string{"openid"}}
	// The QR code encodes a fixed address; encoding it cannot fail.
	withQR, _ := p.authorizeProps(page, sampleRequestID, req, true)
	phone, _ := p.authorizeProps(page, sampleRequestID, req, false)
	persona := personas[0]
	return []SamplePage{
		{ID: "mock-authorize", Title: "Log in with Singpass app", Note: "The application sent the person here: a QR code for the phone, and the test personas.",
			Page: views.AuthorizePage(withQR)},
		{ID: "mock-scan", Title: "Phone view", Note: "What the QR code opens: the personas alone.",
			Page: views.AuthorizePage(phone)},
		{ID: "mock-consent", Title: "Consent", Note: "After picking a persona: what the application asks for, Deny and Allow.",
			Page: views.ConsentPage(p.consentProps(page, sampleRequestID, req, persona))},
		{ID: "mock-consent-identity-only", Title: "Consent, openid only", Note: "The application asks for no data, only who the person is.",
			Page: views.ConsentPage(p.consentProps(page, sampleRequestID, identityOnly, persona))},
		{ID: "mock-expired", Title: "Login request expired", Note: "Back or reload after the login, a restart of the server, or ten minutes gone: the way back leads to the application.",
			Page: views.ErrorPage(p.expired(page))},
		{ID: "mock-invalid-request", Title: "Login request not valid", Note: "The application's request failed a check that makes redirecting back unsafe.",
			Page: views.ErrorPage(invalidRequest(page, &AuthorizeError{Code: "invalid_request", Description: "redirect_uri is missing or not registered for this client (exact match required)"}))},
	}
}
