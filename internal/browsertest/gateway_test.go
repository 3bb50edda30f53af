package browsertest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sgidweb/sgidweb/internal/apptest"
	"github.com/sgidweb/sgidweb/internal/gatewaytest"
	"github.com/sgidweb/sgidweb/internal/testenv"
)

// TestGuardedAppThroughNginx opens a guarded address with a query in
// Chromium, through nginx started from the shipped example, logs in at the
// mock sgID and lands back on that address, where the app has verified who
// the person is.
func TestGuardedAppThroughNginx(t *testing.T) {
	port := testenv.FreePort(t)
	origin := fmt.Sprintf("http://127.0.0.1:%d", port)
	app := gatewaytest.StartApp(t)
	s := apptest.Start(t, apptest.Listen(t), map[string]string{"BASE_PATH": "/sgid/", "PUBLIC_URL": origin})
	appURL, _ := url.Parse(app.URL)
	siteURL, _ := url.Parse(s.URL)
	conf := testenv.Example(t, "nginx.conf", map[string]string{"LISTEN": fmt.Sprintf("127.0.0.1:%d", port), "SGIDWEB": siteURL.Host, "APP": appURL.Host})
	testenv.StartNginx(t, conf, port)
	app.Trust(origin+"/sgid/.well-known/jwks.json", origin+"/sgid/")

	tb := newTab(t)
	// The origin's icon is the guarded app's, and nobody is logged in
	// while the mock's pages show: Chromium's request for it gets 401.
	tb.expectTrouble("status of 401 (Unauthorized) (" + origin + "/favicon.ico)")
	guarded := origin + gatewaytest.GuardedPath
	tb.do("open the guarded page", chromedp.Navigate(guarded), chromedp.WaitVisible(byTestID("mock-sgid-authorize")))
	tb.pickPersona()
	tb.do("allow", chromedp.Click(byTestID("consent-allow")), chromedp.WaitReady("body > pre"))
	if got := tb.location(); got != guarded {
		t.Fatalf("after login: want to be back on %s, got %s", guarded, got)
	}
	var got gatewaytest.Received
	if err := json.Unmarshal([]byte(run(tb, "read the app's page", chromedp.Text("body > pre"))), &got); err != nil {
		t.Fatalf("the app's page: %v", err)
	}
	if got.URI != gatewaytest.GuardedPath || got.AssertionError != "" || got.Claims["myinfo.name"] != personaName {
		t.Errorf("the app received %s as %q (%v), assertion error %q", got.URI, got.Subject, got.Claims["myinfo.name"], got.AssertionError)
	}
}
