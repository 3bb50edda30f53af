package web

import (
	"slices"
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
	csrf := s.csrfToken(c)
	user, loggedIn := s.sessions.CurrentUser(ctx)
	props.LoginButton = pages.LoginButtonProps{LoggedIn: loggedIn, CSRFToken: csrf}
	props.Consent = pages.ConsentStatusProps{LoggedIn: loggedIn, Denied: !loggedIn && s.sessions.Denied(ctx)}
	props.Profile = pages.ProfileProps{LoggedIn: loggedIn}
	if !loggedIn {
		props.Consent.Requested = s.requested
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
		ids := testIDs(scope)
		item := pages.ConsentItem{Scope: scope, Label: d.Label, Purpose: d.Purpose, TestID: ids.consentItem}
		if d.NotProvided {
			consent.NotProvided = append(consent.NotProvided, item)
		} else {
			consent.Shared = append(consent.Shared, item)
		}
		field := fieldProps(d)
		field.TestID = ids.field
		profile.Fields = append(profile.Fields, field)
	}
	return consent, profile
}

// scopeTestIDs are the data-testids of one scope's consent item and profile
// field.
type scopeTestIDs struct{ consentItem, field string }

// catalogueTestIDs holds the test ids of openid and every catalogued field,
// made once: every page view shows some of them.
var catalogueTestIDs = func() map[string]scopeTestIDs {
	ids := map[string]scopeTestIDs{}
	for _, f := range append(sgid.AllFields(), sgid.Describe("openid")) {
		ids[f.Scope] = scopeTestIDs{consentItem: pages.ConsentItemTestID(f.Scope), field: pages.FieldTestID(f.Scope)}
	}
	return ids
}()

// testIDs returns scope's test ids, made on the spot for a scope outside
// the catalogue.
func testIDs(scope string) scopeTestIDs {
	if ids, ok := catalogueTestIDs[scope]; ok {
		return ids
	}
	return scopeTestIDs{consentItem: pages.ConsentItemTestID(scope), field: pages.FieldTestID(scope)}
}

// requestedItems is what the consent region lists before login for a site
// asking for scopes. Every page view shares the slice, so it is clipped:
// appending to it elsewhere copies instead of writing into it.
func requestedItems(scopes []string) []pages.ConsentItem {
	return slices.Clip(consentItems(dataScopes(scopes)))
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
	out := make([]string, 0, len(u.Scopes)+len(u.Fields))
	for _, scope := range u.Scopes {
		if scope != "openid" {
			out = append(out, scope)
		}
	}
	asked := len(out)
	// The scopes asked for are few (the site's configuration), so looking
	// through them beats building a set on every page view.
	for scope := range u.Fields {
		if !slices.Contains(out[:asked], scope) {
			out = append(out, scope)
		}
	}
	sort.Strings(out[asked:])
	return out
}

func consentItems(scopes []string) []pages.ConsentItem {
	items := make([]pages.ConsentItem, 0, len(scopes))
	for _, scope := range scopes {
		f := sgid.Describe(scope)
		items = append(items, pages.ConsentItem{Scope: scope, Label: f.Label, Purpose: f.Purpose, TestID: testIDs(scope).consentItem})
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
