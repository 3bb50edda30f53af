package web

import (
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/sgidweb/sgidweb/assets"
)

// asset serves embedded files under their content-hashed names, so a browser
// may keep them forever: a change gets a new name. In the development loop
// (assets.UseDir) it serves the files on disk under their plain names and
// forbids caching, so an edit shows on the next reload.
func (s *Server) asset(c echo.Context) error {
	name, ok := assets.Lookup("/" + strings.TrimPrefix(c.Request().URL.Path, s.cfg.BasePath))
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if assets.FromDisk() {
		c.Response().Header().Set("Cache-Control", "no-store")
	} else {
		c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	http.ServeFileFS(c.Response(), c.Request(), assets.Files(), path.Clean(name))
	return nil
}

// favicon answers the icon request browsers make on every page by
// themselves. The site has no icon; an empty answer keeps that request from
// showing as a 404 error in every visitor's console.
func (s *Server) favicon(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=86400")
	return c.NoContent(http.StatusNoContent)
}
