package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/sgidweb/sgidweb/views/pages"
)

// home renders the page with its three regions and the flash message.
func (s *Server) home(c echo.Context) error {
	props := s.homeProps(c)
	// A HEAD shows nothing, so it must not spend the one-off message.
	if c.Request().Method == http.MethodGet {
		if kind, msg, ok := s.sessions.PopFlash(c.Request().Context()); ok {
			props.Flash = &pages.Flash{Kind: kind, Message: msg}
		}
	}
	return s.render(c, http.StatusOK, pages.Home(props), nil)
}
