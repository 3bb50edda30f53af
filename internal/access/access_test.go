package access

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

var (
	mockAffairs = Posting{WorkEmail: "siti_rahman@mma.gov.sg", AgencyName: "Ministry of Mock Affairs", DepartmentName: "Digital Services Division", EmploymentType: "Permanent", EmploymentTitle: "Deputy Director"}
	sandbox     = Posting{WorkEmail: "siti_rahman@sandbox.gov.sg", AgencyName: "Sandbox Statutory Board", DepartmentName: "NA", EmploymentType: "Secondment", EmploymentTitle: "Senior Policy Adviser"}
	culture     = Posting{WorkEmail: "NA", AgencyName: "Ministry of Culture, Community and Youth", DepartmentName: "NA", EmploymentType: "NA", EmploymentTitle: "NA"}
	allNA       = Posting{WorkEmail: "NA", AgencyName: "NA", DepartmentName: "NA", EmploymentType: "NA", EmploymentTitle: "NA"}
)

func mustParse(t *testing.T, raw string) Policy {
	t.Helper()
	p, err := Parse(raw)
	if err != nil {
		t.Fatalf("Parse(%q): %v", raw, err)
	}
	return p
}

func TestEachRuleAdmitsWhomItNames(t *testing.T) {
	cases := []struct {
		policy string
		admits []*Posting // every case also checks nil (no posting)
		nobody bool       // whether nil is admitted
		refuse []*Posting
	}{
		{"", []*Posting{&mockAffairs, &allNA}, true, nil},
		{"anyone", []*Posting{&mockAffairs, &allNA}, true, nil},
		{"public-officer", []*Posting{&mockAffairs, &sandbox, &allNA}, false, nil},
		{"agency:Ministry_of_Mock_Affairs", []*Posting{&mockAffairs}, false, []*Posting{&sandbox, &allNA}},
		{"agency:ministry-of-mock-affairs,Sandbox_Statutory_Board", []*Posting{&mockAffairs, &sandbox}, false, []*Posting{&allNA}},
		{"agency:Ministry_of_Culture_Community_and_Youth", []*Posting{&culture}, false, []*Posting{&mockAffairs}},
		{"AGENCY:MINISTRY_OF_CULTURE_COMMUNITY_AND_YOUTH", []*Posting{&culture}, false, nil},
		{"agency:Ministry_of_Mock", nil, false, []*Posting{&mockAffairs}},
		{"agency:Ministry_of_Mock_Affairs_Holdings", nil, false, []*Posting{&mockAffairs}},
		{"email-domain:mma.gov.sg", []*Posting{&mockAffairs}, false, []*Posting{&sandbox, &allNA, &culture}},
		{"email-domain:gov.sg", []*Posting{&mockAffairs, &sandbox}, false, []*Posting{&allNA}},
		{"email-domain:MMA.GOV.SG,example.org", []*Posting{&mockAffairs}, false, []*Posting{&sandbox}},
		{"email-domain:ma.gov.sg", nil, false, []*Posting{&mockAffairs}},
		{"public-officer agency:Nowhere", []*Posting{&allNA, &mockAffairs}, false, nil},
		{"agency:Nowhere email-domain:sandbox.gov.sg", []*Posting{&sandbox}, false, []*Posting{&mockAffairs}},
	}
	for _, tc := range cases {
		t.Run(tc.policy, func(t *testing.T) {
			p := mustParse(t, tc.policy)
			if got := p.Admits(nil); got != tc.nobody {
				t.Errorf("no posting: admitted %v, want %v", got, tc.nobody)
			}
			for _, post := range tc.admits {
				if !p.Admits(post) {
					t.Errorf("want %+v admitted, it was refused", *post)
				}
			}
			for _, post := range tc.refuse {
				if p.Admits(post) {
					t.Errorf("want %+v refused, it was admitted", *post)
				}
			}
		})
	}
}

