// Package access decides who may use the site: the ACCESS_ALLOW policy, read
// once at start, applied to the public officer postings sgID shares
// (pocdex.public_officer_details). It is pure: no HTTP, no HTML, no logging.
// The web layer calls it at the callback and on every guarded request.
package access

import (
	"encoding/json"
	"strings"
)

// OfficerScope is the sgID scope that carries a person's public officer
// postings: a string holding a JSON array of postings, or "NA".
const OfficerScope = "pocdex.public_officer_details"

// notProvided is sgID's value for data a person does not have.
const notProvided = "NA"

// maxPostings bounds how many postings are read from one value. Officers
// hold a handful; a hostile value of thousands must not become a picker of
// thousands or a policy check that reads them all.
const maxPostings = 20

// Posting is one public service posting as sgID sends it. Any value may be
// "NA" (sgID has no such data); Provided tells the two apart.
type Posting struct {
	WorkEmail       string `json:"work_email"`
	AgencyName      string `json:"agency_name"`
	DepartmentName  string `json:"department_name"`
	EmploymentType  string `json:"employment_type"`
	EmploymentTitle string `json:"employment_title"`
}

// Provided reports whether a posting's value holds data: not empty and not
// sgID's "NA".
func Provided(v string) bool {
	v = strings.TrimSpace(v)
	return v != "" && v != notProvided
}

// ParsePostings reads the value of pocdex.public_officer_details. "NA", an
// empty value, an empty array and anything that is not JSON of the
// documented shape give no postings: a person whose postings cannot be read
// is treated as holding none, never as an error. Elements that are not
// objects are skipped, a value that is not a string counts as not provided,
// and identical postings are kept once. A single object, which the profile
// page also shows as one posting, counts as one.
func ParsePostings(value string) []Posting {
	v := strings.TrimSpace(value)
	if !Provided(v) {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(v))
	var raw any
	if dec.Decode(&raw) != nil || dec.More() {
		return nil
	}
	var items []any
	switch t := raw.(type) {
	case []any:
		items = t
	case map[string]any:
		items = []any{t}
	default:
		return nil
	}
	var out []Posting
	for _, it := range items {
		obj, ok := it.(map[string]any)
		if !ok {
			continue
		}
		p := Posting{
			WorkEmail:       text(obj["work_email"]),
			AgencyName:      text(obj["agency_name"]),
			DepartmentName:  text(obj["department_name"]),
			EmploymentType:  text(obj["employment_type"]),
			EmploymentTitle: text(obj["employment_title"]),
		}
		if p == (Posting{}) || contains(out, p) {
			continue
		}
		out = append(out, p)
		if len(out) == maxPostings {
			break
		}
	}
	return out
}

// text is a posting value as a string; anything but a string (a number, a
// null, a nested object) is not data the policy or the page can use.
func text(v any) string {
	s, _ := v.(string)
	return strings.TrimSpace(s)
}

func contains(ps []Posting, p Posting) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// FieldValue is the value of pocdex.public_officer_details that holds this
// posting alone: what the session keeps, the pages show and the gateway
// passes on once the person has chosen it.
func (p Posting) FieldValue() string {
	b, err := json.Marshal([]Posting{p})
	if err != nil {
		// Five strings always encode.
		panic("access: encode posting: " + err.Error())
	}
	return string(b)
}
