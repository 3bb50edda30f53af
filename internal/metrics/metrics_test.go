package metrics_test

import (
	"io"
	"net/http/httptest"
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
	m.ObserveCall(sgid.Call{Endpoint: sgid.EndpointJWKS, Status: 503})
	text := scrape(t, m)
	for _, want := range []string{`sgidweb_jwks_refreshes_total{result="error"} 2`, `sgidweb_sgid_request_duration_seconds_count{endpoint="jwks",status="0"} 1`} {
		if !strings.Contains(text, want) {
			t.Errorf("want %q in\n%s", want, grep(text, "jwks"))
		}
	}
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
