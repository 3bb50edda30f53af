package sgid

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// FieldInfo describes one sgID scope for people: what it is called and, in
// one plain line, what the app would learn from it.
type FieldInfo struct {
	Scope   string
	Label   string
	Purpose string
}

// fieldFormat says how a field's value is shown.
type fieldFormat int

const (
	formatText fieldFormat = iota
	formatDate
	formatAddress
	formatMobile
	formatMobileCC
	formatNRIC
	formatTable
)

type fieldSpec struct {
	FieldInfo
	format  fieldFormat
	columns []string // formatTable: the documented keys, in display order
}

// catalogue lists the data fields in display order: name first, then as
// sgid.md lists them.
var catalogue = []fieldSpec{
	{FieldInfo{"myinfo.name", "Name", "Your full name as on your NRIC"}, formatText, nil},
	{FieldInfo{"myinfo.nric_number", "NRIC number", "Your NRIC or FIN number"}, formatNRIC, nil},
	{FieldInfo{"myinfo.date_of_birth", "Date of birth", "Your date of birth"}, formatDate, nil},
	{FieldInfo{"myinfo.passport_number", "Passport number", "The number of your current passport"}, formatText, nil},
	{FieldInfo{"myinfo.passport_expiry_date", "Passport expiry date", "When your current passport expires"}, formatDate, nil},
	{FieldInfo{"myinfo.mobile_number", "Mobile number", "Your mobile number as registered with Singpass"}, formatMobile, nil},
	{FieldInfo{"myinfo.email", "Email", "Your email address as registered with Singpass"}, formatText, nil},
	{FieldInfo{"myinfo.registered_address", "Registered address", "Your address as registered with the government"}, formatAddress, nil},
	{FieldInfo{"myinfo.sex", "Sex", "Your sex as on your NRIC"}, formatText, nil},
	{FieldInfo{"myinfo.race", "Race", "Your race as on your NRIC"}, formatText, nil},
	{FieldInfo{"myinfo.nationality", "Nationality", "Your nationality"}, formatText, nil},
	{FieldInfo{"myinfo.residentialstatus", "Residential status", "Whether you are a citizen, a permanent resident or neither"}, formatText, nil},
	{FieldInfo{"myinfo.housingtype", "Housing type", "The type of private housing you live in, if any"}, formatText, nil},
	{FieldInfo{"myinfo.hdbtype", "HDB flat type", "The type of HDB flat you live in, if any"}, formatText, nil},
	{FieldInfo{"myinfo.birth_country", "Country of birth", "The country you were born in"}, formatText, nil},
	{FieldInfo{"myinfo.vehicles", "Vehicles", "The vehicles registered to you"}, formatTable, []string{"vehicle_number"}},
	{FieldInfo{"myinfo.name_of_employer", "Employer", "The name of your employer"}, formatText, nil},
	{FieldInfo{"myinfo.workpass_status", "Work pass status", "Whether your work pass is live, if you hold one"}, formatText, nil},
	{FieldInfo{"myinfo.workpass_expiry_date", "Work pass expiry date", "When your work pass expires, if you hold one"}, formatDate, nil},
	{FieldInfo{"myinfo.marital_status", "Marital status", "Whether you are single, married, widowed or divorced"}, formatText, nil},
	{FieldInfo{"myinfo.mobile_number_with_country_code", "Mobile number (with country code)", "Your mobile number with its country code"}, formatMobileCC, nil},
	{FieldInfo{"myinfo.dialect", "Dialect", "Your dialect group as registered with the government"}, formatText, nil},
	{FieldInfo{"myinfo.occupation", "Occupation", "Your occupation as registered with the government"}, formatText, nil},
	{FieldInfo{"myinfo.country_of_marriage", "Country of marriage", "The country you married in, if married"}, formatText, nil},
	{FieldInfo{"myinfo.marriage_certificate_number", "Marriage certificate number", "The number of your marriage certificate, if married"}, formatText, nil},
	{FieldInfo{"myinfo.marriage_date", "Date of marriage", "When you married, if married"}, formatDate, nil},
	{FieldInfo{"myinfo.divorce_date", "Date of divorce", "When you divorced, if divorced"}, formatDate, nil},
	{FieldInfo{"myinfo.children_birth_records", "Children's birth records", "The names, birth dates and birth certificate numbers of your children"}, formatTable,
		[]string{"name", "birth_cert_no", "date_of_birth", "life_status"}},
	{FieldInfo{"myinfo.sponsored_children_records", "Sponsored children", "The names, birth dates and NRIC numbers of children you sponsor"}, formatTable,
		[]string{"name", "nric", "date_of_birth", "life_status"}},
	{FieldInfo{"pocdex.public_officer_details", "Public officer details", "Your work email, agency, department and job title as a public officer"}, formatTable,
		[]string{"work_email", "agency_name", "department_name", "employment_type", "employment_title"}},
}

// openidInfo describes the openid scope, which every login requests and
// which carries no data field.
var openidInfo = FieldInfo{"openid", "sgID account", "A private ID for you that only this app receives, so it can recognise you next time"}

