package sgid

import (
	"net/http"
	"strings"
	"time"
)

// Endpoint names for Call.Endpoint. They are fixed words, safe as metric labels.
const (
	EndpointToken    = "token"
	EndpointUserinfo = "userinfo"
	EndpointJWKS     = "jwks"
	EndpointOther    = "other"
)

// Call describes one finished outbound request to sgID. It carries no URL
// query, header value or body, so an observer cannot leak a code or token.
type Call struct {
	Endpoint string
	// Status is the HTTP status, or 0 when no answer arrived (network
	// failure, timeout, oversized body).
	Status   int
	Duration time.Duration
	// Sent is when the request left; ServerDate is sgID's Date header (zero
	// when absent). Together they give the clock drift against sgID.
	Sent       time.Time
	ServerDate time.Time
}

// ClockDrift is this machine's clock minus sgID's, from this call's Date
// header (ok is false without one). sgID stamps Date somewhere between
// receiving and answering, so the midpoint of the call is compared; Date has
// whole seconds, so has the answer.
func (c Call) ClockDrift() (drift time.Duration, ok bool) {
	if c.ServerDate.IsZero() || c.Sent.IsZero() {
		return 0, false
	}
	mid := c.Sent.Add(c.Duration / 2)
	return mid.Sub(c.ServerDate).Round(time.Second), true
}

// Names of the documents sgID publishes that the client fetches, for
// FetchResult.Fetch; fixed words, safe as metric labels. There is only the
// JWKS: the client builds sgID's endpoints from the issuer, as sgID's own
// SDKs do, and never reads the discovery document.
const FetchJWKS = "jwks"

// FetchResult is the outcome of one fetch of a document sgID publishes.
// OK means a usable answer: for the JWKS, at least one usable signing key
// (an HTTP 200 holding none is a failed fetch).
type FetchResult struct {
	Fetch string
	OK    bool
}

// Observer is told about every outbound call and every fetch of a document
// sgID publishes, e.g. to record metrics. It is called on the goroutine
// making the call and must not block.
type Observer interface {
	ObserveCall(Call)
	ObserveFetch(FetchResult)
}

// observingTransport times each round trip, body included (it wraps the
// capped transport, which reads the body), and reports it. It reads the real
// clock, not Config.Now: drift is measured against this machine's clock.
type observingTransport struct {
	base     http.RoundTripper
	observer Observer
}

func (t observingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	call := Call{Endpoint: endpointOf(req.URL.Path), Duration: time.Since(start), Sent: start}
	if err == nil {
		call.Status = resp.StatusCode
		if d, perr := http.ParseTime(resp.Header.Get("Date")); perr == nil {
			call.ServerDate = d
		}
	}
	t.observer.ObserveCall(call)
	return resp, err
}

func endpointOf(path string) string {
	switch {
	case strings.HasSuffix(path, "/oauth/token"):
		return EndpointToken
	case strings.HasSuffix(path, "/oauth/userinfo"):
		return EndpointUserinfo
	case strings.HasSuffix(path, "/.well-known/jwks.json"):
		return EndpointJWKS
	}
	return EndpointOther
}
