package gateway

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// seen is what the upstream received.
type seen struct {
	host, uri string
	header    http.Header
	body      string
}

// startUpstream answers every request with "upstream" and hands what it
// received to the test.
func startUpstream(t *testing.T) (*httptest.Server, <-chan seen) {
	t.Helper()
	got := make(chan seen, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- seen{host: r.Host, uri: r.RequestURI, header: r.Header.Clone(), body: string(body)}
		w.Header().Set("Set-Cookie", "app=1")
		_, _ = io.WriteString(w, "upstream")
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

// startProxy serves Forward for a fixed person in front of upstream.
func startProxy(t *testing.T, upstream string, opts ProxyOptions) (*httptest.Server, *Proxy, <-chan error) {
	t.Helper()
	u, _ := url.Parse(upstream)
	p := NewProxy(newTestGate(t), u, opts)
	errs := make(chan error, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := p.Forward(w, r, Identity{Subject: "sub-1", Fields: map[string]string{"myinfo.name": "TAN"}})
		errs <- err
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, p, errs
}

func TestForwardSendsIdentityAndNothingForged(t *testing.T) {
	upstream, got := startUpstream(t)
	proxy, _, _ := startProxy(t, upstream.URL+"/base", ProxyOptions{SessionCookie: "__Host-sgidweb_session", PublicScheme: "https"})

	req, _ := http.NewRequest(http.MethodPost, proxy.URL+"/app/page?x=1&y=two%20words", strings.NewReader("form=1"))
	req.Header.Set("X-Sgid-Subject", "victim")
	req.Header.Set("x-sgid-assertion", "forged")
	req.Header.Set("X-Sgid-Admin", "yes")
	req.Header["X_Sgid_Subject"] = []string{"victim"}
	req.Header.Set("X-Forwarded-For", "6.6.6.6")
	req.Header.Set("X-Forwarded-Proto", "gopher")
	req.Header.Add("Cookie", "app_a=1; __Host-sgidweb_session=secret-token")
	req.Header.Add("Cookie", `app_b="quoted value"`)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || string(body) != "upstream" || res.Header.Get("Set-Cookie") != "app=1" {
		t.Fatalf("want the upstream's answer, got %d %q (Set-Cookie %q)", res.StatusCode, body, res.Header.Get("Set-Cookie"))
	}
	s := <-got

	if s.uri != "/base/app/page?x=1&y=two%20words" {
		t.Errorf("upstream request URI: want /base/app/page?x=1&y=two%%20words, got %q", s.uri)
	}
	if s.host != strings.TrimPrefix(proxy.URL, "http://") {
		t.Errorf("Host: want the public host %s, got %q", strings.TrimPrefix(proxy.URL, "http://"), s.host)
	}
	if s.body != "form=1" {
		t.Errorf("body: want form=1, got %q", s.body)
	}
	if got := s.header.Values(HeaderSubject); len(got) != 1 || got[0] != "sub-1" {
		t.Errorf("%s: want only sub-1, got %q", HeaderSubject, got)
	}
	if got := s.header.Values(HeaderAssertion); len(got) != 1 || got[0] == "forged" {
		t.Errorf("%s: want only ours, got %q", HeaderAssertion, got)
	}
	for name := range s.header {
		canonical := strings.ReplaceAll(strings.ToLower(name), "_", "-")
		if strings.HasPrefix(canonical, "x-sgid-") && name != HeaderSubject && name != HeaderAssertion {
			t.Errorf("a client's %s reached the upstream: %q", name, s.header[name])
		}
	}
	if got := s.header.Get("Cookie"); got != `app_a=1; app_b="quoted value"` {
		t.Errorf("Cookie: want the app's cookies without ours, got %q", got)
	}
	if got := s.header.Get("X-Forwarded-For"); got != "127.0.0.1" {
		t.Errorf("X-Forwarded-For: want the peer 127.0.0.1 (the client's own claim dropped), got %q", got)
	}
	if got := s.header.Get("X-Forwarded-Proto"); got != "https" {
		t.Errorf("X-Forwarded-Proto: want PUBLIC_URL's https, got %q", got)
	}
	if got := s.header.Get("X-Forwarded-Host"); got != s.host {
		t.Errorf("X-Forwarded-Host: want %q, got %q", s.host, got)
	}
}

func TestForwardKeepsTheChainOfATrustedProxy(t *testing.T) {
	upstream, got := startUpstream(t)
	_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
	proxy, _, _ := startProxy(t, upstream.URL, ProxyOptions{TrustedProxies: []*net.IPNet{loopback}})
	req, _ := http.NewRequest(http.MethodGet, proxy.URL+"/", nil)
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if s := <-got; s.header.Get("X-Forwarded-For") != "203.0.113.9, 127.0.0.1" {
		t.Errorf("X-Forwarded-For: want 203.0.113.9, 127.0.0.1, got %q", s.header.Get("X-Forwarded-For"))
	}
}

func TestWithoutCookie(t *testing.T) {
	cases := map[string]string{
		"sid=ours":                    "",
		"a=1; sid=ours; b=2":          "a=1; b=2",
		"sidx=theirs; xsid=theirs":    "sidx=theirs; xsid=theirs",
		"a=1;sid=ours;  b=2 ; ":       "a=1; b=2",
		"weird cookie without equals": "weird cookie without equals",
	}
	for in, want := range cases {
		h := http.Header{"Cookie": {in}}
		withoutCookie(h, "sid")
		if got := h.Get("Cookie"); got != want {
			t.Errorf("%q: want %q, got %q", in, want, got)
		}
		if want == "" && len(h.Values("Cookie")) != 0 {
			t.Errorf("%q: want no Cookie header, got %q", in, h.Values("Cookie"))
		}
	}
}

func TestForwardReportsAnUpstreamThatDoesNotAnswer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	proxy, _, errs := startProxy(t, "http://"+addr, ProxyOptions{})
	res, err := http.Get(proxy.URL + "/app")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if err := <-errs; !errors.Is(err, ErrUpstreamUnavailable) {
		t.Fatalf("want ErrUpstreamUnavailable, got %v", err)
	}
	if res.StatusCode != http.StatusBadGateway {
		t.Errorf("Forward wrote an answer of its own (%d) before the caller's 502", res.StatusCode)
	}
}

func TestForwardReportsAClientThatLeft(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{})
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
	}))
	defer upstream.Close()
	defer close(release)
	proxy, _, errs := startProxy(t, upstream.URL, ProxyOptions{})
	conn, err := net.Dial("tcp", strings.TrimPrefix(proxy.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(conn, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
	<-arrived
	conn.Close()
	if err := <-errs; !errors.Is(err, ErrClientGone) {
		t.Fatalf("want ErrClientGone, got %v", err)
	}
}

// TestForwardOutlastsTheServersWriteTimeout streams an answer whose second
// half comes after the server's write timeout has passed: a proxied stream
// lasts as long as the app wants.
func TestForwardOutlastsTheServersWriteTimeout(t *testing.T) {
	const writeTimeout = 100 * time.Millisecond
	secondHalf := make(chan struct{})
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: one\n\n")
		w.(http.Flusher).Flush()
		<-secondHalf
		_, _ = io.WriteString(w, "data: two\n\n")
	}))
	defer upstream.Close()
	u, _ := url.Parse(upstream.URL)
	p := NewProxy(newTestGate(t), u, ProxyOptions{})
	proxy := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = p.Forward(w, r, Identity{Subject: "s"})
	}))
	proxy.Config.WriteTimeout = writeTimeout
	proxy.Start()
	defer proxy.Close()

	res, err := http.Get(proxy.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	r := bufio.NewReader(res.Body)
	if line, _ := r.ReadString('\n'); line != "data: one\n" {
		t.Fatalf("first event: got %q (not flushed as it came?)", line)
	}
	// Not a timed assertion: the wait only makes sure the server's write
	// deadline, had it stayed, is over before the second half is written.
	time.Sleep(3 * writeTimeout)
	close(secondHalf)
	rest, _ := io.ReadAll(r)
	if !strings.Contains(string(rest), "data: two") {
		t.Fatalf("the stream was cut at the server's write timeout: got %q after the first event", rest)
	}
}