var catalogueByScope = func() map[string]fieldSpec {
	m := make(map[string]fieldSpec, len(catalogue))
	for _, f := range catalogue {
		m[f.Scope] = f
	}
	return m
}()

// columnHeadings names the keys of sgID's JSON-valued fields for people.
var columnHeadings = map[string]string{
	"name":             "Name",
	"birth_cert_no":    "Birth certificate number",
	"nric":             "NRIC",
	"date_of_birth":    "Date of birth",
	"life_status":      "Life status",
	"work_email":       "Work email",
	"agency_name":      "Agency",
	"department_name":  "Department",
	"employment_type":  "Employment type",
	"employment_title": "Job title",
	"vehicle_number":   "Vehicle number",
}

// Describe returns the label and purpose of scope. An unknown scope is
// labelled with its own name, so new sgID scopes still display.
func Describe(scope string) FieldInfo {
	if scope == openidInfo.Scope {
		return openidInfo
	}
	if f, ok := catalogueByScope[scope]; ok {
		return f.FieldInfo
	}
	return FieldInfo{Scope: scope, Label: scope, Purpose: "Data sgID calls " + scope}
}

// KnownScope reports whether scope is openid or a catalogued data field.
func KnownScope(scope string) bool {
	_, ok := catalogueByScope[scope]
	return ok || scope == openidInfo.Scope
}

// AllFields returns every catalogued data field (not openid) in display order.
func AllFields() []FieldInfo {
	out := make([]FieldInfo, len(catalogue))
	for i, f := range catalogue {
		out[i] = f.FieldInfo
	}
	return out
}

// DisplayKind tells the view which shape a Display has.
type DisplayKind string

// Display kinds.
const (
	KindText   DisplayKind = "text"
	KindLines  DisplayKind = "lines"
	KindTable  DisplayKind = "table"
	KindMasked DisplayKind = "masked"
)

// Display is a field value ready to show. Strings are raw, not HTML-escaped:
// the view escapes them.
type Display struct {
	FieldInfo
	// NotProvided is set when sgID has no such data for the person ("NA")
	// or the value is empty; the other fields are then empty.
	NotProvided bool
	Kind        DisplayKind
	// Text is the value for KindText and the masked value for KindMasked.
	Text string
	// Reveal is the full value behind a KindMasked Text.
	Reveal  string
	Lines   []string
	Columns []string
	Rows    [][]string
	// Truncated is set when a value was longer than the display bounds and
	// was cut; the view says so.
	Truncated bool
}

// Display bounds: no real sgID value comes near them, and a hostile one
// (say, 100 kB of text) is cut rather than sent to every page view.
const (
	MaxDisplayRunes   = 1000 // per string: a value, a line or a cell
	MaxDisplayLines   = 20
	MaxDisplayRows    = 100
	MaxDisplayColumns = 20
)

// Format turns the decrypted value of scope into a Display, cut to the
// display bounds.
func Format(scope, value string) Display {
	d := format(scope, value)
	d.bound()
	return d
}

func (d *Display) bound() {
	cut := func(s string) string {
		if utf8.RuneCountInString(s) <= MaxDisplayRunes {
			return s
		}
		d.Truncated = true
		return string([]rune(s)[:MaxDisplayRunes]) + "…"
	}
	d.Text, d.Reveal = cut(d.Text), cut(d.Reveal)
	if len(d.Lines) > MaxDisplayLines {
		d.Lines, d.Truncated = d.Lines[:MaxDisplayLines], true
	}
	for i := range d.Lines {
		d.Lines[i] = cut(d.Lines[i])
	}
	if len(d.Rows) > MaxDisplayRows {
		d.Rows, d.Truncated = d.Rows[:MaxDisplayRows], true
	}
	if len(d.Columns) > MaxDisplayColumns {
		d.Columns, d.Truncated = d.Columns[:MaxDisplayColumns], true
	}
	for i, row := range d.Rows {
		if len(row) > MaxDisplayColumns {
			d.Rows[i], d.Truncated = row[:MaxDisplayColumns], true
		}
	}
	for i := range d.Columns {
		d.Columns[i] = cut(d.Columns[i])
	}
	for _, row := range d.Rows {
		for j := range row {
			row[j] = cut(row[j])
		}
	}
}

func format(scope, value string) Display {
	spec, known := catalogueByScope[scope]
	if !known {
		spec = fieldSpec{FieldInfo: Describe(scope), format: formatText}
	}
	d := Display{FieldInfo: spec.FieldInfo, Kind: KindText}
	v := strings.TrimSpace(value)
	if v == "" || v == "NA" {
		d.NotProvided = true
		return d
	}
	switch spec.format {
	case formatDate:
		d.Text = formatDateValue(v)
	case formatAddress:
		d.Kind = KindLines
		d.Lines = addressLines(v)
		if len(d.Lines) == 0 {
			d.Kind, d.NotProvided = KindText, true
		}
	case formatMobile, formatMobileCC:
		d.Text = formatMobileValue(v)
	case formatNRIC:
		d.Kind = KindMasked
		d.Text = maskNRIC(v)
		d.Reveal = v
	case formatTable:
		cols, rows, truncated, ok := jsonTable(v, spec)
		d.Truncated = truncated
		switch {
		case !ok:
			d.Text = value
		case len(rows) == 0:
			d.NotProvided = true
		default:
			d.Kind, d.Columns, d.Rows = KindTable, cols, rows
		}
	default:
		d.Text = value
	}
	return d
}

