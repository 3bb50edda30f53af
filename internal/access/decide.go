package access

import "strings"

// Reason says why a person was refused, as a fixed code for logs and
// metrics: it names the rule that failed, never the person's data.
type Reason string

// Reasons for a refusal.
const (
	// ReasonNotOfficer: the policy wants a posting and the person has none
	// (sgID sent "NA", nothing readable, or the session chose none).
	ReasonNotOfficer Reason = "not_public_officer"
	// ReasonPostingNotAllowed: the person holds postings, but none (or not
	// the chosen one) is at an agency or email domain the policy names.
	ReasonPostingNotAllowed Reason = "posting_not_allowed"
)

// Decision is the policy's answer for one person.
type Decision struct {
	Allowed bool
	Reason  Reason // empty when allowed
}

var allowed = Decision{Allowed: true}

// Admits reports whether any rule admits a person acting under posting; nil
// means they act under none (not an officer, or no posting chosen).
func (p Policy) Admits(posting *Posting) bool {
	if p.AdmitsAnyone() {
		return true
	}
	if posting == nil {
		return false
	}
	for _, r := range p.rules {
		if r.admits(*posting) {
			return true
		}
	}
	return false
}

func (r Rule) admits(posting Posting) bool {
	switch r.Kind {
	case KindAnyone, KindPublicOfficer:
		return true
	case KindAgency:
		if !Provided(posting.AgencyName) {
			return false
		}
		key := agencyKey(posting.AgencyName)
		for _, k := range r.agencyKeys {
			if k == key {
				return true
			}
		}
	case KindEmailDomain:
		domain, ok := emailDomain(posting.WorkEmail)
		if !ok {
			return false
		}
		for _, d := range r.Values {
			if domain == d || strings.HasSuffix(domain, "."+d) {
				return true
			}
		}
	}
	return false
}

// emailDomain is the lower-cased domain of an address with exactly one @
// and something on both sides; ok is false for "NA" and anything else.
// The domain must be a domain name as rules are written (ASCII labels,
// none empty), so that a subdomain match falls on a label boundary and
// only ASCII case is folded: strings.ToLower would turn the Kelvin sign
// into k.
func emailDomain(email string) (string, bool) {
	e := strings.TrimSpace(email)
	if !Provided(e) || strings.Count(e, "@") != 1 {
		return "", false
	}
	local, domain, _ := strings.Cut(e, "@")
	domain = asciiLower(strings.TrimSuffix(domain, "."))
	if local == "" || strings.ContainsFunc(local, func(r rune) bool { return r <= ' ' }) || !isDomainName(domain) {
		return "", false
	}
	return domain, true
}

// asciiLower lower-cases A to Z alone.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

func isDomainName(d string) bool {
	for _, l := range strings.Split(d, ".") {
		if !validLabel(l) {
			return false
		}
	}
	return true
}

// Check decides for a logged-in session by the posting it chose at login
// (nil: none). It is the check on every guarded request, so that a session
// whose posting no longer passes after ACCESS_ALLOW changed is refused.
func (p Policy) Check(chosen *Posting) Decision {
	if p.Admits(chosen) {
		return allowed
	}
	if chosen == nil {
		return Decision{Reason: ReasonNotOfficer}
	}
	return Decision{Reason: ReasonPostingNotAllowed}
}

// DecideLogin decides at the callback, over every posting sgID sent. When
// allowed, offered are the postings that pass, for the person to choose
// from (several), to take without asking (one), or none at all when the
// policy admits people without a posting.
func (p Policy) DecideLogin(postings []Posting) (d Decision, offered []Posting) {
	for i := range postings {
		if p.Admits(&postings[i]) {
			offered = append(offered, postings[i])
		}
	}
	switch {
	case len(offered) > 0, p.Admits(nil):
		return allowed, offered
	case len(postings) == 0:
		return Decision{Reason: ReasonNotOfficer}, nil
	}
	return Decision{Reason: ReasonPostingNotAllowed}, nil
}
