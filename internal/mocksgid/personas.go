package mocksgid

import (
	"crypto/sha256"
	"encoding/base32"
	"maps"
	"strings"

	"github.com/sgidweb/sgidweb/internal/sgid"
)

// Persona is a fictional person the mock can log in as. Every NRIC, passport
// and certificate number here is made up (sequential digits with a valid
// check letter) so that no real person's identifiers end up in logs or tests.
type Persona struct {
	ID   string
	Name string
	// Description is one line for the persona picker: what this persona is
	// good for testing.
	Description string
	// Sub is the opaque subject sgID would send for this person. It is derived
	// from the persona ID so that it is stable across restarts, like sgID's.
	Sub string
	// Fields maps a scope to the value exactly as sgID sends it; "NA" where
	// the person has no such data.
	Fields map[string]string
}

// Field describes one sgID data scope in plain words for the consent screen.
type Field struct {
	Scope   string
	Label   string
	Purpose string
}

// Fields returns the data scopes this mock knows, with labels for people:
// the site's own catalogue (internal/sgid), so the consent screen and the
// site describe every field in the same words.
func Fields() []Field {
	all := sgid.AllFields()
	out := make([]Field, len(all))
	for i, f := range all {
		out[i] = Field{Scope: f.Scope, Label: f.Label, Purpose: f.Purpose}
	}
	return out
}

// fieldFor describes a scope for the consent screen; scopes outside the
// catalogue are still shown (by name) because sgID may add new ones.
func fieldFor(scope string) Field {
	if !sgid.KnownScope(scope) {
		return Field{Scope: scope, Label: scope, Purpose: "A field this mock does not know; it will be sent as NA"}
	}
	f := sgid.Describe(scope)
	return Field{Scope: f.Scope, Label: f.Label, Purpose: f.Purpose}
}

// na marks a field the person has no data for, as sgID does.
const na = "NA"