// formatDateValue renders YYYY-MM-DD, YYYY-MM and YYYY the way people write
// dates in Singapore ("12 March 1990"); anything else is returned as given.
func formatDateValue(v string) string {
	for _, l := range []struct{ in, out string }{
		{"2006-01-02", "2 January 2006"},
		{"2006-01", "January 2006"},
		{"2006", "2006"},
	} {
		if t, err := time.Parse(l.in, v); err == nil {
			return t.Format(l.out)
		}
	}
	return v
}

func addressLines(v string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(v, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

var (
	sgMobile     = regexp.MustCompile(`^(?:\+?65)?([0-9]{4})([0-9]{4})$`)
	phoneSpacing = strings.NewReplacer(" ", "", "-", "", "(", "", ")", "")
)

// formatMobileValue writes a Singapore number as "+65 9123 4567". Other
// international numbers are kept as given because their grouping depends on
// the country; anything unrecognised is also returned raw.
func formatMobileValue(v string) string {
	compact := phoneSpacing.Replace(v)
	if m := sgMobile.FindStringSubmatch(compact); m != nil {
		return "+65 " + m[1] + " " + m[2]
	}
	return v
}

// maskNRIC keeps the first letter and the last four characters, which is
// how Singapore agencies print NRICs (S****381D).
func maskNRIC(v string) string {
	r := []rune(v)
	if len(r) < 6 {
		return strings.Repeat("*", len(r))
	}
	return string(r[0]) + strings.Repeat("*", len(r)-5) + string(r[len(r)-4:])
}

// jsonTable reads a JSON array of objects (or one object) into rows under
// the documented columns followed by any unknown keys. ok is false when the
// value is not JSON of that shape, so the caller shows it raw.
// truncated is set when rows or columns beyond the display bounds were left out.
func jsonTable(v string, spec fieldSpec) (cols []string, rows [][]string, truncated, ok bool) {
	dec := json.NewDecoder(strings.NewReader(v))
	dec.UseNumber()
	var raw any
	if dec.Decode(&raw) != nil || dec.More() {
		return nil, nil, false, false
	}
	var items []any
	switch t := raw.(type) {
	case []any:
		items = t
	case map[string]any:
		items = []any{t}
	default:
		return nil, nil, false, false
	}
	if len(items) == 0 {
		return nil, nil, false, true
	}

	objects := make([]map[string]any, 0, len(items))
	for _, it := range items {
		switch t := it.(type) {
		case map[string]any:
			objects = append(objects, t)
		case string, json.Number, bool:
			// A list of plain values: one column headed by the field.
			objects = append(objects, map[string]any{"": t})
		default:
			return nil, nil, false, false
		}
	}

	// Only the rows that will be shown are read, so a hostile value costs
	// the same as one at the display bounds.
	if len(objects) > MaxDisplayRows {
		objects, truncated = objects[:MaxDisplayRows], true
	}
	present := make(map[string]bool)
	for _, o := range objects {
		for k := range o {
			present[k] = true
		}
	}
	// Documented columns first, only those some row has (an unexpected
	// shape must not render as a table of blanks), then the others sorted.
	var keys []string
	documented := make(map[string]bool, len(spec.columns))
	for _, k := range spec.columns {
		documented[k] = true
		if present[k] {
			keys = append(keys, k)
		}
	}
	var extra []string
	for k := range present {
		if !documented[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	keys = append(keys, extra...)
	if len(keys) > MaxDisplayColumns {
		keys, truncated = keys[:MaxDisplayColumns], true
	}

	for _, k := range keys {
		cols = append(cols, columnHeading(k, spec.Label))
	}
	for _, o := range objects {
		row := make([]string, len(keys))
		for i, k := range keys {
			row[i] = cellText(k, o[k])
		}
		rows = append(rows, row)
	}
	return cols, rows, truncated, true
}

func columnHeading(key, fieldLabel string) string {
	if key == "" {
		return fieldLabel
	}
	if h, ok := columnHeadings[key]; ok {
		return h
	}
	h := strings.TrimSpace(strings.NewReplacer("_", " ", "-", " ", ".", " ").Replace(key))
	if h == "" {
		return key
	}
	r, size := utf8.DecodeRuneInString(h)
	return string(unicode.ToUpper(r)) + h[size:]
}

func cellText(key string, v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		// sgID's "no data" inside a row, as outside one, is never shown
		// as if it were data.
		if strings.TrimSpace(t) == "NA" {
			return "Not provided"
		}
		if key == "date_of_birth" || strings.HasSuffix(key, "date") {
			return formatDateValue(strings.TrimSpace(t))
		}
		return t
	case json.Number:
		return t.String()
	case bool:
		if t {
			return "Yes"
		}
		return "No"
	default:
		b, _ := json.Marshal(t)
		return string(b)
	}
}
