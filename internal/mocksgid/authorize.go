package mocksgid

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/a-h/templ"
	qrcode "github.com/skip2/go-qrcode"

	views "github.com/sgidweb/sgidweb/views/mocksgid"
)

// authRequest is an authorize request that passed every check and waits for
// the person to pick a persona and consent.
type authRequest struct {
	client        *Client
	redirectURI   string
	scopes        []string
	state         string
	nonce         string
	codeChallenge string
	// personaID is who the person picked; empty until they pick.
	personaID string
}

// AuthorizeError is why an authorize request was refused.
type AuthorizeError struct {
	// Code is the OAuth error code, e.g. invalid_request or access_denied.
	Code        string
	Description string
	// RedirectURL is where sgID would send the browser with the error. It is
	// empty when the client or redirect URI cannot be trusted, in which case
	// sgID shows an error page and never redirects.
	RedirectURL string
}

func (e *AuthorizeError) Error() string {
	return fmt.Sprintf("mocksgid: authorize refused: %s: %s", e.Code, e.Description)
}

var (
	// errUnknownRequest covers both ids that never existed and ones that
	// expired or were already decided: the person's next step is the same.
	errUnknownRequest = errors.New("mocksgid: unknown or expired login request")
	errUnknownPersona = errors.New("mocksgid: unknown persona")
	errNoPersona      = errors.New("mocksgid: no persona picked yet")
)

