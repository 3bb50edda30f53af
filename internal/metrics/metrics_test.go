package metrics_test

import (
	"io"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sgidweb/sgidweb/internal/metrics"
	"github.com/sgidweb/sgidweb/internal/sgid"
)

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestClockDriftFollowsSGIDsDateHeader(t *testing.T) {
	m := metrics.New()
	sent := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	// Our clock is 42 s ahead of sgID's.
	m.ObserveCall(sgid.Call{Endpoint: sgid.EndpointJWKS, Status: 200, Duration: 200 * time.Millisecond,
		Sent: sent, ServerDate: sent.Add(-42 * time.Second)})
	if text := scrape(t, m); !strings.Contains(text, "sgidweb_sgid_clock_drift_seconds 42\n") {
		t.Errorf("want a drift of 42 s, got:\n%s", grep(text, "clock_drift"))
	}
	// An answer without a Date header leaves the last reading alone.
	m.ObserveCall(sgid.Call{Endpoint: sgid.EndpointToken, Status: 200, Sent: sent})
	if text := scrape(t, m); !strings.Contains(text, "sgidweb_sgid_clock_drift_seconds 42\n") {
		t.Errorf("a call without Date changed the drift:\n%s", grep(text, "clock_drift"))
	}
}

func TestFailedJWKSFetchCountsAsAFailedRefresh(t *testing.T) {
	m := metrics.New()
	m.ObserveCall(sgid.Call{Endpoint: sgid.EndpointJWKS, Status: 0})
	m.ObserveFetch(sgid.FetchResult{Fetch: sgid.FetchJWKS, OK: false})
	m.ObserveCall(sgid.Call{Endpoint: sgid.EndpointJWKS, Status: 200})
	m.ObserveFetch(sgid.FetchResult{Fetch: sgid.FetchJWKS, OK: false}) // a 200 without a usable key
	text := scrape(t, m)
	for _, want := range []string{`sgidweb_jwks_refreshes_total{result="error"} 2`, `sgidweb_sgid_request_duration_seconds_count{endpoint="jwks",status="0"} 1`} {
		if !strings.Contains(text, want) {
			t.Errorf("want %q in\n%s", want, grep(text, "jwks"))
		}
	}
}

// sgidweb_sgid_up follows the last fetch; the last success time moves only
// on a success.
func TestSGIDUpFollowsTheLastFetch(t *testing.T) {
	m := metrics.New()
	before := time.Now().Unix()
	m.ObserveFetch(sgid.FetchResult{Fetch: sgid.FetchJWKS, OK: true})
	text := scrape(t, m)
	if !strings.Contains(text, `sgidweb_sgid_up{fetch="jwks"} 1`+"\n") {
		t.Errorf("after a successful fetch want up 1, got:\n%s", grep(text, "sgid_up"))
	}
	success := lastSuccess(t, text)
	if success < float64(before) {
		t.Errorf("last success time %v is before the fetch (%d)", success, before)
	}

	m.ObserveFetch(sgid.FetchResult{Fetch: sgid.FetchJWKS, OK: false})
	text = scrape(t, m)
	if !strings.Contains(text, `sgidweb_sgid_up{fetch="jwks"} 0`+"\n") {
		t.Errorf("after a failed fetch want up 0, got:\n%s", grep(text, "sgid_up"))
	}
	if got := lastSuccess(t, text); got != success {
		t.Errorf("a failed fetch moved the last success time from %v to %v", success, got)
	}
	if strings.Contains(text, `fetch="discovery"`) {
		t.Error("a discovery series appeared, but the client never fetches the discovery document")
	}
}

func lastSuccess(t *testing.T, text string) float64 {
	t.Helper()
	const series = `sgidweb_sgid_last_success_timestamp_seconds{fetch="jwks"} `
	for _, l := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(l, series); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%q: %v", l, err)
			}
			return f
		}
	}
	t.Fatalf("no %s series in\n%s", series, grep(text, "sgid"))
	return 0
}

func grep(text, word string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