func TestEmailDomainMatchesOnlyWholeAddresses(t *testing.T) {
	p := mustParse(t, "email-domain:gov.sg")
	for email, want := range map[string]bool{
		"a@gov.sg":             true,
		"a@tech.gov.sg":        true,
		"A@Tech.GOV.SG":        true,
		" a@tech.gov.sg ":      true,
		"a@gov.sg.":            true,
		"a@notgov.sg":          false,
		"a@gov.sg.evil.com":    false,
		"a@evil.com@gov.sg":    false,
		"a@gov.sg@x.gov.sg":    false,
		"gov.sg":               false,
		"@gov.sg":              false,
		"a@":                   false,
		"NA":                   false,
		"na":                   false,
		"":                     false,
		"a b@gov.sg":           false,
		"a@gov.sg\n@evil.com":  false,
		"a@evil.com\nb@gov.sg": false,
		// Not a domain name: an empty label, or a label that is not
		// ASCII (rules are ASCII, so internationalised names compare in
		// their xn-- form).
		"a@.gov.sg":              false,
		"a@x..gov.sg":            false,
		"a@gov.sg..":             false,
		"a@b\u00fccher.gov.sg":   false,
		"a@xn--bcher-kva.gov.sg": true,
	} {
		if got := p.Admits(&Posting{WorkEmail: email, AgencyName: "Ministry of Mock Affairs"}); got != want {
			t.Errorf("work_email %q: admitted %v, want %v", email, got, want)
		}
	}
}

// Case folding must not make a domain of another: the Kelvin sign (U+212A)
// folds to an ASCII k.
func TestEmailDomainFoldsASCIICaseOnly(t *testing.T) {
	p := mustParse(t, "email-domain:mk.gov.sg")
	if p.Admits(&Posting{WorkEmail: "a@m\u212A.gov.sg"}) {
		t.Error("a@m\u212A.gov.sg was admitted by email-domain:mk.gov.sg")
	}
	if !p.Admits(&Posting{WorkEmail: "a@MK.gov.sg"}) {
		t.Error("a@MK.gov.sg was refused by email-domain:mk.gov.sg")
	}
}

func TestAgencyNANeverMatches(t *testing.T) {
	p := mustParse(t, "agency:Ministry_of_Mock_Affairs email-domain:mma.gov.sg")
	if p.Admits(&allNA) || p.Admits(&Posting{}) {
		t.Error("a posting whose agency and email are NA was admitted")
	}
}

func TestParseRefusesUnusableRules(t *testing.T) {
	cases := []struct {
		raw, rule, problem string
	}{
		{"officer", "officer", "is not a rule this site knows"},
		{"agency:Ministry of Health", "of", "write the name's spaces as underscores"},
		{"agency", "agency", "names no agency"},
		{"agency:", "agency:", "empty agency name"},
		{"agency:A,,B", "agency:A,,B", "empty agency name"},
		{"agency:___", "agency:___", "no letter or digit"},
		{"agency:Ministry_of_Culture,_Community_and_Youth", "agency:Ministry_of_Culture,_Community_and_Youth", "a comma in an agency's name"},
		{"agency:NA", "agency:NA", `"NA"`},
		{"email-domain", "email-domain", "names no domain"},
		{"email-domain:", "email-domain:", "empty domain"},
		{"email-domain:@gov.sg", "email-domain:@gov.sg", "address, not a domain"},
		{"email-domain:.gov.sg", "email-domain:.gov.sg", "starts or ends with a dot"},
		{"email-domain:sg", "email-domain:sg", "at least two labels"},
		{"email-domain:gov..sg", "email-domain:gov..sg", "not a domain name"},
		{"email-domain:-a.gov.sg", "email-domain:-a.gov.sg", "not a domain name"},
		{"email-domain:gov_sg.com", "email-domain:gov_sg.com", "not a domain name"},
		{"email-domain:m\u212A.gov.sg", "email-domain:m\u212A.gov.sg", "not a domain name"},
		{"anyone:x", "anyone:x", "takes no list"},
		{"public-officer:x", "public-officer:x", "takes no list"},
		{"anyone public-officer", "anyone", "admits everybody"},
	}
	for _, tc := range cases {
		t.Run(tc.raw, func(t *testing.T) {
			_, err := Parse(tc.raw)
			var re *RuleError
			if !errors.As(err, &re) {
				t.Fatalf("Parse(%q): want a *RuleError, got %v", tc.raw, err)
			}
			if re.Rule != tc.rule || !strings.Contains(re.Problem, tc.problem) || re.Fix == "" {
				t.Errorf("Parse(%q): want rule %q with a problem containing %q and a fix, got %+v", tc.raw, tc.rule, tc.problem, *re)
			}
		})
	}
}

