package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/sgidweb/sgidweb/internal/config"
	"github.com/sgidweb/sgidweb/internal/session"
	"github.com/sgidweb/sgidweb/views/urls"
)

// Templates make our addresses with views/urls; the render helper is what
// tells them the base path.
func TestRenderGivesTemplatesTheBasePath(t *testing.T) {
	s := &Server{cfg: config.Config{BasePath: "/sgid/"}, sessions: session.New(session.Options{})}
	link := templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		_, err := io.WriteString(w, urls.Path(ctx, "/auth/login"))
		return err
	})
	rec := httptest.NewRecorder()
	c := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/sgid/", nil), rec)
	if err := s.render(c, http.StatusOK, link, nil); err != nil {
		t.Fatal(err)
	}
	if got := rec.Body.String(); got != "/sgid/auth/login" {
		t.Errorf("want /sgid/auth/login, got %q", got)
	}
}
