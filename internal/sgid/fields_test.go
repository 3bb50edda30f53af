package sgid

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestFormat(t *testing.T) {
	tests := []struct {
		scope, value string
		want         Display // FieldInfo is checked separately
	}{
		// Plain text fields, as given.
		{"myinfo.name", "TAN HENG HUAT", Display{Kind: KindText, Text: "TAN HENG HUAT"}},
		{"myinfo.passport_number", "E1234567X", Display{Kind: KindText, Text: "E1234567X"}},
		{"myinfo.email", "heng.huat@example.com", Display{Kind: KindText, Text: "heng.huat@example.com"}},
		{"myinfo.sex", "MALE", Display{Kind: KindText, Text: "MALE"}},
		{"myinfo.race", "CHINESE", Display{Kind: KindText, Text: "CHINESE"}},
		{"myinfo.nationality", "SINGAPORE CITIZEN", Display{Kind: KindText, Text: "SINGAPORE CITIZEN"}},
		{"myinfo.residentialstatus", "CITIZEN", Display{Kind: KindText, Text: "CITIZEN"}},
		{"myinfo.housingtype", "CONDOMINIUM", Display{Kind: KindText, Text: "CONDOMINIUM"}},
		{"myinfo.hdbtype", "4-ROOM FLAT (HDB)", Display{Kind: KindText, Text: "4-ROOM FLAT (HDB)"}},
		{"myinfo.birth_country", "SINGAPORE", Display{Kind: KindText, Text: "SINGAPORE"}},
		{"myinfo.name_of_employer", "GOVTECH", Display{Kind: KindText, Text: "GOVTECH"}},
		{"myinfo.workpass_status", "LIVE", Display{Kind: KindText, Text: "LIVE"}},
		{"myinfo.marital_status", "MARRIED", Display{Kind: KindText, Text: "MARRIED"}},
		{"myinfo.dialect", "HOKKIEN", Display{Kind: KindText, Text: "HOKKIEN"}},
		{"myinfo.occupation", "ENGINEER", Display{Kind: KindText, Text: "ENGINEER"}},
		{"myinfo.country_of_marriage", "SINGAPORE", Display{Kind: KindText, Text: "SINGAPORE"}},
		{"myinfo.marriage_certificate_number", "M123456", Display{Kind: KindText, Text: "M123456"}},
		{"myinfo.name", "<b>&amp;</b>", Display{Kind: KindText, Text: "<b>&amp;</b>"}},

		// Dates in all three precisions, and raw when unparsable.
		{"myinfo.date_of_birth", "1990-03-12", Display{Kind: KindText, Text: "12 March 1990"}},
		{"myinfo.date_of_birth", "1990-03", Display{Kind: KindText, Text: "March 1990"}},
		{"myinfo.date_of_birth", "1990", Display{Kind: KindText, Text: "1990"}},
		{"myinfo.date_of_birth", "12/03/1990", Display{Kind: KindText, Text: "12/03/1990"}},
		{"myinfo.date_of_birth", "1990-02-30", Display{Kind: KindText, Text: "1990-02-30"}},
		{"myinfo.passport_expiry_date", "2030-01-05", Display{Kind: KindText, Text: "5 January 2030"}},
		{"myinfo.workpass_expiry_date", "2026-07", Display{Kind: KindText, Text: "July 2026"}},
		{"myinfo.marriage_date", "2015-11-28", Display{Kind: KindText, Text: "28 November 2015"}},
		{"myinfo.divorce_date", "2020", Display{Kind: KindText, Text: "2020"}},

		// Not provided.
		{"myinfo.name", "NA", Display{NotProvided: true, Kind: KindText}},
		{"myinfo.date_of_birth", " NA ", Display{NotProvided: true, Kind: KindText}},
		{"myinfo.email", "", Display{NotProvided: true, Kind: KindText}},
		{"myinfo.registered_address", "\n \n", Display{NotProvided: true, Kind: KindText}},
		{"myinfo.nric_number", "NA", Display{NotProvided: true, Kind: KindText}},
		{"myinfo.children_birth_records", "NA", Display{NotProvided: true, Kind: KindText}},
		{"unknown.scope", "NA", Display{NotProvided: true, Kind: KindText}},

		// Address lines.
		{"myinfo.registered_address", "BLK 123 ANG MO KIO AVE 3\n\n#01-01\r\nSINGAPORE 560123\n",
			Display{Kind: KindLines, Lines: []string{"BLK 123 ANG MO KIO AVE 3", "#01-01", "SINGAPORE 560123"}}},
		{"myinfo.registered_address", "ONE LINE ONLY", Display{Kind: KindLines, Lines: []string{"ONE LINE ONLY"}}},

		// Mobile numbers.
		{"myinfo.mobile_number", "91234567", Display{Kind: KindText, Text: "+65 9123 4567"}},
		{"myinfo.mobile_number", "+65 9123 4567", Display{Kind: KindText, Text: "+65 9123 4567"}},
		{"myinfo.mobile_number", "9123456", Display{Kind: KindText, Text: "9123456"}},
		{"myinfo.mobile_number_with_country_code", "+6591234567", Display{Kind: KindText, Text: "+65 9123 4567"}},
		{"myinfo.mobile_number_with_country_code", "+65-9123-4567", Display{Kind: KindText, Text: "+65 9123 4567"}},
		{"myinfo.mobile_number_with_country_code", "(65) 91234567", Display{Kind: KindText, Text: "+65 9123 4567"}},
		{"myinfo.mobile_number_with_country_code", "+1 415 555 2671", Display{Kind: KindText, Text: "+1 415 555 2671"}},
		{"myinfo.mobile_number_with_country_code", "call me", Display{Kind: KindText, Text: "call me"}},

		// NRIC masking.
		{"myinfo.nric_number", "S9812381D", Display{Kind: KindMasked, Text: "S****381D", Reveal: "S9812381D"}},
		{"myinfo.nric_number", "G1234567XY", Display{Kind: KindMasked, Text: "G*****67XY", Reveal: "G1234567XY"}},
		{"myinfo.nric_number", "AB12", Display{Kind: KindMasked, Text: "****", Reveal: "AB12"}},

		// JSON-valued fields.
		{"myinfo.children_birth_records",
			`[{"birth_cert_no":"T1234567A","name":"TAN AH KOW","date_of_birth":"2015-06-01","life_status":"ALIVE"},
			  {"name":"TAN AH MEI","birth_cert_no":"T7654321B","date_of_birth":"2018-02","life_status":"DECEASED","gender":"F"}]`,
			Display{Kind: KindTable,
				Columns: []string{"Name", "Birth certificate number", "Date of birth", "Life status", "Gender"},
				Rows: [][]string{
					{"TAN AH KOW", "T1234567A", "1 June 2015", "ALIVE", ""},
					{"TAN AH MEI", "T7654321B", "February 2018", "DECEASED", "F"},
				}}},
		{"myinfo.sponsored_children_records",
			`[{"nric":"T1111111A","name":"LIM","date_of_birth":"2019-12-31","life_status":"ALIVE"}]`,
			Display{Kind: KindTable,
				Columns: []string{"Name", "NRIC", "Date of birth", "Life status"},
				Rows:    [][]string{{"LIM", "T1111111A", "31 December 2019", "ALIVE"}}}},
		{"pocdex.public_officer_details",
			`[{"work_email":"a@tech.gov.sg","agency_name":"GovTech","department_name":"Identity","employment_type":"Permanent","employment_title":"Engineer","grade":7,"acting":false,"start_date":"2020-01-02"}]`,
			Display{Kind: KindTable,
				Columns: []string{"Work email", "Agency", "Department", "Employment type", "Job title", "Acting", "Grade", "Start date"},
				Rows:    [][]string{{"a@tech.gov.sg", "GovTech", "Identity", "Permanent", "Engineer", "No", "7", "2 January 2020"}}}},
		{"pocdex.public_officer_details",
			`[{"work_email":"NA","agency_name":"GovTech","department_name":" NA ","employment_type":"NA","employment_title":"Engineer"}]`,
			Display{Kind: KindTable,
				Columns: []string{"Work email", "Agency", "Department", "Employment type", "Job title"},
				Rows:    [][]string{{"Not provided", "GovTech", "Not provided", "Not provided", "Engineer"}}}},
		{"myinfo.vehicles", `[{"vehicle_number":"SBA1234A"},{"vehicle_number":"SGX9999Z"}]`,
			Display{Kind: KindTable, Columns: []string{"Vehicle number"}, Rows: [][]string{{"SBA1234A"}, {"SGX9999Z"}}}},
		{"myinfo.vehicles", `["SBA1234A"]`,
			Display{Kind: KindTable, Columns: []string{"Vehicles"}, Rows: [][]string{{"SBA1234A"}}}},
		{"myinfo.vehicles", `{"vehicle_number":"SBA1234A"}`,
			Display{Kind: KindTable, Columns: []string{"Vehicle number"}, Rows: [][]string{{"SBA1234A"}}}},
		{"myinfo.children_birth_records", `[]`, Display{NotProvided: true, Kind: KindText}},
		{"pocdex.public_officer_details", ` [ ] `, Display{NotProvided: true, Kind: KindText}},
		{"myinfo.children_birth_records", `[{"name":`, Display{Kind: KindText, Text: `[{"name":`}},
		{"myinfo.vehicles", `"SBA1234A"`, Display{Kind: KindText, Text: `"SBA1234A"`}},
		{"myinfo.vehicles", `[[1,2]]`, Display{Kind: KindText, Text: `[[1,2]]`}},
		{"myinfo.vehicles", `[{"a":1}] trailing`, Display{Kind: KindText, Text: `[{"a":1}] trailing`}},

		// Unknown scopes show raw text.
		{"myinfo.shoe_size", "42", Display{Kind: KindText, Text: "42"}},
		{"myinfo.shoe_size", "[1,2]", Display{Kind: KindText, Text: "[1,2]"}},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.scope] = true
		got := Format(tt.scope, tt.value)
		if got.FieldInfo != Describe(tt.scope) {
			t.Errorf("Format(%q).FieldInfo = %+v, want %+v", tt.scope, got.FieldInfo, Describe(tt.scope))
		}
		tt.want.FieldInfo = got.FieldInfo
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Format(%q, %q)\n got %#v\nwant %#v", tt.scope, tt.value, got, tt.want)
		}
	}
	for _, f := range AllFields() {
		if !covered[f.Scope] {
			t.Errorf("no Format case for catalogued field %s", f.Scope)
		}
	}
}

