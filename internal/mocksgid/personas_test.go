package mocksgid_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/sgidweb/sgidweb/internal/access"
	"github.com/sgidweb/sgidweb/internal/mocksgid"
	"github.com/sgidweb/sgidweb/internal/sgid"
)

// sgidFields is the field list of the design notes (sgid.md), copied here
// rather than taken from the package so that a field missing there fails.
var sgidFields = []string{
	"myinfo.name", "myinfo.nric_number", "myinfo.date_of_birth", "myinfo.passport_number",
	"myinfo.passport_expiry_date", "myinfo.mobile_number", "myinfo.email", "myinfo.registered_address",
	"myinfo.sex", "myinfo.race", "myinfo.nationality", "myinfo.residentialstatus",
	"myinfo.housingtype", "myinfo.hdbtype", "myinfo.birth_country", "myinfo.vehicles",
	"myinfo.name_of_employer", "myinfo.workpass_status", "myinfo.workpass_expiry_date",
	"myinfo.marital_status", "myinfo.mobile_number_with_country_code", "myinfo.dialect",
	"myinfo.occupation", "myinfo.country_of_marriage", "myinfo.marriage_certificate_number",
	"myinfo.marriage_date", "myinfo.divorce_date", "myinfo.children_birth_records",
	"myinfo.sponsored_children_records", "pocdex.public_officer_details",
}

// jsonFields are the JSON-valued fields and the keys each row must have.
var jsonFields = map[string][]string{
	"myinfo.children_birth_records":     {"birth_cert_no", "name", "date_of_birth", "life_status"},
	"myinfo.sponsored_children_records": {"nric", "name", "date_of_birth", "life_status"},
	"pocdex.public_officer_details":     {"work_email", "agency_name", "department_name", "employment_type", "employment_title"},
	"myinfo.vehicles":                   {"vehicle_number"},
}

var dateFields = []string{"myinfo.passport_expiry_date", "myinfo.workpass_expiry_date", "myinfo.marriage_date", "myinfo.divorce_date"}

func TestPersonasCoverEveryField(t *testing.T) {
	all := newFixture(t).p.Personas()
	if len(all) < 4 {
		t.Fatalf("%d personas, want at least 4", len(all))
	}
	filled := map[string]bool{}
	multiRow := map[string]bool{}
	sawNA := false
	subs := map[string]bool{}
	for _, p := range all {
		if p.ID == "" || p.Name == "" || p.Description == "" || p.Sub == "" || subs[p.Sub] {
			t.Errorf("persona %q lacks an id, name, description or unique sub", p.ID)
		}
		subs[p.Sub] = true
		if p.Fields["myinfo.name"] != p.Name {
			t.Errorf("%s: myinfo.name %q differs from Name %q", p.ID, p.Fields["myinfo.name"], p.Name)
		}
		for _, field := range sgidFields {
			v, ok := p.Fields[field]
			if !ok || v == "" {
				t.Errorf("%s: %s missing (use NA for no data)", p.ID, field)
				continue
			}
			if v == "NA" {
				sawNA = true
				continue
			}
			filled[field] = true
			if keys, isJSON := jsonFields[field]; isJSON {
				var rows []map[string]string
				if err := json.Unmarshal([]byte(v), &rows); err != nil || len(rows) == 0 {
					t.Errorf("%s: %s is not a non-empty JSON array of objects: %v", p.ID, field, err)
				}
				for _, row := range rows {
					for _, k := range keys {
						if row[k] == "" {
							t.Errorf("%s: %s row lacks %s: %v", p.ID, field, k, row)
						}
					}
				}
				if len(rows) > 1 {
					multiRow[field] = true
				}
			}
		}
		checkFormats(t, p)
	}
	for _, field := range sgidFields {
		if !filled[field] {
			t.Errorf("no persona has data for %s", field)
		}
	}
	for field := range jsonFields {
		if !multiRow[field] {
			t.Errorf("no persona has several rows of %s", field)
		}
	}
	if !sawNA {
		t.Error("no persona has an NA value")
	}
}

