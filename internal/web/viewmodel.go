package web

import (
	"slices"
	"sort"

	"github.com/a-h/templ"
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
	props := pages.HomeProps{Page: s.page("Home")}
	user, loggedIn := s.sessions.CurrentUser(ctx)
	props.LoginButton = pages.LoginButtonProps{LoggedIn: loggedIn, CSRFToken: s.csrfToken(c)}
	props.Consent = pages.ConsentStatusProps{LoggedIn: loggedIn}
	if !loggedIn {
		props.Consent.Requested = s.requested
		return props
	}
	props.LoginButton.Name = greetingName(user)
	props.Profile = profileProps(user)
	return props
}

// greetingName is the name "Logged in as" shows, under the profile's
// bounds; empty when sgID shared none.
func greetingName(user session.User) string {
	if d := sgid.Format("myinfo.name", user.Name()); !d.NotProvided {
		return d.Text
	}
	return ""
}

// loggedInAccount is who is logged in, with Log out, for the header of a
// page only a logged-in person sees.
func (s *Server) loggedInAccount(c echo.Context, user session.User) templ.Component {
	return pages.LoginButton(pages.LoginButtonProps{LoggedIn: true, CSRFToken: s.csrfToken(c), Name: greetingName(user)})
}

// profileProps is what the profile panel shows for a logged-in person:
// every field asked for or sent, formatted, "Not provided" included.
func profileProps(user session.User) pages.ProfileProps {
	profile := pages.ProfileProps{LoggedIn: true}
	for _, scope := range profileScopes(user) {
		field := fieldProps(sgid.Format(scope, user.Fields[scope]))
		field.TestID = testIDs(scope).field
		profile.Fields = append(profile.Fields, field)
	}
	return profile
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