func TestCatalogue(t *testing.T) {
	all := AllFields()
	if len(all) != 30 {
		t.Errorf("catalogue has %d fields, want the 30 of sgid.md", len(all))
	}
	if all[0].Scope != "myinfo.name" {
		t.Errorf("first field = %s, want myinfo.name", all[0].Scope)
	}
	seen := map[string]bool{}
	for _, f := range all {
		if seen[f.Scope] {
			t.Errorf("%s listed twice", f.Scope)
		}
		seen[f.Scope] = true
		if !KnownScope(f.Scope) || Describe(f.Scope) != f {
			t.Errorf("%s: KnownScope/Describe disagree with AllFields", f.Scope)
		}
		if f.Label == "" || f.Label == f.Scope || f.Purpose == "" || strings.HasPrefix(f.Purpose, "Data sgID calls") {
			t.Errorf("%s lacks a human label or purpose: %+v", f.Scope, f)
		}
	}
	if !KnownScope("openid") || Describe("openid").Label == "openid" {
		t.Errorf("openid is not described: %+v", Describe("openid"))
	}
	if KnownScope("myinfo.shoe_size") {
		t.Error("unknown scope reported known")
	}
	want := FieldInfo{Scope: "myinfo.shoe_size", Label: "myinfo.shoe_size", Purpose: "Data sgID calls myinfo.shoe_size"}
	if got := Describe("myinfo.shoe_size"); got != want {
		t.Errorf("Describe(unknown) = %+v, want %+v", got, want)
	}
	all[0].Label = "changed"
	if AllFields()[0].Label == "changed" {
		t.Error("AllFields returned the catalogue itself")
	}
}