func TestParseReportsEveryBadRule(t *testing.T) {
	_, err := Parse("officer agency: email-domain:sg public-officer")
	var all interface{ Unwrap() []error }
	if !errors.As(err, &all) || len(all.Unwrap()) != 3 {
		t.Fatalf("want three joined rule errors, got %v", err)
	}
}

func TestPolicyStringIsCanonical(t *testing.T) {
	for raw, want := range map[string]string{
		"":                                     "anyone",
		"  anyone  ":                           "anyone",
		"Public-Officer":                       "public-officer",
		"agency:ministry-of-health,GovTech":    "agency:ministry_of_health,GovTech",
		"email-domain:TECH.gov.sg\tagency:A_B": "email-domain:tech.gov.sg agency:A_B",
	} {
		p := mustParse(t, raw)
		if got := p.String(); got != want {
			t.Errorf("Parse(%q).String() = %q, want %q", raw, got, want)
		}
		if again := mustParse(t, p.String()); !reflect.DeepEqual(again, p) {
			t.Errorf("%q does not parse back to the same policy", p.String())
		}
	}
}

func TestRulesSpellAgenciesForPeople(t *testing.T) {
	rules := mustParse(t, "agency:Ministry_of_Culture_Community_and_Youth,GovTech").Rules()
	if want := []string{"Ministry of Culture Community and Youth", "GovTech"}; len(rules) != 1 || !reflect.DeepEqual(rules[0].Values, want) {
		t.Errorf("want one agency rule with %q, got %+v", want, rules)
	}
	if r := Anyone().Rules(); len(r) != 1 || r[0].Kind != KindAnyone {
		t.Errorf("the default policy's rules: want [anyone], got %+v", r)
	}
}

func TestRequiredScopes(t *testing.T) {
	for raw, need := range map[string]bool{"": false, "anyone": false, "public-officer": true, "agency:X": true, "email-domain:gov.sg": true} {
		p := mustParse(t, raw)
		err := p.CheckScopes([]string{"openid", "myinfo.name"})
		var missing *MissingScopeError
		if got := errors.As(err, &missing); got != need {
			t.Errorf("%q without the officer scope: error %v, want one: %v", raw, err, need)
		}
		if need && (missing.Scope != OfficerScope || !strings.Contains(raw, missing.Rule)) {
			t.Errorf("%q: the error names rule %q and scope %q", raw, missing.Rule, missing.Scope)
		}
		if err := p.CheckScopes([]string{"openid", OfficerScope}); err != nil {
			t.Errorf("%q with the officer scope: %v", raw, err)
		}
	}
}

func TestDecideLogin(t *testing.T) {
	two := []Posting{mockAffairs, sandbox}
	cases := []struct {
		policy   string
		postings []Posting
		allowed  bool
		reason   Reason
		offered  []Posting
	}{
		{"anyone", nil, true, "", nil},
		{"anyone", two, true, "", two},
		{"public-officer", nil, false, ReasonNotOfficer, nil},
		{"public-officer", two, true, "", two},
		{"public-officer", []Posting{allNA}, true, "", []Posting{allNA}},
		{"agency:Sandbox_Statutory_Board", two, true, "", []Posting{sandbox}},
		{"agency:Sandbox_Statutory_Board", nil, false, ReasonNotOfficer, nil},
		{"agency:Nowhere", two, false, ReasonPostingNotAllowed, nil},
		{"email-domain:mma.gov.sg", two, true, "", []Posting{mockAffairs}},
		{"email-domain:gov.sg", two, true, "", two},
		{"email-domain:example.org", two, false, ReasonPostingNotAllowed, nil},
		{"email-domain:example.org", []Posting{allNA}, false, ReasonPostingNotAllowed, nil},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%d", tc.policy, len(tc.postings)), func(t *testing.T) {
			d, offered := mustParse(t, tc.policy).DecideLogin(tc.postings)
			if d.Allowed != tc.allowed || d.Reason != tc.reason || !reflect.DeepEqual(offered, tc.offered) {
				t.Errorf("got %+v offering %v, want allowed=%v reason=%q offering %v", d, offered, tc.allowed, tc.reason, tc.offered)
			}
		})
	}
}

