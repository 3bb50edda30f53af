package web

import (
	"sort"

	"github.com/labstack/echo/v4"

	"github.com/sgidweb/sgidweb/internal/session"
	"github.com/sgidweb/sgidweb/internal/sgid"
	"github.com/sgidweb/sgidweb/views/pages"
)

// homeProps gathers everything the home page and its regions show for this
// browser. It reads the session only; nothing here calls sgID. The flash
// message is left in place: only the full home page shows and spends it.
func (s *Server) homeProps(c echo.Context) pages.HomeProps {
	ctx := c.Request().Context()
	props := pages.HomeProps{Page: s.page(c, "Home")}
	csrf := s.sessions.CSRFToken(ctx)
	user, loggedIn := s.sessions.CurrentUser(ctx)
	props.LoginButton = pages.LoginButtonProps{LoggedIn: loggedIn, CSRFToken: csrf}
	props.Consent = pages.ConsentStatusProps{LoggedIn: loggedIn, Denied: !loggedIn && s.sessions.Denied(ctx)}
	props.Profile = pages.ProfileProps{LoggedIn: loggedIn}
	if !loggedIn {
		props.Consent.Requested = consentItems(dataScopes(s.sgid.Scopes()))
		return props
	}
	// The greeting shows the name under the profile's bounds.
	if d := sgid.Format("myinfo.name", user.Name()); !d.NotProvided {
		props.LoginButton.Name = d.Text
	}
	props.Consent, props.Profile = userRegions(user)
	return props
}

// userRegions is what the consent status and the profile panel show for a
// logged-in person: every field formatted, and which were shared.
func userRegions(user session.User) (pages.ConsentStatusProps, pages.ProfileProps) {
	consent := pages.ConsentStatusProps{LoggedIn: true}
	profile := pages.ProfileProps{LoggedIn: true}
	for _, scope := range profileScopes(user) {
		d := sgid.Format(scope, user.Fields[scope])
		item := pages.ConsentItem{Scope: scope, Label: d.Label, Purpose: d.Purpose}
		if d.NotProvided {
			consent.NotProvided = append(consent.NotProvided, item)
		} else {
			consent.Shared = append(consent.Shared, item)
		}
		profile.Fields = append(profile.Fields, fieldProps(d))
	}
	return consent, profile
}

// dataScopes drops openid, which asks for the login itself, not for data.
func dataScopes(scopes []string) []string {
	var out []string
	for _, s := range scopes {
		if s != "openid" {
			out = append(out, s)
		}
	}
	return out
}

// profileScopes lists what to show for a person: the scopes asked for, in
// the configured order, then anything else sgID sent, sorted.
func profileScopes(u session.User) []string {
	seen := make(map[string]bool, len(u.Fields))
	var out []string
	for _, scope := range dataScopes(u.Scopes) {
		seen[scope] = true
		out = append(out, scope)
	}
	var extra []string
	for scope := range u.Fields {
		if !seen[scope] {
			extra = append(extra, scope)
		}
	}
	sort.Strings(extra)
	return append(out, extra...)
}

func consentItems(scopes []string) []pages.ConsentItem {
	items := make([]pages.ConsentItem, 0, len(scopes))
	for _, scope := range scopes {
		f := sgid.Describe(scope)
		items = append(items, pages.ConsentItem{Scope: scope, Label: f.Label, Purpose: f.Purpose})
	}
	return items
}

func fieldProps(d sgid.Display) pages.Field {
	return pages.Field{
		Scope:       d.Scope,
		Label:       d.Label,
		NotProvided: d.NotProvided,
		Kind:        string(d.Kind),
		Text:        d.Text,
		Reveal:      d.Reveal,
		Lines:       d.Lines,
		Columns:     d.Columns,
		Rows:        d.Rows,
		Truncated:   d.Truncated,
	}
}