// TestFormatEveryFieldInEveryForm runs each catalogued field through the
// forms sgID may send it in: every date field in all three precisions and
// unparsable, every mobile field bare, spaced and with its country code,
// and every field as NA and empty.
func TestFormatEveryFieldInEveryForm(t *testing.T) {
	dates := []struct{ in, want string }{
		{"2015-11-21", "21 November 2015"},
		{"2015-11", "November 2015"},
		{"2015", "2015"},
		{"21/11/2015", "21/11/2015"}, // not a form sgID documents: shown as sent
	}
	mobiles := []struct{ in, want string }{
		{"97399245", "+65 9739 9245"},
		{"9739 9245", "+65 9739 9245"},
		{"+6597399245", "+65 9739 9245"},
		{"+65 9739 9245", "+65 9739 9245"},
		{"6597399245", "+65 9739 9245"},
		{"+44 7700 900123", "+44 7700 900123"}, // not Singapore: grouping left as sent
	}
	formats := map[string]int{}
	for _, f := range AllFields() {
		switch spec := catalogueByScope[f.Scope]; spec.format {
		case formatDate:
			formats["date"]++
			for _, d := range dates {
				if got := Format(f.Scope, d.in); got.Kind != KindText || got.Text != d.want || got.NotProvided {
					t.Errorf("Format(%s, %q): expected text %q, got %+v", f.Scope, d.in, d.want, got)
				}
			}
		case formatMobile, formatMobileCC:
			formats["mobile"]++
			for _, m := range mobiles {
				if got := Format(f.Scope, m.in); got.Kind != KindText || got.Text != m.want {
					t.Errorf("Format(%s, %q): expected %q, got %+v", f.Scope, m.in, m.want, got)
				}
			}
		case formatTable:
			formats["table"]++
			row := map[string]string{}
			for _, c := range spec.columns {
				row[c] = "x"
			}
			b, _ := json.Marshal([]map[string]string{row})
			got := Format(f.Scope, string(b))
			if got.Kind != KindTable || len(got.Columns) != len(spec.columns) || len(got.Rows) != 1 {
				t.Errorf("Format(%s, one full row): expected a table with %d columns and 1 row, got %+v", f.Scope, len(spec.columns), got)
			}
			for _, c := range got.Columns {
				if strings.Contains(c, "_") {
					t.Errorf("%s: expected column headings in words, got %q", f.Scope, c)
				}
			}
		}
		for _, missing := range []string{"NA", "", "  "} {
			got := Format(f.Scope, missing)
			if !got.NotProvided || got.Text != "" || got.Lines != nil || got.Rows != nil {
				t.Errorf("Format(%s, %q): expected not provided and nothing else, got %+v", f.Scope, missing, got)
			}
		}
	}
	// sgid.md names five date fields, two mobile fields and four JSON ones.
	if formats["date"] != 5 || formats["mobile"] != 2 || formats["table"] != 4 {
		t.Errorf("expected 5 date, 2 mobile and 4 table fields in the catalogue, got %v", formats)
	}
}