// codeChallengePattern is what a base64url SHA-256 digest looks like; an S256
// challenge of any other shape was not computed the way RFC 7636 says.
var codeChallengePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// scopeTokenPattern is RFC 6749's scope-token character set.
var scopeTokenPattern = regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]+$`)

// singleParams may each appear at most once (RFC 6749 section 3.1).
var singleParams = []string{"client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "code_challenge", "code_challenge_method"}

// parseAuthorize applies every check sgID applies to an authorize request, in
// an order that never redirects to an unverified redirect URI.
func (p *Provider) parseAuthorize(q url.Values) (*authRequest, *AuthorizeError) {
	for _, name := range []string{"client_id", "redirect_uri"} {
		if len(q[name]) > 1 {
			return nil, &AuthorizeError{Code: "invalid_request", Description: name + " is repeated"}
		}
	}
	client, ok := p.clients[q.Get("client_id")]
	if !ok {
		return nil, &AuthorizeError{Code: "invalid_client", Description: "client_id is missing or not registered"}
	}
	redirectURI := q.Get("redirect_uri")
	if !slices.Contains(client.RedirectURIs, redirectURI) {
		return nil, &AuthorizeError{Code: "invalid_request", Description: "redirect_uri is missing or not registered for this client (exact match required)"}
	}
	req := &authRequest{client: client, redirectURI: redirectURI, state: q.Get("state"), nonce: q.Get("nonce")}
	refuse := func(code, desc string) (*authRequest, *AuthorizeError) {
		return nil, &AuthorizeError{Code: code, Description: desc, RedirectURL: req.errorRedirect(code, desc)}
	}
	for _, name := range singleParams {
		if len(q[name]) > 1 {
			return refuse("invalid_request", name+" is repeated")
		}
	}
	switch rt := q.Get("response_type"); {
	case rt == "":
		return refuse("invalid_request", "response_type is missing")
	case rt != "code":
		return refuse("unsupported_response_type", "only response_type=code is supported")
	}
	scopes, desc := parseScopes(q.Get("scope"))
	if desc != "" {
		return refuse("invalid_scope", desc)
	}
	req.scopes = scopes
	switch m := q.Get("code_challenge_method"); {
	case q.Get("code_challenge") == "":
		return refuse("invalid_request", "code_challenge is required (PKCE)")
	case m == "":
		return refuse("invalid_request", "code_challenge_method is required and must be S256")
	case m != "S256":
		return refuse("invalid_request", "code_challenge_method must be S256")
	case !codeChallengePattern.MatchString(q.Get("code_challenge")):
		return refuse("invalid_request", "code_challenge must be the base64url SHA-256 of the verifier (43 characters)")
	}
	req.codeChallenge = q.Get("code_challenge")
	return req, nil
}

// parseScopes splits and de-duplicates the scope parameter; it returns a
// description when the scope is unacceptable.
func parseScopes(raw string) ([]string, string) {
	var scopes []string
	for s := range strings.FieldsSeq(raw) {
		if !scopeTokenPattern.MatchString(s) {
			return nil, "scope contains invalid characters"
		}
		if !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	if !slices.Contains(scopes, "openid") {
		return nil, "scope must include openid"
	}
	return scopes, ""
}

// errorRedirect is the RFC 6749 error response, carrying state back.
func (r *authRequest) errorRedirect(code, desc string) string {
	v := url.Values{"error": {code}, "error_description": {desc}}
	if r.state != "" {
		v.Set("state", r.state)
	}
	return withParams(r.redirectURI, v)
}

// withParams adds query parameters to a registered redirect URI, keeping any
// query it already has.
func withParams(redirectURI string, params url.Values) string {
	u, err := url.Parse(redirectURI)
	if err != nil {
		// New validated every redirect URI, so this cannot happen.
		panic(fmt.Sprintf("mocksgid: registered redirect URI %q does not parse: %v", redirectURI, err))
	}
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// dataScopes are the requested scopes that carry data, i.e. all but openid.
func (r *authRequest) dataScopes() []string {
	out := make([]string, 0, len(r.scopes))
	for _, s := range r.scopes {
		if s != "openid" {
			out = append(out, s)
		}
	}
	return out
}

// storePending keeps an accepted request and returns its unguessable id.
func (p *Provider) storePending(req *authRequest) string {
	id := randomToken()
	now := p.now()
	p.mu.Lock()
	p.pending.put(id, req, now.Add(pendingTTL), now)
	p.mu.Unlock()
	return id
}

// lookupPending returns a copy of a live pending request: the stored one
// changes under the provider's lock when the person picks a persona.
func (p *Provider) lookupPending(id string) (authRequest, bool) {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	req, ok := p.pending.get(id, now)
	if !ok {
		return authRequest{}, false
	}
	return *req, true
}

// pickPersona records who the person logs in as, for the consent screen
// that follows.
func (p *Provider) pickPersona(id, personaID string) error {
	if _, ok := PersonaByID(personaID); !ok {
		return errUnknownPersona
	}
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	req, ok := p.pending.get(id, now)
	if !ok {
		return errUnknownRequest
	}
	req.personaID = personaID
	return nil
}

// decide ends a pending request with the person's answer for the persona
// they picked, and returns where the browser goes next. A request can be
// decided once.
func (p *Provider) decide(ctx context.Context, id string, allow bool) (string, error) {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	req, ok := p.pending.get(id, now)
	if !ok {
		return "", errUnknownRequest
	}
	persona, ok := PersonaByID(req.personaID)
	if !ok {
		return "", errNoPersona
	}
	p.pending.delete(id)
	if !allow {
		p.log.InfoContext(ctx, "mock sgid consent denied", "client_id", req.client.ID)
		return req.errorRedirect("access_denied", "The user denied the request"), nil
	}
	code := randomToken()
	p.codes.put(code, &codeGrant{
		clientID:      req.client.ID,
		redirectURI:   req.redirectURI,
		codeChallenge: req.codeChallenge,
		nonce:         req.nonce,
		scopes:        req.scopes,
		personaID:     persona.ID,
		sub:           persona.Sub,
	}, now.Add(p.codeTTL), now)
	p.log.InfoContext(ctx, "mock sgid code issued", "client_id", req.client.ID, "sub", persona.Sub)
	v := url.Values{"code": {code}}
	if req.state != "" {
		v.Set("state", req.state)
	}
	return withParams(req.redirectURI, v), nil
}

// Approve runs the browser part of a login without HTML: it applies the same
// checks as GET /oauth/authorize to authorizeURL (which must point at this
// provider's authorize endpoint), then answers as persona personaID, and
// returns the URL sgID would redirect the browser to: redirect_uri with code
// and state, or with error=access_denied when allow is false.
//
// When the request itself is refused, the error is an *AuthorizeError; if
// sgID would redirect with that error, Approve returns that URL as well, so
// tests can feed it to the client's callback.
func (p *Provider) Approve(authorizeURL, personaID string, allow bool) (string, error) {
	u, err := url.Parse(authorizeURL)
	if err != nil {
		return "", fmt.Errorf("mocksgid: approve: parse authorize URL: %w", err)
	}
	base := *u
	base.RawQuery, base.ForceQuery, base.Fragment, base.RawFragment = "", false, "", ""
	if want := p.endpoint("/oauth/authorize"); base.String() != want {
		return "", fmt.Errorf("mocksgid: approve: authorize URL must start with %s, got %s", want, base.String())
	}
	if _, ok := PersonaByID(personaID); !ok {
		return "", fmt.Errorf("%w %q", errUnknownPersona, personaID)
	}
	// Approve stands in for a person at the mock's pages, outside any request.
	ctx := context.Background()
	req, aerr := p.parseAuthorize(u.Query())
	if aerr != nil {
		p.logRefusal(ctx, aerr)
		return aerr.RedirectURL, aerr
	}
	req.personaID = personaID
	return p.decide(ctx, p.storePending(req), allow)
}

func (p *Provider) logRefusal(ctx context.Context, aerr *AuthorizeError) {
	p.log.WarnContext(ctx, "mock sgid authorize refused", "error", aerr.Code, "error_description", aerr.Description)
}

func (p *Provider) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	req, aerr := p.parseAuthorize(r.URL.Query())
	if aerr != nil {
		p.logRefusal(r.Context(), aerr)
		if aerr.RedirectURL != "" {
			http.Redirect(w, r, aerr.RedirectURL, http.StatusSeeOther)
			return
		}
		p.render(w, r, http.StatusBadRequest, views.ErrorPage(invalidRequest(p.page(""), aerr)))
		return
	}
	id := p.storePending(req)
	p.log.InfoContext(r.Context(), "mock sgid authorize accepted", "client_id", req.client.ID, "scope", strings.Join(req.scopes, " "))
	props, err := p.authorizeProps(p.page(""), id, req, true)
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	p.render(w, r, http.StatusOK, views.AuthorizePage(props))
}

func (p *Provider) handleScan(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	req, ok := p.lookupPending(id)
	if !ok {
		p.renderExpired(w, r)
		return
	}
	props, _ := p.authorizeProps(p.page(""), id, &req, false)
	p.render(w, r, http.StatusOK, views.AuthorizePage(props))
}

// authorizeProps fills the persona picker for pending request id, with the
// QR code that opens it on a phone when withQR is set.
func (p *Provider) authorizeProps(page views.Page, id string, req *authRequest, withQR bool) (views.AuthorizeProps, error) {
	props := views.AuthorizeProps{
		Page:             page,
		ClientName:       req.client.displayName(),
		ScanURL:          p.endpoint(mockPathSegment + "/scan/" + id),
		FormAction:       p.mockPath("/login/" + id),
		ExpiresInMinutes: int(pendingTTL / time.Minute),
	}
	for _, ps := range personas {
		props.Personas = append(props.Personas, views.PersonaOption{ID: ps.ID, Name: ps.Name, Description: ps.Description})
	}
	if withQR {
		qr, err := qrSVG(props.ScanURL)
		if err != nil {
			return props, err
		}
		props.QR = qr
	}
	return props, nil
}

// handleLogin takes the picked persona and sends the browser on to the
// consent screen with a GET, so that Back and reload never post the
// persona form again.
func (p *Provider) handleLogin(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !p.parseForm(w, r) {
		return
	}
	switch err := p.pickPersona(id, r.PostForm.Get("persona")); {
	case errors.Is(err, errUnknownRequest):
		p.renderExpired(w, r)
	case errors.Is(err, errUnknownPersona):
		p.renderError(w, r, http.StatusBadRequest, "unknown_persona", "Unknown persona", "Pick one of the listed test personas.")
	default:
		http.Redirect(w, r, p.mockPath("/consent/"+id), http.StatusSeeOther)
	}
}

// handleConsentPage shows what the client asks for, for the persona picked.
// Without a pick (an address typed or kept from before) it goes back to the
// picker.
func (p *Provider) handleConsentPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	req, ok := p.lookupPending(id)
	if !ok {
		p.renderExpired(w, r)
		return
	}
	persona, ok := PersonaByID(req.personaID)
	if !ok {
		http.Redirect(w, r, p.mockPath("/scan/"+id), http.StatusSeeOther)
		return
	}
	p.render(w, r, http.StatusOK, views.ConsentPage(p.consentProps(p.page(""), id, &req, persona)))
}

func (p *Provider) consentProps(page views.Page, id string, req *authRequest, persona Persona) views.ConsentProps {
	props := views.ConsentProps{
		Page:           page,
		ClientName:     req.client.displayName(),
		ClientID:       req.client.ID,
		PersonaName:    persona.Name,
		RedirectOrigin: origin(req.redirectURI),
		FormAction:     p.mockPath("/consent/" + id),
	}
	for _, s := range req.dataScopes() {
		f := fieldFor(s)
		props.Fields = append(props.Fields, views.ConsentField{Scope: f.Scope, Label: f.Label, Purpose: f.Purpose})
	}
	return props
}

func (p *Provider) handleConsent(w http.ResponseWriter, r *http.Request) {
	if !p.parseForm(w, r) {
		return
	}
	var allow bool
	switch r.PostForm.Get("decision") {
	case "allow":
		allow = true
	case "deny":
	default:
		p.renderError(w, r, http.StatusBadRequest, "invalid_decision", "Choose Allow or Deny", "The consent form was sent without a decision.")
		return
	}
	id := r.PathValue("id")
	next, err := p.decide(r.Context(), id, allow)
	switch {
	case errors.Is(err, errUnknownRequest):
		p.renderExpired(w, r)
	case errors.Is(err, errNoPersona):
		http.Redirect(w, r, p.mockPath("/scan/"+id), http.StatusSeeOther)
	case err != nil:
		p.serverError(w, r, err)
	default:
		http.Redirect(w, r, next, http.StatusSeeOther)
	}
}

// parseForm reads a small urlencoded body; it answers the request itself
// when the body is unacceptable.
func (p *Provider) parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		p.renderError(w, r, http.StatusBadRequest, "invalid_form", "The form could not be read", "Go back and submit the form again.")
		return false
	}
	return true
}

// renderExpired answers for a request id that is unknown, expired or
// already decided. The id says nothing about which client started it, so
// the way back goes to the first registered client's home page.
func (p *Provider) renderExpired(w http.ResponseWriter, r *http.Request) {
	p.render(w, r, http.StatusNotFound, views.ErrorPage(p.expired(p.page(""))))
}

func (p *Provider) expired(page views.Page) views.ErrorProps {
	return views.ErrorProps{
		Page: page, Code: "unknown_request", Title: "This login request has expired",
		Message:  fmt.Sprintf("Login requests last %d minutes and can be used once. This one has expired, was already used, or never existed.", int(pendingTTL/time.Minute)),
		HomeURL:  p.firstClient.homeURL(),
		HomeName: p.firstClient.displayName(),
	}
}

// invalidRequest is the page for an authorize request the mock will not
// redirect, because the client or its redirect URI cannot be trusted; so it
// offers no way back either.
func invalidRequest(page views.Page, aerr *AuthorizeError) views.ErrorProps {
	return views.ErrorProps{
		Page: page, Code: aerr.Code, Title: "This login request is not valid",
		Message: "The application sent a login request sgID cannot accept: " + aerr.Description + ".",
	}
}

func (p *Provider) renderError(w http.ResponseWriter, r *http.Request, status int, code, title, message string) {
	p.render(w, r, status, views.ErrorPage(views.ErrorProps{Page: p.page(""), Title: title, Message: message, Code: code}))
}

func (p *Provider) serverError(w http.ResponseWriter, r *http.Request, err error) {
	p.log.ErrorContext(r.Context(), "mock sgid internal error", "error", err)
	http.Error(w, "mock sgid: internal error", http.StatusInternalServerError)
}

// page is what every mock page needs; theme fixes the colour scheme for the
// component gallery, and is empty on the pages people meet.
func (p *Provider) page(theme string) views.Page {
	return views.Page{StylesheetURL: p.mockPath("/mock.css"), Theme: theme}
}

// render buffers the page so a rendering failure becomes a clean 500, and
// sends the headers every mock page needs: no caching (the URLs carry request
// ids), no framing (the consent buttons must not be clickjacked) and a CSP
// that allows only the mock's own stylesheet.
func (p *Provider) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(context.WithoutCancel(r.Context()), &buf); err != nil {
		p.serverError(w, r, fmt.Errorf("mocksgid: render page: %w", err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

func (c *Client) displayName() string {
	if c.Name != "" {
		return c.Name
	}
	return c.ID
}

// homeURL is where pages that end a login send the person back to: the
// client's HomeURL, or else its first redirect URI without the callback
// path (an sgidweb callback ends in auth/callback, under any base path).
func (c *Client) homeURL() string {
	if c.HomeURL != "" {
		return c.HomeURL
	}
	u, err := url.Parse(c.RedirectURIs[0])
	if err != nil {
		return c.RedirectURIs[0]
	}
	if strings.HasSuffix(u.Path, "/auth/callback") {
		u.Path = strings.TrimSuffix(u.Path, "auth/callback")
	} else {
		u.Path = "/"
	}
	u.RawQuery, u.RawPath = "", ""
	return u.String()
}

// origin shows the person where they will land without the path noise.
func origin(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	return u.Scheme + "://" + u.Host
}

// qrSVG encodes content as a QR code and draws its dark modules as one SVG
// path, merging each horizontal run into a single rectangle to keep the page
// small.
func qrSVG(content string) (*views.QRCode, error) {
	q, err := qrcode.New(content, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("mocksgid: encode QR code: %w", err)
	}
	bits := q.Bitmap()
	var path strings.Builder
	for y, row := range bits {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			fmt.Fprintf(&path, "M%d %dh%dv1h-%dz", start, y, x-start, x-start)
		}
	}
	return &views.QRCode{Content: content, Size: len(bits), Path: path.String()}, nil
}
