package gateway

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"
)

// Limits of the built-in proxy's calls to the upstream.
const (
	upstreamDialTimeout = 5 * time.Second
	// upstreamHeaderTimeout bounds the wait for the upstream to start
	// answering; once it does, the answer streams for as long as it lasts.
	upstreamHeaderTimeout = 60 * time.Second
	upstreamIdleTimeout   = 90 * time.Second
)

// ErrUpstreamUnavailable is Forward's answer when the upstream could not be
// reached or did not answer, and nothing was written: the caller shows its
// 502 page.
var ErrUpstreamUnavailable = errors.New("gateway: upstream unavailable")

// ErrClientGone is Forward's answer when the client went away before the
// upstream answered: nobody is left to answer.
var ErrClientGone = errors.New("gateway: client went away")

// ProxyOptions configure the built-in proxy.
type ProxyOptions struct {
	// SessionCookie is the name of sgidweb's session cookie, which never
	// reaches the upstream.
	SessionCookie string
	// PublicScheme is PUBLIC_URL's scheme, sent as X-Forwarded-Proto: TLS
	// usually ends at a load balancer in front of sgidweb.
	PublicScheme string
	// TrustedProxies are the load balancers whose X-Forwarded-For is kept
	// (and extended) rather than replaced by the peer's address.
	TrustedProxies []*net.IPNet
	// Transport reaches the upstream; nil: one with the limits above.
	Transport http.RoundTripper
}

// Proxy forwards requests of logged-in people to the upstream with
// net/http/httputil's ReverseProxy: responses stream (server-sent events and
// answers of unknown length are flushed as they come), WebSocket and other
// upgrades pass through, and the upstream receives the identity headers
// and nothing a client could forge in their place.
type Proxy struct {
	gate     *Gate
	upstream *url.URL
	opts     ProxyOptions
	rp       *httputil.ReverseProxy
}

// NewProxy forwards to upstream (an absolute http(s) URL; its path, if any,
// is put in front of the request's).
func NewProxy(gate *Gate, upstream *url.URL, opts ProxyOptions) *Proxy {
	p := &Proxy{gate: gate, upstream: upstream, opts: opts}
	transport := opts.Transport
	if transport == nil {
		transport = &http.Transport{
			// The upstream is named by UPSTREAM_URL alone, never reached
			// through HTTP_PROXY.
			Proxy:                 nil,
			DialContext:           (&net.Dialer{Timeout: upstreamDialTimeout, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   upstreamDialTimeout,
			ResponseHeaderTimeout: upstreamHeaderTimeout,
			ExpectContinueTimeout: time.Second,
			IdleConnTimeout:       upstreamIdleTimeout,
			MaxIdleConnsPerHost:   64,
			ForceAttemptHTTP2:     true,
		}
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite:   p.rewrite,
		Transport: transport,
		// Zero: ReverseProxy flushes server-sent events and answers without
		// a Content-Length after every write by itself, and lets answers of
		// known length fill its buffer.
		FlushInterval: 0,
		ErrorHandler:  p.failed,
		ErrorLog:      nil,
	}
	return p
}

// forwarding is what one request carries through ReverseProxy to rewrite
// and failed.
type forwarding struct {
	identity http.Header
	err      error
}

type forwardingKey struct{}

// Forward sends a logged-in person's request to the upstream with the
// identity headers for id. It returns ErrUpstreamUnavailable (wrapping the
// cause) when the upstream did not answer and nothing has been written yet,
// and ErrClientGone when the client left first.
//
// The server's read and write deadlines are lifted for the request: an
// upload, a download or a stream lasts as long as the app wants (net/http
// lifts them by itself for an upgraded connection such as a WebSocket);
// waiting for the upstream to begin is bounded by the transport.
func (p *Proxy) Forward(w http.ResponseWriter, r *http.Request, id Identity) error {
	identity, err := p.gate.IdentityHeaders(id)
	if err != nil {
		return err
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	f := &forwarding{identity: identity}
	ww := &watchedWriter{ResponseWriter: w}
	p.rp.ServeHTTP(ww, r.WithContext(context.WithValue(r.Context(), forwardingKey{}, f)))
	switch {
	case f.err == nil:
		return nil
	case r.Context().Err() != nil:
		return fmt.Errorf("%w: %v", ErrClientGone, f.err)
	case ww.answered:
		// The failure came after the answer began (a broken upgrade):
		// there is nothing left to replace with an error page.
		return nil
	}
	return fmt.Errorf("%w: %v", ErrUpstreamUnavailable, f.err)
}

// rewrite makes the outbound request. ReverseProxy has already removed the
// hop-by-hop headers and every Forwarded and X-Forwarded-* header the
// client sent.
func (p *Proxy) rewrite(pr *httputil.ProxyRequest) {
	pr.SetURL(p.upstream)
	// Like Caddy and Traefik, the app sees the public host it is served
	// under, which it needs for its own absolute links.
	pr.Out.Host = pr.In.Host
	if p.trusted(pr.In.RemoteAddr) {
		if prior := pr.In.Header.Values("X-Forwarded-For"); len(prior) > 0 {
			pr.Out.Header["X-Forwarded-For"] = prior
		}
	}
	pr.SetXForwarded()
	if p.opts.PublicScheme != "" {
		pr.Out.Header.Set("X-Forwarded-Proto", p.opts.PublicScheme)
	}
	stripSgidHeaders(pr.Out.Header)
	if f, ok := pr.In.Context().Value(forwardingKey{}).(*forwarding); ok {
		for name, values := range f.identity {
			pr.Out.Header[name] = values
		}
	}
	withoutCookie(pr.Out.Header, p.opts.SessionCookie)
}

func (p *Proxy) trusted(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	for _, n := range p.opts.TrustedProxies {
		if ip != nil && n.Contains(ip) {
			return true
		}
	}
	return false
}

// withoutCookie rebuilds the Cookie header without the cookie called name.
// The rest is kept byte for byte: the app's cookies are the app's business,
// even those net/http would not parse.
func withoutCookie(h http.Header, name string) {
	values := h.Values("Cookie")
	if len(values) == 0 || name == "" {
		return
	}
	var kept []string
	for _, value := range values {
		for _, pair := range strings.Split(value, ";") {
			pair = strings.TrimSpace(pair)
			if pair == "" {
				continue
			}
			cookieName, _, _ := strings.Cut(pair, "=")
			if strings.TrimSpace(cookieName) == name {
				continue
			}
			kept = append(kept, pair)
		}
	}
	if len(kept) == 0 {
		h.Del("Cookie")
		return
	}
	h.Set("Cookie", strings.Join(kept, "; "))
}

// failed records why the upstream did not answer; Forward reports it.
func (p *Proxy) failed(w http.ResponseWriter, r *http.Request, err error) {
	if f, ok := r.Context().Value(forwardingKey{}).(*forwarding); ok {
		f.err = err
		return
	}
	w.WriteHeader(http.StatusBadGateway)
}

// watchedWriter notes whether the answer has begun, so that a failure
// after that point is not answered with a second one.
type watchedWriter struct {
	http.ResponseWriter
	answered bool
}

func (w *watchedWriter) WriteHeader(code int) {
	if code >= http.StatusOK {
		w.answered = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *watchedWriter) Write(b []byte) (int, error) {
	w.answered = true
	return w.ResponseWriter.Write(b)
}

// Hijack hands the connection to ReverseProxy for a protocol upgrade.
func (w *watchedWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.answered = true
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// Unwrap lets http.ResponseController reach Flush and the deadlines.
func (w *watchedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
