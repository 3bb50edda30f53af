package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/sgidweb/sgidweb/views/pages"
)

// home renders the page with its three regions.
func (s *Server) home(c echo.Context) error {
	props := s.homeProps(c)
	return s.render(c, http.StatusOK, pages.Home(props), nil)
}
