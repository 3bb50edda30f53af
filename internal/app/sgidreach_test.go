package app_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sgidweb/sgidweb/internal/apptest"
	"github.com/sgidweb/sgidweb/internal/sgidtest"
)

// The server fetches sgID's JWKS on its own as it starts, so the
// reachability metrics tell the truth before anybody logs in.
func TestSGIDReachabilityIsMeasuredWithoutLogins(t *testing.T) {
	for _, tc := range []struct {
		name string
		down bool
		want string
	}{
		{"JWKS answers", false, `sgidweb_sgid_up{fetch="jwks"} 1`},
		{"JWKS down", true, `sgidweb_sgid_up{fetch="jwks"} 0`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln := apptest.Listen(t)
			p := sgidtest.New(t, "http://"+ln.Addr().String()+"/auth/callback")
			if tc.down {
				p.SetFaults(sgidtest.Faults{JWKS: func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "down", 503) }})
			}
			s := apptest.Start(t, ln, map[string]string{
				"SGID_HOSTNAME":      p.URL,
				"SGID_CLIENT_ID":     sgidtest.ClientID,
				"SGID_CLIENT_SECRET": sgidtest.ClientSecret,
				"SGID_PRIVATE_KEY":   sgidtest.ClientKeyPEM(),
				"SGID_SCOPES":        "openid myinfo.name",
				"METRICS_ADDR":       "127.0.0.1:0",
			})
			// The fetch runs beside the server: wait for its metric (and,
			// when it fails, its warning), boundedly.
			warned := func() bool { return strings.Contains(s.Logs.String(), `"reason":"keys_unavailable"`) }
			var text string
			for range 500 {
				text = scrape(t, s.App.MetricsAddr())
				if strings.Contains(text, "sgidweb_sgid_up{") && (!tc.down || warned()) {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			if !strings.Contains(text, tc.want+"\n") {
				t.Fatalf("want %q, got:\n%s", tc.want, grepLines(text, "sgid_"))
			}
			hasSuccess := strings.Contains(text, `sgidweb_sgid_last_success_timestamp_seconds{fetch="jwks"}`)
			if hasSuccess == tc.down {
				t.Errorf("last success time present: %v, want %v", hasSuccess, !tc.down)
			}
			if tc.down && !warned() {
				t.Errorf("no warning names the failed refresh:\n%s", s.Logs.String())
			}
			if n := p.TokenCalls.Load(); n != 0 {
				t.Errorf("the token endpoint was called %d times: nobody logged in", n)
			}
		})
	}
}

func scrape(t *testing.T, addr string) string {
	t.Helper()
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

func grepLines(text, word string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, word) && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