var (
	nricPattern   = regexp.MustCompile(`^[STFGM]\d{7}[A-Z]$`)
	mobilePattern = regexp.MustCompile(`^[89]\d{7}$`)
	datePattern   = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

func checkFormats(t *testing.T, p mocksgid.Persona) {
	t.Helper()
	if v := p.Fields["myinfo.nric_number"]; !nricPattern.MatchString(v) {
		t.Errorf("%s: NRIC %q has the wrong shape", p.ID, v)
	}
	if v := p.Fields["myinfo.mobile_number"]; v != "NA" && !mobilePattern.MatchString(v) {
		t.Errorf("%s: mobile %q is not 8 digits", p.ID, v)
	}
	if v := p.Fields["myinfo.mobile_number_with_country_code"]; v != "NA" && v != "+65"+p.Fields["myinfo.mobile_number"] {
		t.Errorf("%s: mobile with country code %q does not match", p.ID, v)
	}
	for _, f := range dateFields {
		if v := p.Fields[f]; v != "NA" && !datePattern.MatchString(v) {
			t.Errorf("%s: %s = %q, want YYYY-MM-DD", p.ID, f, v)
		}
	}
	if v := p.Fields["myinfo.registered_address"]; v != "NA" && strings.Count(v, "\n") < 2 {
		t.Errorf("%s: address %q should be lines joined with \\n", p.ID, v)
	}
}

func TestPersonasHaveTheEdgeCases(t *testing.T) {
	var long, hostile, yearMonth, yearOnly, fullDate bool
	for _, p := range newFixture(t).p.Personas() {
		name := p.Fields["myinfo.name"]
		if len([]rune(name)) > 100 {
			long = true
		}
		if strings.Contains(name, "<script>alert(1)</script>") && hasScript(name, unicode.Han) && hasScript(name, unicode.Tamil) {
			hostile = true
		}
		switch dob := p.Fields["myinfo.date_of_birth"]; {
		case regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`).MatchString(dob):
			fullDate = true
		case regexp.MustCompile(`^\d{4}-\d{2}$`).MatchString(dob):
			yearMonth = true
		case regexp.MustCompile(`^\d{4}$`).MatchString(dob):
			yearOnly = true
		default:
			t.Errorf("%s: date_of_birth %q has no sgID shape", p.ID, dob)
		}
	}
	if !long || !hostile || !yearMonth || !yearOnly || !fullDate {
		t.Errorf("edge cases: long name %v, hostile name %v, YYYY-MM %v, YYYY %v, YYYY-MM-DD %v", long, hostile, yearMonth, yearOnly, fullDate)
	}
}

func hasScript(s string, table *unicode.RangeTable) bool {
	return slices.ContainsFunc([]rune(s), func(r rune) bool { return unicode.Is(table, r) })
}

func TestPersonaByIDReturnsACopy(t *testing.T) {
	p := mustPersona(t, "tan-heng-huat")
	p.Fields["myinfo.name"] = "CHANGED"
	if again := mustPersona(t, "tan-heng-huat"); again.Fields["myinfo.name"] != "TAN HENG HUAT" {
		t.Fatalf("changing a returned persona changed the table: %q", again.Fields["myinfo.name"])
	}
	if _, ok := mocksgid.PersonaByID("nobody"); ok {
		t.Fatal("unknown persona found")
	}
}

func TestFieldLabelsCoverEveryField(t *testing.T) {
	labels := map[string]mocksgid.Field{}
	for _, f := range mocksgid.Fields() {
		labels[f.Scope] = f
	}
	for _, s := range sgidFields {
		if f, ok := labels[s]; !ok || f.Label == "" || f.Purpose == "" {
			t.Errorf("no label and purpose for %s", s)
		}
	}
}

// TestFieldsAreTheSitesCatalogue: the consent screen names every field in
// the site's words, so the two never drift apart.
func TestFieldsAreTheSitesCatalogue(t *testing.T) {
	mock := mocksgid.Fields()
	site := sgid.AllFields()
	if len(mock) != len(site) {
		t.Fatalf("the mock knows %d fields, the site %d", len(mock), len(site))
	}
	for i, f := range site {
		if m := mock[i]; m.Scope != f.Scope || m.Label != f.Label || m.Purpose != f.Purpose {
			t.Errorf("field %d: mock %+v, site %+v", i, m, f)
		}
	}
}

// TestPersonasCoverTheOfficerCases: the access policy and the posting
// picker need an officer with one posting, one with postings in two
// agencies (one with an NA department), and people who are not officers.
func TestPersonasCoverTheOfficerCases(t *testing.T) {
	var one, two, naDepartment, nonOfficer bool
	for _, p := range newFixture(t).p.Personas() {
		postings := access.ParsePostings(p.Fields[access.OfficerScope])
		switch len(postings) {
		case 0:
			nonOfficer = true
		case 1:
			one = true
		default:
			agencies := map[string]bool{}
			for _, post := range postings {
				agencies[post.AgencyName] = true
				if post.DepartmentName == "NA" {
					naDepartment = true
				}
			}
			two = two || len(agencies) > 1
		}
	}
	if !one || !two || !naDepartment || !nonOfficer {
		t.Errorf("officer cases: one posting %v, postings in two agencies %v, an NA department %v, a non-officer %v", one, two, naDepartment, nonOfficer)
	}
}
