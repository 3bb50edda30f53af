// Package metrics records sgidweb's Prometheus metrics in a registry of its
// own (never the global one), so two apps in one process, as in tests, do
// not collide, and only what is listed here is exported.
//
// No label carries personal data: labels are route patterns, status codes,
// fixed endpoint names and reason codes.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sgidweb/sgidweb/internal/sgid"
)

// Metrics implements sgid.Observer and web.Recorder.
type Metrics struct {
	reg *prometheus.Registry

	loginsStarted     prometheus.Counter
	loginsCompleted   prometheus.Counter
	loginsFailed      *prometheus.CounterVec
	sgidCalls         *prometheus.HistogramVec
	jwksRefreshes     *prometheus.CounterVec
	sgidUp            *prometheus.GaugeVec
	sgidLastSuccess   *prometheus.GaugeVec
	clockDrift        prometheus.Gauge
	sessionsCreated   prometheus.Counter
	sessionsDestroyed *prometheus.CounterVec
	httpRequests      *prometheus.HistogramVec
}

// New builds the metrics in a fresh registry, with the Go runtime and
// process collectors alongside.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	f := func(c prometheus.Collector) { reg.MustRegister(c) }
	m := &Metrics{reg: reg}
	m.loginsStarted = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sgidweb_logins_started_total", Help: "Logins started: the browser was sent to sgID."})
	m.loginsCompleted = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sgidweb_logins_completed_total", Help: "Logins that ended with a person logged in."})
	m.loginsFailed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sgidweb_logins_failed_total", Help: "Callbacks that logged nobody in, by reason code."}, []string{"reason"})
	m.sgidCalls = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "sgidweb_sgid_request_duration_seconds",
		Help:    "Calls to sgID by endpoint (token, userinfo, jwks) and HTTP status (0: no answer).",
		Buckets: []float64{.025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"endpoint", "status"})
	m.jwksRefreshes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sgidweb_jwks_refreshes_total", Help: "Fetches of sgID's signing keys, by result (ok: a usable key arrived; error)."}, []string{"result"})
	// sgID's reachability, seen from this instance. The server fetches the
	// JWKS at start, every few minutes and when a login meets an unknown
	// key, so these stay current without logins. fetch is "jwks": the
	// client never fetches sgID's discovery document.
	m.sgidUp = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "sgidweb_sgid_up",
		Help: "1 when the last fetch of this sgID document (fetch: jwks) succeeded with a usable answer, 0 when it failed.",
	}, []string{"fetch"})
	m.sgidLastSuccess = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "sgidweb_sgid_last_success_timestamp_seconds",
		Help: "Unix time of the last successful fetch of this sgID document (fetch: jwks).",
	}, []string{"fetch"})
	m.clockDrift = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "sgidweb_sgid_clock_drift_seconds",
		Help: "This machine's clock minus sgID's (from the Date header of the last sgID answer); 1 s resolution.",
	})
	m.sessionsCreated = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sgidweb_sessions_created_total", Help: "Logged-in sessions begun."})
	m.sessionsDestroyed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sgidweb_sessions_destroyed_total", Help: "Sessions ended on the server, by cause (logout, idle_timeout, lifetime)."}, []string{"cause"})
	m.httpRequests = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "sgidweb_http_request_duration_seconds",
		Help:    "HTTP requests by route pattern, method and status.",
		Buckets: prometheus.DefBuckets,
	}, []string{"route", "method", "status"})
	f(m.loginsStarted)
	f(m.loginsCompleted)
	f(m.loginsFailed)
	f(m.sgidCalls)
	f(m.jwksRefreshes)
	f(m.sgidUp)
	f(m.sgidLastSuccess)
	f(m.clockDrift)
	f(m.sessionsCreated)
	f(m.sessionsDestroyed)
	f(m.httpRequests)
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveCall implements sgid.Observer.
func (m *Metrics) ObserveCall(c sgid.Call) {
	m.sgidCalls.WithLabelValues(c.Endpoint, strconv.Itoa(c.Status)).Observe(c.Duration.Seconds())
	if drift, ok := c.ClockDrift(); ok {
		m.clockDrift.Set(drift.Seconds())
	}
}

// ObserveFetch implements sgid.Observer.
func (m *Metrics) ObserveFetch(f sgid.FetchResult) {
	if !f.OK {
		m.sgidUp.WithLabelValues(f.Fetch).Set(0)
		if f.Fetch == sgid.FetchJWKS {
			m.jwksRefreshes.WithLabelValues("error").Inc()
		}
		return
	}
	m.sgidUp.WithLabelValues(f.Fetch).Set(1)
	m.sgidLastSuccess.WithLabelValues(f.Fetch).SetToCurrentTime()
	if f.Fetch == sgid.FetchJWKS {
		m.jwksRefreshes.WithLabelValues("ok").Inc()
	}
}

// LoginStarted counts a browser sent to sgID.
func (m *Metrics) LoginStarted() { m.loginsStarted.Inc() }

// LoginCompleted counts a person logged in.
func (m *Metrics) LoginCompleted() { m.loginsCompleted.Inc() }

// LoginFailed counts a callback that logged nobody in; reason is a fixed
// code (sgid.Reason or one of the web's page reasons).
func (m *Metrics) LoginFailed(reason string) { m.loginsFailed.WithLabelValues(reason).Inc() }

// SessionCreated counts a logged-in session begun.
func (m *Metrics) SessionCreated() { m.sessionsCreated.Inc() }

// SessionDestroyed counts a session ended on the server.
func (m *Metrics) SessionDestroyed(cause string) { m.sessionsDestroyed.WithLabelValues(cause).Inc() }

// Request records one HTTP request by its route pattern (never the path,
// which could carry anything a client typed).
func (m *Metrics) Request(route, method string, status int, d time.Duration) {
	m.httpRequests.WithLabelValues(route, method, strconv.Itoa(status)).Observe(d.Seconds())
}
