package breakable_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/sgidweb/sgidweb/views/components/breakable"
)

func TestTextBreaksEmailAddressesAfterTheAtAndBeforeEachDot(t *testing.T) {
	for _, tc := range []struct{ value, want string }{
		{"siti_rahman@mma.gov.sg", "siti_rahman@<wbr>mma<wbr>.gov<wbr>.sg"},
		{"siti.rahman@example.gov.sg", "siti<wbr>.rahman@<wbr>example<wbr>.gov<wbr>.sg"},
		{"https://www.example.gov.sg/app/page?x=1&y=2#top", "https://<wbr>www<wbr>.example<wbr>.gov<wbr>.sg/<wbr>app/<wbr>page<wbr>?x=1<wbr>&amp;y=2<wbr>#top"},
		{"write to tan@a.sg today", "write to tan@<wbr>a<wbr>.sg today"},
		// Not an address: left whole.
		{"SITI NURHALIZA BINTE ABDUL RAHMAN", "SITI NURHALIZA BINTE ABDUL RAHMAN"},
		{"Dr. Tan paid 12.50", "Dr. Tan paid 12.50"},
		{"#05-02 SEAVIEW RESIDENCES", "#05-02 SEAVIEW RESIDENCES"},
		{"", ""},
	} {
		var sb strings.Builder
		if err := breakable.Text(tc.value).Render(context.Background(), &sb); err != nil {
			t.Fatal(err)
		}
		if sb.String() != tc.want {
			t.Errorf("%q: want %s, got %s", tc.value, tc.want, sb.String())
		}
	}
}

// The segments join to the value itself, so copying the rendered text
// gives the address unchanged, whatever the value.
func TestSegmentsJoinToTheValue(t *testing.T) {
	for _, value := range []string{
		"siti_rahman@mma.gov.sg", "a@b", "@", ".", "a..b@@c//d", "mailto:x@y.z", "  x@y.z  ", "名前@例え.jp", "https://a.b/",
	} {
		segments := breakable.Segments(value)
		if got := strings.Join(segments, ""); got != value {
			t.Errorf("%q: segments join to %q", value, got)
		}
		if slices.Contains(segments, "") && value != "" {
			t.Errorf("%q: empty segment in %q", value, segments)
		}
	}
}
