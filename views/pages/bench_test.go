package pages_test

import (
	"context"
	"io"
	"slices"
	"testing"

	"github.com/a-h/templ"

	"github.com/sgidweb/sgidweb/views/pages"
)

func benchRender(b *testing.B, c templ.Component) {
	b.Helper()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Render(ctx, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// withTestIDs fills in the test ids as the server's view model does, from
// strings it makes once, so the benchmarks render what a page view renders.
func withTestIDs(p pages.HomeProps) pages.HomeProps {
	for i := range p.Consent.Requested {
		p.Consent.Requested[i].TestID = pages.ConsentItemTestID(p.Consent.Requested[i].Scope)
	}
	fields := slices.Clone(p.Profile.Fields)
	for i := range fields {
		fields[i].TestID = pages.FieldTestID(fields[i].Scope)
	}
	p.Profile.Fields = fields
	return p
}

func BenchmarkHomeAnonymous(b *testing.B) { benchRender(b, pages.Home(withTestIDs(anonymousHome()))) }

func BenchmarkHomeLoggedIn(b *testing.B) { benchRender(b, pages.Home(withTestIDs(loggedInHome()))) }

func BenchmarkProfilePanel(b *testing.B) {
	benchRender(b, pages.ProfilePanel(withTestIDs(loggedInHome()).Profile))
}
