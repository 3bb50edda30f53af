package web

import (
	"github.com/labstack/echo/v4"

	"github.com/sgidweb/sgidweb/views/pages"
)

// The three regions of the home page, each alone, for htmx swaps.

func (s *Server) loginButtonFragment(c echo.Context) error {
	return s.renderRegion(c, pages.LoginButton(s.homeProps(c).LoginButton))
}

func (s *Server) consentStatusFragment(c echo.Context) error {
	return s.renderRegion(c, pages.ConsentStatus(s.homeProps(c).Consent))
}

func (s *Server) profileFragment(c echo.Context) error {
	return s.renderRegion(c, pages.ProfilePanel(s.homeProps(c).Profile))
}
