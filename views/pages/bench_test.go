package pages_test

import (
	"context"
	"io"
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

func BenchmarkHomeAnonymous(b *testing.B) { benchRender(b, pages.Home(anonymousHome())) }

func BenchmarkHomeLoggedIn(b *testing.B) { benchRender(b, pages.Home(loggedInHome())) }

func BenchmarkProfilePanel(b *testing.B) { benchRender(b, pages.ProfilePanel(loggedInHome().Profile)) }
