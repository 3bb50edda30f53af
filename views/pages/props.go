// Package pages holds the site's pages and their swappable regions. Each
// region's root element has the same kebab-case id and data-testid, which is
// also the name of its /fragments/ route, so htmx and tests can find it.
package pages

import (
	"strings"

	"github.com/sgidweb/sgidweb/views/layouts"
)

// Region ids: the id and data-testid of each region's root element.
const (
	HomePageID      = "home-page"
	ErrorPageID     = "error-page"
	FlashID         = "flash"
	LoginButtonID   = "login-button"
	ConsentStatusID = "consent-status"
	ProfilePanelID  = "profile-panel"
)

// Field kinds: how a profile value is laid out.
const (
	KindText   = "text"
	KindLines  = "lines"
	KindTable  = "table"
	KindMasked = "masked"
)

// Flash kinds.
const (
	FlashInfo    = "info"
	FlashSuccess = "success"
	FlashError   = "error"
)

// ConsentItem is one scope as the person sees it when giving consent.
type ConsentItem struct {
	Scope   string // e.g. "myinfo.name"
	Label   string // e.g. "Name"
	Purpose string // why this site asks for it
	// TestID is the item's data-testid, ConsentItemTestID(Scope). The
	// server fills it from strings made once; empty, the view derives it.
	TestID string
}

func (it ConsentItem) testID() string {
	if it.TestID != "" {
		return it.TestID
	}
	return ConsentItemTestID(it.Scope)
}

// Field is one profile value, already formatted by the server.
type Field struct {
	Scope, Label string
	NotProvided  bool     // sgID returned NA or nothing: shown as "Not provided", never as data
	Kind         string   // KindText (also the fallback for unknown kinds), KindLines, KindTable, KindMasked
	Text         string   // KindText: the value; KindMasked: the masked form
	Reveal       string   // KindMasked: the full value, revealed by <details> without JavaScript
	Lines        []string // KindLines
	Columns      []string // KindTable: column headings
	Rows         [][]string
	Truncated    bool // the value was longer than the site shows; a note says so
	// Revealed renders a masked value opened, as after "Show" is pressed;
	// the component gallery uses it.
	Revealed bool
	// TestID is the field's data-testid, FieldTestID(Scope). The server
	// fills it from strings made once; empty, the view derives it.
	TestID string
}

func (f Field) testID() string {
	if f.TestID != "" {
		return f.TestID
	}
	return FieldTestID(f.Scope)
}

// LoginButtonProps feeds the login/logout region.
type LoginButtonProps struct {
	LoggedIn  bool
	CSRFToken string
	Name      string // the person's display name when logged in; may be empty
	// Working renders the region as htmx leaves it while the login or
	// logout request is in flight: the form carries .htmx-request (which
	// shows the indicator) and the button is disabled. The server never
	// sets it; the component gallery and tests do.
	Working bool
}

// ConsentStatusProps feeds the consent region. Logged in, the region is
// empty: the profile shows what was shared, field by field.
type ConsentStatusProps struct {
	LoggedIn  bool
	Requested []ConsentItem // what sgID will ask for
}

// ProfileProps feeds the profile region.
type ProfileProps struct {
	LoggedIn bool
	Fields   []Field
}

// Flash is a one-off message shown above the regions.
type Flash struct {
	Kind    string // FlashInfo, FlashSuccess or FlashError; unknown kinds show as info
	Message string
}

// HomeProps feeds the home page.
type HomeProps struct {
	Page        layouts.Page
	Flash       *Flash // nil: no message
	LoginButton LoginButtonProps
	Consent     ConsentStatusProps
	Profile     ProfileProps
}

// page is the shell of the home page: logged in, the login region (who is
// logged in, and Log out) goes in the header.
func (p HomeProps) page() layouts.Page {
	pg := p.Page
	if p.LoginButton.LoggedIn {
		pg.Account = LoginButton(p.LoginButton)
	}
	return pg
}

// ErrorProps feeds the error page.
type ErrorProps struct {
	Page    layouts.Page
	Status  int    // HTTP status, shown discreetly; 0 hides it
	Title   string // the heading, e.g. "Login didn't complete"
	Message string // plain words for the person
	// RetryURL is the "Try again" link as it is: it may lead outside the
	// base path, to a guarded app's page. Empty: the site's home.
	RetryURL  string
	RequestID string // shown as "Reference: <id>", for support to find in the logs
}

// ScopeTestID turns a scope into the suffix of a data-testid:
// "myinfo.name" -> "myinfo-name".
func ScopeTestID(scope string) string {
	return strings.ReplaceAll(scope, ".", "-")
}

// FieldTestID is the data-testid of a profile field: "field-myinfo-name".
func FieldTestID(scope string) string { return "field-" + ScopeTestID(scope) }

// ConsentItemTestID is the data-testid of a consent list item:
// "consent-item-myinfo-name".
func ConsentItemTestID(scope string) string { return "consent-item-" + ScopeTestID(scope) }
