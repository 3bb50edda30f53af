package app

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
)

// inProcess returns a transport that hands requests for the mock provider's
// origin straight to its handler. Anything else is refused: in mock mode the
// server has no business calling out.
func inProcess(hostname string, h http.Handler) http.RoundTripper {
	u, _ := url.Parse(hostname)
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.URL.Host != u.Host || !strings.HasPrefix(r.URL.Path, u.Path+"/") {
			return nil, fmt.Errorf("app: mock mode refuses a call to %s", r.URL.Host)
		}
		if err := r.Context().Err(); err != nil {
			return nil, err
		}
		// The handler sees what a server would: a request with a body it
		// may read and a RequestURI.
		in := r.Clone(r.Context())
		in.RequestURI = r.URL.RequestURI()
		if in.Body == nil {
			in.Body = http.NoBody
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, in)
		res := rec.Result()
		res.Request = r
		return res, nil
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
