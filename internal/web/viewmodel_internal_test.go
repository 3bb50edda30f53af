package web

import (
	"slices"
	"testing"

	"github.com/sgidweb/sgidweb/internal/session"
	"github.com/sgidweb/sgidweb/views/pages"
)

func TestProfileScopesAskedFirstThenExtrasSorted(t *testing.T) {
	u := session.User{
		Scopes: []string{"openid", "myinfo.sex", "myinfo.name", "myinfo.email"},
		Fields: map[string]string{"z.last": "1", "myinfo.name": "TAN", "a.first": "2", "m.middle": "3", "myinfo.sex": "F"},
	}
	want := []string{"myinfo.sex", "myinfo.name", "myinfo.email", "a.first", "m.middle", "z.last"}
	// Map order changes from run to run; a few runs make a missing sort show.
	for range 5 {
		if got := profileScopes(u); !slices.Equal(got, want) {
			t.Fatalf("profileScopes: want %q, got %q", want, got)
		}
	}
}

func TestTestIDsAgreeWithTheViews(t *testing.T) {
	for _, scope := range []string{"openid", "myinfo.name", "myinfo.children_birth_records", "vendor.custom"} {
		ids := testIDs(scope)
		if want := pages.FieldTestID(scope); ids.field != want {
			t.Errorf("%s: field test id: want %q, got %q", scope, want, ids.field)
		}
		if want := pages.ConsentItemTestID(scope); ids.consentItem != want {
			t.Errorf("%s: consent item test id: want %q, got %q", scope, want, ids.consentItem)
		}
	}
}