var personas = []Persona{
	{
		ID:          "tan-heng-huat",
		Name:        "TAN HENG HUAT",
		Description: "Citizen with full Myinfo: married, two children, two vehicles, HDB flat",
		Fields: map[string]string{
			"myinfo.name":                            "TAN HENG HUAT",
			"myinfo.nric_number":                     "S8800001C",
			"myinfo.date_of_birth":                   "1988-05-12",
			"myinfo.passport_number":                 "E0000001K",
			"myinfo.passport_expiry_date":            "2029-03-14",
			"myinfo.mobile_number":                   "97399245",
			"myinfo.email":                           "heng.huat.tan@example.com",
			"myinfo.registered_address":              "BLK 123 ANG MO KIO AVENUE 3\n#12-345\nSINGAPORE 560123",
			"myinfo.sex":                             "MALE",
			"myinfo.race":                            "CHINESE",
			"myinfo.nationality":                     "SINGAPORE CITIZEN",
			"myinfo.residentialstatus":               "CITIZEN",
			"myinfo.housingtype":                     na,
			"myinfo.hdbtype":                         "4-ROOM FLAT (HDB)",
			"myinfo.birth_country":                   "SINGAPORE",
			"myinfo.vehicles":                        `[{"vehicle_number":"SMB1234A"},{"vehicle_number":"SGX8888K"}]`,
			"myinfo.name_of_employer":                "TAN & SONS TRADING PTE. LTD.",
			"myinfo.workpass_status":                 na,
			"myinfo.workpass_expiry_date":            na,
			"myinfo.marital_status":                  "MARRIED",
			"myinfo.mobile_number_with_country_code": "+6597399245",
			"myinfo.dialect":                         "HOKKIEN",
			"myinfo.occupation":                      "SENIOR SOFTWARE ENGINEER",
			"myinfo.country_of_marriage":             "SINGAPORE",
			"myinfo.marriage_certificate_number":     "M000000101",
			"myinfo.marriage_date":                   "2015-11-21",
			"myinfo.divorce_date":                    na,
			"myinfo.children_birth_records": `[{"birth_cert_no":"T1700005A","name":"TAN XIAO MING","date_of_birth":"2017-02-08","life_status":"ALIVE"},` +
				`{"birth_cert_no":"T1900006G","name":"TAN XIAO HUI","date_of_birth":"2019-09-30","life_status":"ALIVE"}]`,
			"myinfo.sponsored_children_records": na,
			"pocdex.public_officer_details":     na,
		},
	},
	{
		ID:          "siti-public-officer",
		Name:        "SITI NURHALIZA BINTE ABDUL RAHMAN",
		Description: "Public officer with two postings, divorced, sponsors two children, condominium; birth date is year and month only",
		Fields: map[string]string{
			"myinfo.name":                            "SITI NURHALIZA BINTE ABDUL RAHMAN",
			"myinfo.nric_number":                     "S7900002G",
			"myinfo.date_of_birth":                   "1979-08",
			"myinfo.passport_number":                 na,
			"myinfo.passport_expiry_date":            na,
			"myinfo.mobile_number":                   "81234567",
			"myinfo.email":                           "siti.rahman@example.gov.sg",
			"myinfo.registered_address":              "8 MARINE PARADE ROAD\n#05-02 SEAVIEW RESIDENCES\nSINGAPORE 449269",
			"myinfo.sex":                             "FEMALE",
			"myinfo.race":                            "MALAY",
			"myinfo.nationality":                     "SINGAPORE CITIZEN",
			"myinfo.residentialstatus":               "CITIZEN",
			"myinfo.housingtype":                     "CONDOMINIUM",
			"myinfo.hdbtype":                         na,
			"myinfo.birth_country":                   "SINGAPORE",
			"myinfo.vehicles":                        na,
			"myinfo.name_of_employer":                "MINISTRY OF MOCK AFFAIRS",
			"myinfo.workpass_status":                 na,
			"myinfo.workpass_expiry_date":            na,
			"myinfo.marital_status":                  "DIVORCED",
			"myinfo.mobile_number_with_country_code": "+6581234567",
			"myinfo.dialect":                         na,
			"myinfo.occupation":                      "DEPUTY DIRECTOR",
			"myinfo.country_of_marriage":             "MALAYSIA",
			"myinfo.marriage_certificate_number":     "M000000202",
			"myinfo.marriage_date":                   "2004-06-19",
			"myinfo.divorce_date":                    "2012-01-05",
			"myinfo.children_birth_records":          na,
			"myinfo.sponsored_children_records": `[{"nric":"T1500007J","name":"NUR AISYAH BINTE HASSAN","date_of_birth":"2015-04-22","life_status":"ALIVE"},` +
				`{"nric":"T1600008B","name":"MUHAMMAD IRFAN BIN HASSAN","date_of_birth":"2016-12-01","life_status":"ALIVE"}]`,
			"pocdex.public_officer_details": `[{"work_email":"siti_rahman@mma.gov.sg","agency_name":"Ministry of Mock Affairs","department_name":"Digital Services Division","employment_type":"Permanent","employment_title":"Deputy Director"},` +
				`{"work_email":"siti_rahman@sandbox.gov.sg","agency_name":"Sandbox Statutory Board","department_name":"NA","employment_type":"Secondment","employment_title":"Senior Policy Adviser"}]`,
		},
	},
	{
		ID:          "goh-one-posting",
		Name:        "GOH MOCK SENG",
		Description: "Public officer with one posting (no posting picker); most other fields are NA",
		Fields: map[string]string{
			"myinfo.name":                            "GOH MOCK SENG",
			"myinfo.nric_number":                     "S8500005E",
			"myinfo.date_of_birth":                   "1985-10-03",
			"myinfo.passport_number":                 na,
			"myinfo.passport_expiry_date":            na,
			"myinfo.mobile_number":                   "91230005",
			"myinfo.email":                           "goh.mock.seng@example.com",
			"myinfo.registered_address":              na,
			"myinfo.sex":                             "MALE",
			"myinfo.race":                            "CHINESE",
			"myinfo.nationality":                     "SINGAPORE CITIZEN",
			"myinfo.residentialstatus":               "CITIZEN",
			"myinfo.housingtype":                     na,
			"myinfo.hdbtype":                         na,
			"myinfo.birth_country":                   "SINGAPORE",
			"myinfo.vehicles":                        na,
			"myinfo.name_of_employer":                "MINISTRY OF MOCK AFFAIRS",
			"myinfo.workpass_status":                 na,
			"myinfo.workpass_expiry_date":            na,
			"myinfo.marital_status":                  "SINGLE",
			"myinfo.mobile_number_with_country_code": "+6591230005",
			"myinfo.dialect":                         na,
			"myinfo.occupation":                      "SENIOR MANAGER",
			"myinfo.country_of_marriage":             na,
			"myinfo.marriage_certificate_number":     na,
			"myinfo.marriage_date":                   na,
			"myinfo.divorce_date":                    na,
			"myinfo.children_birth_records":          na,
			"myinfo.sponsored_children_records":      na,
			"pocdex.public_officer_details":          `[{"work_email":"goh_mock_seng@mma.gov.sg","agency_name":"Ministry of Mock Affairs","department_name":"Corporate Services","employment_type":"Permanent","employment_title":"Senior Manager"}]`,
		},
	},
	{
		ID:          "long-name",
		Name:        "MUTHUKUMARASAMY ARUNACHALAM VENKATARAMANAN SUBRAMANIAN RAJAGOPALAN SRINIVASAN KRISHNAMOORTHY NARAYANASWAMY",
		Description: "Work pass holder with a very long name (over 100 characters); birth date is year only",
		Fields: map[string]string{
			"myinfo.name":                            "MUTHUKUMARASAMY ARUNACHALAM VENKATARAMANAN SUBRAMANIAN RAJAGOPALAN SRINIVASAN KRISHNAMOORTHY NARAYANASWAMY",
			"myinfo.nric_number":                     "G0000003K",
			"myinfo.date_of_birth":                   "1990",
			"myinfo.passport_number":                 "Z0000003",
			"myinfo.passport_expiry_date":            "2031-07-31",
			"myinfo.mobile_number":                   "88776655",
			"myinfo.email":                           "muthu.narayanaswamy@example.in",
			"myinfo.registered_address":              "21 JALAN BUKIT MERAH\n#03-11\nSINGAPORE 159461",
			"myinfo.sex":                             "MALE",
			"myinfo.race":                            "INDIAN",
			"myinfo.nationality":                     "INDIAN",
			"myinfo.residentialstatus":               "ALIEN",
			"myinfo.housingtype":                     na,
			"myinfo.hdbtype":                         "3-ROOM FLAT (HDB)",
			"myinfo.birth_country":                   "INDIA",
			"myinfo.vehicles":                        na,
			"myinfo.name_of_employer":                "STRAITS MOCK ENGINEERING PTE. LTD.",
			"myinfo.workpass_status":                 "LIVE",
			"myinfo.workpass_expiry_date":            "2027-02-28",
			"myinfo.marital_status":                  "SINGLE",
			"myinfo.mobile_number_with_country_code": "+6588776655",
			"myinfo.dialect":                         na,
			"myinfo.occupation":                      "CIVIL ENGINEER",
			"myinfo.country_of_marriage":             na,
			"myinfo.marriage_certificate_number":     na,
			"myinfo.marriage_date":                   na,
			"myinfo.divorce_date":                    na,
			"myinfo.children_birth_records":          na,
			"myinfo.sponsored_children_records":      na,
			"pocdex.public_officer_details":          na,
		},
	},
	{
		ID: "hostile-name",
		// The name mixes markup, quotes and non-Latin scripts so that every
		// page that shows it proves it escapes and renders Unicode.
		Name:        `李小明 <script>alert(1)</script> முருகன் "O'Neil" & Co`,
		Description: "Markup and Chinese and Tamil letters in the name; almost every other field is NA",
		Fields: map[string]string{
			"myinfo.name":                            `李小明 <script>alert(1)</script> முருகன் "O'Neil" & Co`,
			"myinfo.nric_number":                     "T0100004C",
			"myinfo.date_of_birth":                   "2001-01-01",
			"myinfo.passport_number":                 na,
			"myinfo.passport_expiry_date":            na,
			"myinfo.mobile_number":                   na,
			"myinfo.email":                           na,
			"myinfo.registered_address":              na,
			"myinfo.sex":                             "FEMALE",
			"myinfo.race":                            na,
			"myinfo.nationality":                     "SINGAPORE CITIZEN",
			"myinfo.residentialstatus":               "CITIZEN",
			"myinfo.housingtype":                     na,
			"myinfo.hdbtype":                         na,
			"myinfo.birth_country":                   na,
			"myinfo.vehicles":                        na,
			"myinfo.name_of_employer":                na,
			"myinfo.workpass_status":                 na,
			"myinfo.workpass_expiry_date":            na,
			"myinfo.marital_status":                  na,
			"myinfo.mobile_number_with_country_code": na,
			"myinfo.dialect":                         na,
			"myinfo.occupation":                      na,
			"myinfo.country_of_marriage":             na,
			"myinfo.marriage_certificate_number":     na,
			"myinfo.marriage_date":                   na,
			"myinfo.divorce_date":                    na,
			"myinfo.children_birth_records":          na,
			"myinfo.sponsored_children_records":      na,
			"pocdex.public_officer_details":          na,
		},
	},
}

