package config

import (
	"errors"
	"strings"
	"testing"
)

func TestAccessAllowDefaultsToAnyone(t *testing.T) {
	cfg, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Access.AdmitsAnyone() {
		t.Errorf("no ACCESS_ALLOW: want anyone, got %q", cfg.Access)
	}
}

func TestAccessAllowIsRead(t *testing.T) {
	cfg, err := Load(env(map[string]string{
		"SGID_SCOPES":  "openid myinfo.name pocdex.public_officer_details",
		"ACCESS_ALLOW": "agency:Ministry_of_Health,GovTech email-domain:tech.gov.sg",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Access.String(); got != "agency:Ministry_of_Health,GovTech email-domain:tech.gov.sg" {
		t.Errorf("policy: got %q", got)
	}
}

func TestAccessAllowErrorsNameTheRuleAndTheFix(t *testing.T) {
	officer := "openid pocdex.public_officer_details"
	cases := []struct {
		name, allow, scopes, words, fix string
	}{
		{"unknown rule", "officers", officer, `rule "officers" is not a rule this site knows`, "public-officer"},
		{"agency name with spaces", "agency:Ministry of Health", officer, `rule "of"`, "agency:NAME"},
		{"domain with @", "email-domain:@tech.gov.sg", officer, "not a domain", "without @"},
		{"public-officer without the scope", "public-officer", "openid myinfo.name", "rule public-officer reads the sgID scope pocdex.public_officer_details, which SGID_SCOPES does not ask for", "add pocdex.public_officer_details to SGID_SCOPES"},
		{"agency without the scope", "agency:GovTech", "openid", "rule agency:GovTech reads", "SGID_SCOPES"},
		{"email-domain without the scope", "email-domain:gov.sg", "openid", "rule email-domain:gov.sg reads", "SGID_SCOPES"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(env(map[string]string{"ACCESS_ALLOW": tc.allow, "SGID_SCOPES": tc.scopes}))
			var found bool
			for _, e := range unwrapAll(err) {
				var ce *Error
				if errors.As(e, &ce) && ce.Variable == "ACCESS_ALLOW" && strings.Contains(ce.Problem, tc.words) && strings.Contains(ce.Fix, tc.fix) {
					found = true
				}
			}
			if !found {
				t.Errorf("ACCESS_ALLOW=%q SGID_SCOPES=%q: want an ACCESS_ALLOW error saying %q with a fix mentioning %q, got:\n%v", tc.allow, tc.scopes, tc.words, tc.fix, err)
			}
		})
	}
}
