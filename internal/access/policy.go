package access

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Rule kinds, as written in ACCESS_ALLOW.
const (
	KindAnyone        = "anyone"
	KindPublicOfficer = "public-officer"
	KindAgency        = "agency"
	KindEmailDomain   = "email-domain"
)

// Rule is one way in: a kind and, for agency and email-domain, the names
// it accepts.
type Rule struct {
	Kind string
	// Values are the agencies as people read them ("Ministry of Health") or
	// the domains in lower case ("moh.gov.sg"); empty for the other kinds.
	Values []string
	// agencyKeys are Values reduced to their words (agencyKey), compared
	// with each posting's agency.
	agencyKeys []string
}

// Policy is the parsed ACCESS_ALLOW: any one of its rules admits a person.
// The zero Policy admits anyone.
type Policy struct {
	rules []Rule
}

// Anyone is the default policy.
func Anyone() Policy { return Policy{} }

// RuleError is one rule of ACCESS_ALLOW that cannot be used: the rule as
// written, what is wrong and how to fix it. The caller names the variable.
type RuleError struct {
	Rule    string
	Problem string
	Fix     string
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("rule %q %s (fix: %s)", e.Rule, e.Problem, e.Fix)
}

// fixSyntax is the reminder every syntax error ends with.
const fixSyntax = "write space-separated rules: anyone, public-officer, agency:NAME[,NAME...] or email-domain:DOMAIN[,DOMAIN...]"

// Parse reads ACCESS_ALLOW: rules separated by spaces, any one of which
// admits a person.
//
//   - anyone: everybody sgID logs in (the default, also for an empty value).
//   - public-officer: people sgID shows with at least one public service
//     posting.
//   - agency:NAME[,NAME...]: officers whose posting's agency_name is one of
//     the names. A name is compared word by word, ignoring case and every
//     character that is not a letter or a digit, so "Ministry of Culture,
//     Community and Youth" is written Ministry_of_Culture_Community_and_Youth
//     (underscores for spaces keep it one rule; hyphens work too).
//   - email-domain:DOMAIN[,DOMAIN...]: officers whose posting's work_email is
//     at one of the domains or a subdomain of it, ignoring case. Domains are
//     ASCII: an internationalised one is written in its xn-- form, and an
//     address whose domain is not such a name is admitted by no domain.
//
// Rule names are read without regard to case. Every unusable rule is
// reported, as a *RuleError joined with errors.Join.
func Parse(raw string) (Policy, error) {
	var p Policy
	var errs []error
	anyone := false
	afterAgency := false
	for _, word := range strings.Fields(raw) {
		r, err := parseRule(word)
		if err != nil {
			if afterAgency && err.Problem == problemUnknown {
				err.Problem += "; if it is part of an agency's name, write the name's spaces as underscores"
			}
			errs = append(errs, err)
			continue
		}
		afterAgency = r.Kind == KindAgency
		if r.Kind == KindAnyone {
			anyone = true
			continue
		}
		p.rules = append(p.rules, r)
	}
	if anyone && len(p.rules) > 0 {
		errs = append(errs, &RuleError{Rule: KindAnyone, Problem: "admits everybody, so the other rules would never refuse anyone",
			Fix: "remove anyone to admit only the people the other rules describe, or remove the other rules"})
	}
	if len(errs) > 0 {
		return Policy{}, errors.Join(errs...)
	}
	return p, nil
}

func parseRule(word string) (Rule, *RuleError) {
	kind, list, hasList := strings.Cut(word, ":")
	kind = strings.ToLower(kind)
	switch kind {
	case KindAnyone, KindPublicOfficer:
		if hasList {
			return Rule{}, &RuleError{Rule: word, Problem: "takes no list", Fix: "write it alone: " + kind}
		}
		return Rule{Kind: kind}, nil
	case KindAgency:
		if !hasList {
			return Rule{}, &RuleError{Rule: word, Problem: "names no agency", Fix: "write agency:NAME[,NAME...], with underscores for the spaces in a name, e.g. agency:Ministry_of_Health"}
		}
		return parseAgencies(word, list)
	case KindEmailDomain:
		if !hasList {
			return Rule{}, &RuleError{Rule: word, Problem: "names no domain", Fix: "write email-domain:DOMAIN[,DOMAIN...], e.g. email-domain:tech.gov.sg"}
		}
		return parseDomains(word, list)
	}
	return Rule{}, &RuleError{Rule: word, Problem: problemUnknown, Fix: fixSyntax}
}

const problemUnknown = "is not a rule this site knows"