func init() {
	for i := range personas {
		personas[i].Sub = pairwiseSub(personas[i].ID)
	}
}

// pairwiseSub derives an opaque subject that looks like sgID's (no hint of
// the person in it) yet stays the same every run, so tests and stored
// sessions keep matching.
func pairwiseSub(id string) string {
	sum := sha256.Sum256([]byte("mocksgid persona " + id))
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:20]))
}

// clone copies a persona so that callers cannot change the shared table.
func (p Persona) clone() Persona {
	p.Fields = maps.Clone(p.Fields)
	return p
}

// PersonaByID finds a persona by its ID.
func PersonaByID(id string) (Persona, bool) {
	for _, p := range personas {
		if p.ID == id {
			return p.clone(), true
		}
	}
	return Persona{}, false
}

// Personas returns copies of every persona in picker order, for tools that
// show their data without a login (the component gallery).
func Personas() []Persona { return allPersonas() }

// allPersonas returns copies of every persona in picker order.
func allPersonas() []Persona {
	out := make([]Persona, len(personas))
	for i, p := range personas {
		out[i] = p.clone()
	}
	return out
}

// value is what sgID sends for a scope: the persona's value, or "NA" for a
// scope the mock has no data for.
func (p Persona) value(scope string) string {
	if v, ok := p.Fields[scope]; ok {
		return v
	}
	return na
}
