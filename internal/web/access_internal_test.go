package web

import (
	"testing"

	"github.com/sgidweb/sgidweb/internal/access"
	"github.com/sgidweb/sgidweb/internal/config"
	"github.com/sgidweb/sgidweb/internal/session"
)

// allowed is the one check forward auth and the built-in proxy make per
// request: by the posting the session chose, under today's ACCESS_ALLOW.
func TestAllowedChecksTheChosenPostingUnderTodaysPolicy(t *testing.T) {
	sandbox := access.Posting{WorkEmail: "a@sandbox.gov.sg", AgencyName: "Sandbox Statutory Board"}
	mockAffairs := access.Posting{WorkEmail: "a@mma.gov.sg", AgencyName: "Ministry of Mock Affairs"}
	cases := []struct {
		allow   string
		posting *access.Posting
		want    access.Decision
	}{
		{"anyone", nil, access.Decision{Allowed: true}},
		{"agency:Sandbox_Statutory_Board", &sandbox, access.Decision{Allowed: true}},
		// The policy changed after this session chose its posting.
		{"agency:Sandbox_Statutory_Board", &mockAffairs, access.Decision{Reason: access.ReasonPostingNotAllowed}},
		{"public-officer", nil, access.Decision{Reason: access.ReasonNotOfficer}},
	}
	for _, tc := range cases {
		policy, err := access.Parse(tc.allow)
		if err != nil {
			t.Fatal(err)
		}
		s := &Server{cfg: config.Config{Access: policy}}
		if got := s.allowed(session.User{Subject: "s", Posting: tc.posting}); got != tc.want {
			t.Errorf("%s with %v: got %+v, want %+v", tc.allow, tc.posting, got, tc.want)
		}
	}
}