func parseAgencies(word, list string) (Rule, *RuleError) {
	r := Rule{Kind: KindAgency}
	for _, name := range strings.Split(list, ",") {
		key := agencyKey(name)
		switch {
		case name == "":
			return Rule{}, &RuleError{Rule: word, Problem: "has an empty agency name (a stray comma?)", Fix: "separate names with single commas: agency:NAME,NAME"}
		case key == "":
			return Rule{}, &RuleError{Rule: word, Problem: fmt.Sprintf("has the name %q, which holds no letter or digit", name), Fix: "write the agency's name as sgID sends it, with underscores for spaces"}
		case strings.HasPrefix(name, "_") || strings.HasSuffix(name, "_"):
			// "Ministry_of_Culture,_Community_and_Youth": the comma of a
			// name, read as two names.
			return Rule{}, &RuleError{Rule: word, Problem: fmt.Sprintf("has the name %q, which starts or ends with an underscore: a comma in an agency's name is read as the end of the name", name),
				Fix: "leave commas out of agency names (agency:Ministry_of_Culture_Community_and_Youth); they are ignored when names are compared"}
		case key == strings.ToLower(notProvided):
			return Rule{}, &RuleError{Rule: word, Problem: `names the agency "NA", which is sgID's word for "no data" and would never admit anyone`, Fix: "write the agency's name as sgID sends it"}
		}
		r.Values = append(r.Values, strings.Join(strings.FieldsFunc(name, notWordRune), " "))
		r.agencyKeys = append(r.agencyKeys, key)
	}
	return r, nil
}

func parseDomains(word, list string) (Rule, *RuleError) {
	r := Rule{Kind: KindEmailDomain}
	for _, d := range strings.Split(list, ",") {
		d = asciiLower(d)
		if problem := domainProblem(d); problem != "" {
			return Rule{}, &RuleError{Rule: word, Problem: problem, Fix: "write domains such as tech.gov.sg, without @ or a leading dot, separated by commas; a domain admits its subdomains too"}
		}
		r.Values = append(r.Values, d)
	}
	return r, nil
}

// domainProblem says what is wrong with a domain in a rule, or "".
func domainProblem(d string) string {
	switch {
	case d == "":
		return "has an empty domain (a stray comma?)"
	case strings.Contains(d, "@"):
		return fmt.Sprintf("has %q, which is an address, not a domain", d)
	case strings.HasPrefix(d, ".") || strings.HasSuffix(d, "."):
		return fmt.Sprintf("has %q, which starts or ends with a dot", d)
	}
	if !strings.Contains(d, ".") {
		// A single label ("sg") would admit a whole top-level domain.
		return fmt.Sprintf("has %q, which is not a domain with at least two labels such as gov.sg", d)
	}
	if !isDomainName(d) {
		return fmt.Sprintf("has %q, which is not a domain name (letters, digits and hyphens between dots)", d)
	}
	return ""
}

func validLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for _, r := range l {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return true
}

func notWordRune(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// agencyKey reduces an agency name to its words in lower case, so that
// "Ministry of Culture, Community and Youth", "ministry_of_culture_community
// _and_youth" and "MINISTRY OF CULTURE COMMUNITY AND YOUTH" compare equal,
// while "Ministry of Health" and "Ministry of Health Holdings" do not.
func agencyKey(name string) string {
	return strings.ToLower(strings.Join(strings.FieldsFunc(name, notWordRune), " "))
}

// Rules are the policy's rules in the order written; none for the default,
// which admits anyone.
func (p Policy) Rules() []Rule {
	if len(p.rules) == 0 {
		return []Rule{{Kind: KindAnyone}}
	}
	return p.rules
}

// AdmitsAnyone reports whether the policy lets everybody in, so that
// callers can skip the check.
func (p Policy) AdmitsAnyone() bool { return len(p.rules) == 0 }

// String is the policy in canonical ACCESS_ALLOW form, for the start-up log.
func (p Policy) String() string {
	var words []string
	for _, r := range p.Rules() {
		switch r.Kind {
		case KindAgency:
			names := make([]string, len(r.Values))
			for i, v := range r.Values {
				names[i] = strings.ReplaceAll(v, " ", "_")
			}
			words = append(words, r.Kind+":"+strings.Join(names, ","))
		case KindEmailDomain:
			words = append(words, r.Kind+":"+strings.Join(r.Values, ","))
		default:
			words = append(words, r.Kind)
		}
	}
	return strings.Join(words, " ")
}

// RequiredScopes are the sgID scopes the rules read: every rule but anyone
// needs the public officer details.
func (p Policy) RequiredScopes() []string {
	if p.AdmitsAnyone() {
		return nil
	}
	return []string{OfficerScope}
}

// MissingScopeError is returned by CheckScopes for a rule that reads a scope
// the site does not ask sgID for.
type MissingScopeError struct {
	Rule  string // the first rule that needs it, as written
	Scope string
}

func (e *MissingScopeError) Error() string {
	return fmt.Sprintf("rule %s needs the sgID scope %s, which is not asked for", e.Rule, e.Scope)
}

// CheckScopes reports the first scope the policy needs that scopes (the
// site's SGID_SCOPES) lacks: without it every officer would be refused.
func (p Policy) CheckScopes(scopes []string) error {
	for _, need := range p.RequiredScopes() {
		found := false
		for _, s := range scopes {
			if s == need {
				found = true
				break
			}
		}
		if !found {
			return &MissingScopeError{Rule: Policy{rules: p.rules[:1]}.String(), Scope: need}
		}
	}
	return nil
}