func TestFormatBoundsWhatItShows(t *testing.T) {
	long := strings.Repeat("é", MaxDisplayRunes+5)
	d := Format("myinfo.name", long)
	if !d.Truncated || len([]rune(d.Text)) != MaxDisplayRunes+1 {
		t.Errorf("long text: want %d runes and an ellipsis, marked truncated; got %d runes, truncated=%v", MaxDisplayRunes, len([]rune(d.Text)), d.Truncated)
	}
	lines := strings.Repeat("line\n", MaxDisplayLines+3)
	if d := Format("myinfo.registered_address", lines); !d.Truncated || len(d.Lines) != MaxDisplayLines {
		t.Errorf("many lines: want %d lines, truncated; got %d, %v", MaxDisplayLines, len(d.Lines), d.Truncated)
	}
	rows := "[" + strings.TrimSuffix(strings.Repeat(`{"vehicle_number":"SBA1234A"},`, MaxDisplayRows+1), ",") + "]"
	if d := Format("myinfo.vehicles", rows); !d.Truncated || len(d.Rows) != MaxDisplayRows {
		t.Errorf("many rows: want %d rows, truncated; got %d, %v", MaxDisplayRows, len(d.Rows), d.Truncated)
	}
	if d := Format("myinfo.name", "TAN AH KOW"); d.Truncated || d.Text != "TAN AH KOW" {
		t.Errorf("a normal value must be shown whole: %+v", d)
	}
}

// TestFormatBoundsColumns: one object with 40,000 keys becomes a table of
// MaxDisplayColumns columns, documented ones first, marked truncated.
func TestFormatBoundsColumns(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"vehicle_number":"SBA1234A"`)
	for i := range 40000 {
		fmt.Fprintf(&b, `,"k%05d":"v"`, i)
	}
	b.WriteString("}")
	d := Format("myinfo.vehicles", b.String())
	if d.Kind != KindTable || !d.Truncated {
		t.Fatalf("want a truncated table, got kind %q, truncated=%v", d.Kind, d.Truncated)
	}
	if len(d.Columns) != MaxDisplayColumns || len(d.Rows) != 1 || len(d.Rows[0]) != MaxDisplayColumns {
		t.Fatalf("want %d columns and one row of as many cells, got %d columns, %d rows", MaxDisplayColumns, len(d.Columns), len(d.Rows))
	}
	if d.Rows[0][0] != "SBA1234A" || d.Rows[0][1] != "v" {
		t.Errorf("want the documented column first, then the others in order: %q", d.Rows[0][:2])
	}
	// Many rows with distinct keys: only the rows shown are read.
	b.Reset()
	b.WriteString("[")
	for i := range 5000 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"k%05d":"v"}`, i)
	}
	b.WriteString("]")
	if d := Format("myinfo.vehicles", b.String()); !d.Truncated || len(d.Rows) != MaxDisplayRows || len(d.Columns) != MaxDisplayColumns {
		t.Errorf("many rows of distinct keys: want %d rows, %d columns, truncated; got %d, %d, %v", MaxDisplayRows, MaxDisplayColumns, len(d.Rows), len(d.Columns), d.Truncated)
	}
}
