package sgid

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxBodyBytes caps every response body read from sgID. x/oauth2 silently
// truncates token bodies at 1 MiB, which could turn padded JSON into a valid
// answer, so the cap is enforced here where oversize can be seen and refused.
const maxBodyBytes = 1 << 20

// errBodyTooLarge marks a response whose body exceeded maxBodyBytes.
var errBodyTooLarge = errors.New("response body larger than 1 MiB")

// cappedTransport buffers each response body up to maxBodyBytes and fails the
// round trip when there is more, so no caller can be made to read without end.
type cappedTransport struct {
	base http.RoundTripper
}

func (t cappedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.ContentLength > maxBodyBytes {
		return nil, errBodyTooLarge
	}
	buf, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read response body: %w", err)
	}
	if len(buf) > maxBodyBytes {
		return nil, errBodyTooLarge
	}
	resp.Body = io.NopCloser(bytes.NewReader(buf))
	resp.ContentLength = int64(len(buf))
	return resp, nil
}

// buildHTTPClient returns a private copy of base (or a fresh client) whose
// transport caps bodies and which never follows redirects: sgID's endpoints do
// not redirect, and following a 307 from the token endpoint would resend the
// client secret to wherever it pointed.
func buildHTTPClient(base *http.Client, cfg Config) *http.Client {
	var c http.Client
	if base != nil {
		c = *base
	} else {
		c.Timeout = cfg.Timeout
	}
	rt := c.Transport
	if rt == nil {
		rt = newTransport()
	}
	c.Transport = cappedTransport{base: rt}
	if cfg.Observer != nil {
		c.Transport = observingTransport{base: c.Transport, observer: cfg.Observer}
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// newTransport is the client's own connection pool. The default keeps two
// idle connections per host, so concurrent logins kept dialling sgID anew
// (seen in a load profile); sgID is the only host this client calls.
func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 64
	t.MaxIdleConnsPerHost = 64
	return t
}

// safeTransportError describes a failed outbound call without quoting a
// response body: transport errors name only the method, URL and network
// cause, and x/oauth2's parse errors (which quote the body) are summarised.
func safeTransportError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Error()
	}
	if strings.Contains(err.Error(), "missing access_token") {
		return "response has no access_token"
	}
	return "response is not a usable token answer"
}