func TestCheckOfALoggedInSession(t *testing.T) {
	strict := mustParse(t, "agency:Sandbox_Statutory_Board")
	if d := strict.Check(&sandbox); !d.Allowed {
		t.Errorf("chosen posting passes: got %+v", d)
	}
	if d := strict.Check(&mockAffairs); d.Allowed || d.Reason != ReasonPostingNotAllowed {
		t.Errorf("chosen posting no longer passes: want refused posting_not_allowed, got %+v", d)
	}
	if d := strict.Check(nil); d.Allowed || d.Reason != ReasonNotOfficer {
		t.Errorf("no chosen posting: want refused not_public_officer, got %+v", d)
	}
	if d := Anyone().Check(nil); !d.Allowed {
		t.Errorf("anyone: got %+v", d)
	}
}

func TestParsePostingsNeverFails(t *testing.T) {
	cases := map[string][]Posting{
		"NA":                             nil,
		" NA ":                           nil,
		"":                               nil,
		"[]":                             nil,
		"{}":                             nil,
		"[{}]":                           nil,
		"null":                           nil,
		"not json":                       nil,
		`"a string"`:                     nil,
		"[1,2,3]":                        nil,
		`[{"x":1}]`:                      nil,
		`[{"agency_name":"A"}] trailing`: nil,
		`[{"agency_name":"A"`:            nil,
		`{"agency_name":"A","work_email":"a@a.gov.sg"}`:                                                                  {{AgencyName: "A", WorkEmail: "a@a.gov.sg"}},
		`[{"agency_name":" A ","department_name":7,"employment_title":null,"employment_type":{"x":1}}, "x", [1]]`:        {{AgencyName: "A"}},
		`[{"agency_name":"A"},{"agency_name":"A"}]`:                                                                      {{AgencyName: "A"}},
		`[{"work_email":"NA","agency_name":"NA","department_name":"NA","employment_type":"NA","employment_title":"NA"}]`: {allNA},
	}
	for in, want := range cases {
		if got := ParsePostings(in); !reflect.DeepEqual(got, want) {
			t.Errorf("ParsePostings(%q) = %+v, want %+v", in, got, want)
		}
	}
}

func TestParsePostingsIsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("[")
	for i := range 1000 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"agency_name":"Agency %d"}`, i)
	}
	b.WriteString("]")
	if got := len(ParsePostings(b.String())); got != maxPostings {
		t.Errorf("1000 postings: read %d, want the bound %d", got, maxPostings)
	}
}

func TestFieldValueHoldsThePostingAlone(t *testing.T) {
	v := sandbox.FieldValue()
	if got := ParsePostings(v); !reflect.DeepEqual(got, []Posting{sandbox}) {
		t.Errorf("FieldValue %q reads back as %+v", v, got)
	}
}

func FuzzParsePostings(f *testing.F) {
	f.Add(`[{"work_email":"a@b.gov.sg","agency_name":"A"}]`)
	f.Add("NA")
	f.Add(`{"agency_name":[]}`)
	policy, err := Parse("agency:A email-domain:gov.sg")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, v string) {
		ps := ParsePostings(v)
		if len(ps) > maxPostings {
			t.Fatalf("%d postings", len(ps))
		}
		policy.DecideLogin(ps)
	})
}
