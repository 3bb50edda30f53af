// Package examples_test starts nginx and Caddy from the configs shipped in
// this folder, in front of sgidweb (BASE_PATH=/sgid/, embedded mock) and an
// app that echoes what it receives, and walks a person through them.
package examples_test

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/sgidweb/sgidweb/internal/apptest"
	"github.com/sgidweb/sgidweb/internal/gatewaytest"
	"github.com/sgidweb/sgidweb/internal/testenv"
)

// guarded starts the app and sgidweb for a proxy that will listen on port,
// and returns the placeholder values of the example configs.
func guarded(t *testing.T, port int) (*gatewaytest.App, *apptest.Site, map[string]string) {
	t.Helper()
	app := gatewaytest.StartApp(t)
	origin := fmt.Sprintf("http://127.0.0.1:%d", port)
	site := apptest.Start(t, apptest.Listen(t), map[string]string{"BASE_PATH": "/sgid/", "PUBLIC_URL": origin})
	appURL, _ := url.Parse(app.URL)
	siteURL, _ := url.Parse(site.URL)
	return app, site, map[string]string{"SGIDWEB": siteURL.Host, "APP": appURL.Host}
}

func TestNginxExample(t *testing.T) {
	port := testenv.FreePort(t)
	app, site, vars := guarded(t, port)
	vars["LISTEN"] = fmt.Sprintf("127.0.0.1:%d", port)
	nginx := testenv.StartNginx(t, testenv.Example(t, "nginx.conf", vars), port)
	gatewaytest.CheckGuard(t, gatewaytest.Setup{
		Origin: fmt.Sprintf("http://127.0.0.1:%d", port), Base: "/sgid/", App: app, Cookie: site.App.SessionCookieName(),
		OtherSgidHeaders: true, WebSocket: true,
	})
	if t.Failed() {
		t.Logf("nginx log:\n%s", nginx.Log())
	}
}

func TestCaddyExample(t *testing.T) {
	port := testenv.FreePort(t)
	app, site, vars := guarded(t, port)
	vars["SITE"] = fmt.Sprintf("http://127.0.0.1:%d", port)
	caddy := testenv.StartCaddy(t, testenv.Example(t, "Caddyfile", vars), port)
	gatewaytest.CheckGuard(t, gatewaytest.Setup{
		Origin: fmt.Sprintf("http://127.0.0.1:%d", port), Base: "/sgid/", App: app, Cookie: site.App.SessionCookieName(),
		WebSocket: true,
	})
	if t.Failed() {
		t.Logf("caddy log:\n%s", caddy.Log())
	}
}
