package pages

import "github.com/sgidweb/sgidweb/views/layouts"

// SessionsPageID is the id and data-testid of the sessions page's root.
const SessionsPageID = "sessions-page"

// SessionsProps feeds the page where a logged-in person sees where they are
// logged in and ends sessions.
type SessionsProps struct {
	Page      layouts.Page
	Flash     *Flash // nil: no message
	CSRFToken string
	// Sessions are the person's live sessions, earliest login first; one
	// of them is this browser's.
	Sessions []SessionItem
}

// SessionItem is one session as the person sees it, formatted by the
// server.
type SessionItem struct {
	ID       string // names the session in the form that ends it; never the cookie
	Browser  string // coarse: "Chrome on Windows"
	Started  Moment
	LastSeen Moment
	Current  bool // this browser
}

// Moment is a time as the page shows it and as <time datetime> carries it.
type Moment struct {
	Text     string // "3 Mar 2026, 2:05 pm"
	DateTime string // RFC 3339
}

// others counts the sessions that are not this browser's.
func (p SessionsProps) others() int {
	n := 0
	for _, s := range p.Sessions {
		if !s.Current {
			n++
		}
	}
	return n
}
