// Package mocksgid holds the pages of the embedded mock sgID provider: the
// QR and persona picker, the consent screen and the error page. Components
// take props only; the provider in internal/mocksgid does all the work.
package mocksgid

// Page is what every mock page needs from the provider.
type Page struct {
	// StylesheetURL is the path of the mock's own stylesheet.
	StylesheetURL string
	// Theme fixes the colour scheme, "light" or "dark"; empty follows the
	// system. The component gallery sets it.
	Theme string
}

// QRCode is a QR code already turned into an SVG path of dark modules.
type QRCode struct {
	// Content is the text the code encodes (the scan URL).
	Content string
	// Size is the width and height in modules, quiet zone included.
	Size int
	// Path is the SVG path data drawing every dark module.
	Path string
}

// PersonaOption is one button on the persona picker.
type PersonaOption struct {
	ID          string
	Name        string
	Description string
}

// AuthorizeProps drives the login page (QR code and persona picker).
type AuthorizeProps struct {
	Page
	ClientName string
	// QR is the code for the Singpass-app path; nil on the page the scan
	// itself opens, which only needs the picker.
	QR *QRCode
	// ScanURL is the same URL the QR code encodes, offered as a link for
	// people who cannot scan their own screen.
	ScanURL string
	// FormAction is where the persona picker posts.
	FormAction string
	Personas   []PersonaOption
	// ExpiresInMinutes tells people how long the request stays valid.
	ExpiresInMinutes int
}

// ConsentField is one requested data field on the consent screen.
type ConsentField struct {
	Scope   string
	Label   string
	Purpose string
}

// ConsentProps drives the consent screen.
type ConsentProps struct {
	Page
	ClientName  string
	ClientID    string
	PersonaName string
	Fields      []ConsentField
	// RedirectOrigin is the site the person returns to after deciding.
	RedirectOrigin string
	// FormAction is where Allow and Deny post; the persona picked is kept
	// with the request.
	FormAction string
}

// ErrorProps drives the error page.
type ErrorProps struct {
	Page
	Title   string
	Message string
	// Code is a short machine-readable reason, exposed for tests.
	Code string
	// HomeURL is the application's home page, linked as "Back to HomeName"
	// so the person can start again. Empty when the mock cannot trust the
	// application that sent the request.
	HomeURL  string
	HomeName string
}
