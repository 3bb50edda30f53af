package web

import (
	"bytes"
	"net/http"
	"sync"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/sgidweb/sgidweb/internal/htmx"
	"github.com/sgidweb/sgidweb/views/layouts"
	"github.com/sgidweb/sgidweb/views/urls"
)

// render writes a component: the region alone for an htmx swap, the whole
// page otherwise. It renders into a buffer first so that a failing component
// becomes an error page instead of half a page.
func (s *Server) render(c echo.Context, status int, page, region templ.Component) error {
	component := page
	if region != nil && htmx.IsFragmentRequest(c.Request()) {
		component = region
	}
	buf := pageBuffers.Get().(*bytes.Buffer)
	defer putPageBuffer(buf)
	// Templates make our addresses with views/urls, under BASE_PATH.
	ctx := urls.WithBase(c.Request().Context(), s.cfg.BasePath)
	if err := component.Render(ctx, buf); err != nil {
		return err
	}
	// The session is committed before the page goes out, so a lost commit
	// becomes the 503 page through handleError rather than a page that
	// claims a change the store never kept. An error page is written even
	// when the commit fails (or failed already): it claims no change.
	failedBefore := s.sessions.SaveFailed(c)
	if err := s.sessions.Save(c); err != nil {
		if status < http.StatusBadRequest {
			return err
		}
		if !failedBefore {
			s.logger(c).Error("session commit failed", "error", err.Error())
		}
	}
	h := c.Response().Header()
	h.Add("Vary", "HX-Request")
	return c.Blob(status, "text/html; charset=utf-8", buf.Bytes())
}

// pageBuffers hold rendered pages until they are written; c.Blob copies
// the bytes out before render returns, so a buffer is free again then.
var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putPageBuffer returns a buffer to the pool, unless an unusually large page
// grew it: the pool should not pin that memory.
func putPageBuffer(b *bytes.Buffer) {
	if b.Cap() > 256<<10 {
		return
	}
	b.Reset()
	pageBuffers.Put(b)
}

// redirect saves the session and then sends the browser to target: a 303,
// or for htmx a 204 with HX-Redirect, since htmx does not turn a 3xx into a
// page navigation. Saving first means a store failure becomes the error
// page instead of a redirect that claims a change the store never kept.
func (s *Server) redirect(c echo.Context, target string) error {
	if err := s.sessions.Save(c); err != nil {
		return err
	}
	htmx.Redirect(c.Response(), c.Request(), target)
	return nil
}

// renderRegion writes a region alone, for the /fragments routes.
func (s *Server) renderRegion(c echo.Context, region templ.Component) error {
	return s.render(c, http.StatusOK, region, region)
}

// page is the layout's view model for this request.
func (s *Server) page(title string) layouts.Page {
	return layouts.Page{Title: title, MockMode: s.cfg.MockMode, Masthead: s.cfg.Masthead}
}
