package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The few things a client reads from pages. Compiled once.
var (
	csrfInput     = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	personaAction = regexp.MustCompile(`<form[^>]*action="([^"]+)"[^>]*data-testid="persona-form"|data-testid="persona-form"[^>]*action="([^"]+)"`)
	consentAction = regexp.MustCompile(`<form[^>]*action="([^"]+)"[^>]*data-testid="consent-form"|data-testid="consent-form"[^>]*action="([^"]+)"`)
)

// persona is the mock provider's person every client logs in as, so that
// every logged-in page holds the same data, and is as long, as the page the
// baseline serves.
const persona = "tan-heng-huat"

// client is one person with a browser: a cookie jar and no automatic
// redirects, so every hop is checked.
type client struct {
	http    *http.Client
	site    string
	persona string
}

func newClient(site, persona string, transport http.RoundTripper) *client {
	jar, _ := cookiejar.New(nil)
	return &client{site: site, persona: persona, http: &http.Client{
		Jar:           jar,
		Transport:     transport,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (c *client) do(ctx context.Context, method, target string, form url.Values, wantStatus int) (string, http.Header, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return "", nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return "", nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if err != nil {
		return "", nil, err
	}
	if res.StatusCode != wantStatus {
		return "", nil, fmt.Errorf("%s %s: want %d, got %d", method, req.URL.Path, wantStatus, res.StatusCode)
	}
	return string(b), res.Header, nil
}

func firstMatch(re *regexp.Regexp, s string) string {
	m := re.FindStringSubmatch(s)
	for _, g := range m[1:] {
		if g != "" {
			return html.UnescapeString(g)
		}
	}
	return ""
}

// resolve turns a form action into an absolute URL against the page's URL.
func resolve(page, ref string) string {
	base, err := url.Parse(page)
	if err != nil {
		return ref
	}
	u, err := base.Parse(ref)
	if err != nil {
		return ref
	}
	return u.String()
}

// login runs one complete login: home page, login button, the provider's
// authorize page, persona (then the consent page it redirects to), consent,
// callback, and the logged-in home page.
func (c *client) login(ctx context.Context) error {
	home, _, err := c.do(ctx, http.MethodGet, c.site+"/", nil, http.StatusOK)
	if err != nil {
		return err
	}
	csrf := firstMatch(csrfInput, home)
	if csrf == "" {
		return errors.New("home page without a CSRF input")
	}
	_, h, err := c.do(ctx, http.MethodPost, c.site+"/auth/login", url.Values{"csrf_token": {csrf}}, http.StatusSeeOther)
	if err != nil {
		return err
	}
	authorize := h.Get("Location")
	page, _, err := c.do(ctx, http.MethodGet, authorize, nil, http.StatusOK)
	if err != nil {
		return err
	}
	pick := resolve(authorize, firstMatch(personaAction, page))
	_, h, err = c.do(ctx, http.MethodPost, pick, url.Values{"persona": {c.persona}}, http.StatusSeeOther)
	if err != nil {
		return err
	}
	consentPage := resolve(pick, h.Get("Location"))
	consent, _, err := c.do(ctx, http.MethodGet, consentPage, nil, http.StatusOK)
	if err != nil {
		return err
	}
	decide := resolve(consentPage, firstMatch(consentAction, consent))
	_, h, err = c.do(ctx, http.MethodPost, decide, url.Values{"decision": {"allow"}}, http.StatusSeeOther)
	if err != nil {
		return err
	}
	if _, _, err = c.do(ctx, http.MethodGet, h.Get("Location"), nil, http.StatusSeeOther); err != nil {
		return err
	}
	home, _, err = c.do(ctx, http.MethodGet, c.site+"/", nil, http.StatusOK)
	if err != nil {
		return err
	}
	if !strings.Contains(home, `action="/auth/logout"`) {
		return errors.New("not logged in after the callback")
	}
	return nil
}

// result of one phase.
type result struct {
	done     int
	elapsed  time.Duration
	p50, p99 time.Duration
	latency  []time.Duration // of each completed operation, sorted
	failures int
	firstErr error
}

func (r result) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.done) / r.elapsed.Seconds()
}

// phase runs total operations over workers goroutines, stopping early at
// limit. op gets the worker index.
func phase(ctx context.Context, workers, total int, limit time.Duration, op func(ctx context.Context, worker int) error) result {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var next atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var failures int
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, total/workers+1)
			for next.Add(1) <= int64(total) && ctx.Err() == nil {
				t0 := time.Now()
				err := op(ctx, w)
				d := time.Since(t0)
				if err != nil {
					mu.Lock()
					failures++
					if firstErr == nil && ctx.Err() == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				local = append(local, d)
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	r := result{elapsed: time.Since(start), failures: failures, firstErr: firstErr}
	r.setLatencies(lat)
	return r
}

// setLatencies records the operations' latencies, their count and
// percentiles.
func (r *result) setLatencies(lat []time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	r.latency, r.done = lat, len(lat)
	if n := len(lat); n > 0 {
		r.p50 = lat[n*50/100]
		r.p99 = lat[min(n-1, n*99/100)]
	}
}

// pageViews has each client fetch / repeatedly.
func pageViews(ctx context.Context, clients []*client, total int, limit time.Duration, marker string) result {
	return phase(ctx, len(clients), total, limit, func(ctx context.Context, w int) error {
		body, _, err := clients[w].do(ctx, http.MethodGet, clients[w].site+"/", nil, http.StatusOK)
		if err == nil && marker != "" && !strings.Contains(body, marker) {
			err = errors.New("page without " + marker)
		}
		return err
	})
}
