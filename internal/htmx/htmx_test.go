package htmx

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRedirect(t *testing.T) {
	cases := []struct {
		name       string
		hxRequest  bool
		wantStatus int
		wantHeader string
	}{
		{"plain browser gets 303", false, http.StatusSeeOther, "Location"},
		{"htmx gets HX-Redirect", true, http.StatusNoContent, "HX-Redirect"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/auth/login", nil)
			if tc.hxRequest {
				r.Header.Set("HX-Request", "true")
			}
			w := httptest.NewRecorder()
			Redirect(w, r, "https://sgid.example/authorize")
			if w.Code != tc.wantStatus {
				t.Errorf("status: want %d, got %d", tc.wantStatus, w.Code)
			}
			if got := w.Header().Get(tc.wantHeader); got != "https://sgid.example/authorize" {
				t.Errorf("%s: want the target, got %q", tc.wantHeader, got)
			}
			if tc.hxRequest && w.Header().Get("Location") != "" {
				t.Errorf("htmx answer must not carry Location (htmx would follow it as a fetch)")
			}
		})
	}
}

func TestIsFragmentRequest(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	if IsFragmentRequest(r) {
		t.Error("a plain request is not a fragment request")
	}
	r.Header.Set("HX-Request", "true")
	if !IsFragmentRequest(r) {
		t.Error("an htmx request is a fragment request")
	}
	r.Header.Set("HX-Boosted", "true")
	if IsFragmentRequest(r) {
		t.Error("a boosted navigation needs the whole page")
	}
}