// TestForwardTakesAnUploadSlowerThanTheServersReadTimeout sends the second
// half of a body after the server's read timeout has passed: an upload lasts
// as long as the app allows.
func TestForwardTakesAnUploadSlowerThanTheServersReadTimeout(t *testing.T) {
	const readTimeout = 100 * time.Millisecond
	upstream, got := startUpstream(t)
	u, _ := url.Parse(upstream.URL)
	p := NewProxy(newTestGate(t), u, ProxyOptions{})
	proxy := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := p.Forward(w, r, Identity{Subject: "s"}); err != nil {
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	proxy.Config.ReadTimeout = readTimeout
	proxy.Start()
	defer proxy.Close()

	body, send := io.Pipe()
	go func() {
		_, _ = io.WriteString(send, "first half, ")
		// Not a timed assertion: the wait only makes sure the server's
		// read deadline, had it stayed, is over before the rest is sent.
		time.Sleep(3 * readTimeout)
		_, _ = io.WriteString(send, "second half")
		send.Close()
	}()
	res, err := http.Post(proxy.URL+"/upload", "text/plain", body)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("want 200, got %d", res.StatusCode)
	}
	if s := <-got; s.body != "first half, second half" {
		t.Fatalf("the upload was cut at the server's read timeout: the app got %q", s.body)
	}
}
