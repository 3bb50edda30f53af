// Package doctor checks a deployment's configuration against the world:
// sgID's keys and clock, the client key, the redirect URI, the scopes and
// the session store. It prints a checklist with a fix for every problem.
package doctor

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sgidweb/sgidweb/internal/config"
	"github.com/sgidweb/sgidweb/internal/session/store"
	"github.com/sgidweb/sgidweb/internal/session/store/spec"
	"github.com/sgidweb/sgidweb/internal/sgid"
)

// MaxClockDrift is how far this machine's clock may be from sgID's. ID
// tokens are checked with SGID_CLOCK_LEEWAY, but a clock already seconds off
// is drifting, and sgID's Date header only has whole seconds.
const MaxClockDrift = 5 * time.Second

// Status is the outcome of one check.
type Status string

// Outcomes. Only Fail makes doctor exit non-zero.
const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "FAIL"
	Skip Status = "skip"
)

// Result is one line of the checklist.
type Result struct {
	Check  string
	Status Status
	Detail string
	Fix    string // empty when nothing needs doing
}

// Options configure Run.
type Options struct {
	Getenv func(string) string
	// PublicKeyFile is the public key registered with sgID (PEM); empty:
	// that comparison is skipped.
	PublicKeyFile string
	// HTTPClient reaches sgID; nil: a plain client bounded by SGID_TIMEOUT.
	HTTPClient *http.Client
}

// ErrProblems is returned by Command when any check failed.
var ErrProblems = errors.New("doctor found problems")

// Command is `sgidweb doctor [-public-key FILE]`.
func Command(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sgidweb doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	opts := Options{Getenv: getenv}
	fs.StringVar(&opts.PublicKeyFile, "public-key", "", "the public key registered with sgID (PEM), to compare with the private key")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("doctor: unexpected argument %q", fs.Arg(0))
	}
	results := Run(ctx, opts)
	Print(stdout, results)
	for _, r := range results {
		if r.Status == Fail {
			return ErrProblems
		}
	}
	return nil
}

// Print writes the checklist.
func Print(w io.Writer, results []Result) {
	failed, warned := 0, 0
	for _, r := range results {
		fmt.Fprintf(w, "[%4s] %s: %s\n", r.Status, r.Check, r.Detail)
		if r.Fix != "" {
			fmt.Fprintf(w, "       fix: %s\n", r.Fix)
		}
		switch r.Status {
		case Fail:
			failed++
		case Warn:
			warned++
		}
	}
	switch {
	case failed > 0:
		fmt.Fprintf(w, "\n%d problem(s) and %d warning(s). Fix the problems and run sgidweb doctor again.\n", failed, warned)
	case warned > 0:
		fmt.Fprintf(w, "\nNo problems; %d warning(s) worth reading.\n", warned)
	default:
		fmt.Fprintln(w, "\nAll checks passed.")
	}
}

// Run performs every check it can and returns the checklist in order.
func Run(ctx context.Context, opts Options) []Result {
	cfg, err := config.Load(opts.Getenv)
	var out []Result
	var cerrs []*config.Error
	if err != nil {
		for _, e := range unwrapAll(err) {
			var ce *config.Error
			if errors.As(e, &ce) {
				cerrs = append(cerrs, ce)
				out = append(out, Result{Check: "config " + ce.Variable, Status: Fail, Detail: ce.Problem, Fix: ce.Fix})
			}
		}
	}
	if cfg.MockMode && len(cerrs) == 0 {
		// Every check would pass against a provider and a key this process
		// just made, and a green list would tell a newcomer their sgID
		// registration works when there is none.
		return append(out, Result{Check: "mode", Status: Fail,
			Detail: "no sgID credentials are set, so the server would use its embedded mock; doctor checks a real sgID registration and has nothing to check",
			Fix:    "set SGID_CLIENT_ID, SGID_CLIENT_SECRET and SGID_PRIVATE_KEY_FILE (see the README's registration walkthrough), then run doctor again"})
	}
	out = append(out, checkSGID(ctx, cfg, opts)...)
	out = append(out, checkPrivateKey(cfg))
	out = append(out, checkPublicKey(cfg, opts.PublicKeyFile))
	out = append(out, checkRedirectURI(cfg))
	out = append(out, checkScopes(cfg)...)
	out = append(out, checkSessionStore(ctx, cfg))
	out = append(out, checkGatewayKey(cfg))
	return out
}

// checkGatewayKey warns when no GATEWAY_SIGNING_KEY is set: each instance
// then signs identity assertions with a key of its own, made at start, and
// publishes a different key set, so an upstream that fetched the keys of one
// instance (or of one start) rejects what another signs.
func checkGatewayKey(cfg config.Config) Result {
	r := Result{Check: "gateway signing key"}
	if cfg.GatewayKey == nil {
		r.Status = Warn
		r.Detail = "GATEWAY_SIGNING_KEY is not set, so every instance makes its own key at start and publishes its own JWKS; upstreams that verify X-Sgid-Assertion reject assertions from the other instances and after each restart"
		r.Fix = "make a key with `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out gateway.pem` and set GATEWAY_SIGNING_KEY_FILE=gateway.pem on every instance"
		return r
	}
	r.Status, r.Detail = OK, "ES256 key "+cfg.GatewayKey.KeyID()+" (set the same on every instance)"
	return r
}

func unwrapAll(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// jwksObserver keeps the JWKS call: its Date header for the clock check,
// its status to tell an sgID that does not answer from one that answers
// without a usable key.
type jwksObserver struct {
	mu   sync.Mutex
	call *sgid.Call
}

func (o *jwksObserver) ObserveCall(c sgid.Call) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if c.Endpoint == sgid.EndpointJWKS {
		o.call = &c
	}
}

// ObserveFetch is not needed: RefreshKeys returns the fetch's outcome.
func (o *jwksObserver) ObserveFetch(sgid.FetchResult) {}

func (o *jwksObserver) jwksCall() *sgid.Call {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.call
}

// checkSGID fetches sgID's JWKS through the same client code the server
// uses (the JWKS is all the server fetches from sgID outside a login: it
// never reads the discovery document), and reads sgID's clock from that
// answer's Date header.
func checkSGID(ctx context.Context, cfg config.Config, opts Options) []Result {
	keys := Result{Check: "sgID signing keys"}
	clock := Result{Check: "clock"}
	issuer, err := sgid.Issuer(cfg.SGIDHostname)
	if err != nil {
		keys.Status, keys.Detail, keys.Fix = Skip, "SGID_HOSTNAME is not usable", "fix SGID_HOSTNAME first"
		clock.Status, clock.Detail, clock.Fix = Skip, "needs sgID's answer", "fix SGID_HOSTNAME first"
		return []Result{keys, clock}
	}
	jwksURL := issuer + "/.well-known/jwks.json"
	obs := &jwksObserver{}
	// Only the key set is used, so the login settings are placeholders:
	// this way the keys are checked even when those settings are wrong.
	client, err := sgid.New(sgid.Config{
		Hostname: cfg.SGIDHostname, ClientID: "sgidweb-doctor", ClientSecret: "unused",
		RedirectURL: "https://doctor.invalid/auth/callback", Scopes: []string{"openid"},
		Timeout: cfg.Timeout, HTTPClient: opts.HTTPClient, Observer: obs,
	})
	if err != nil {
		keys.Status, keys.Detail, keys.Fix = Fail, err.Error(), "fix SGID_HOSTNAME"
	} else if err := client.RefreshKeys(ctx); err != nil {
		keys.Status, keys.Detail = Fail, fmt.Sprintf("%s: %v", jwksURL, err)
		if call := obs.jwksCall(); call != nil && call.Status == http.StatusOK {
			keys.Fix = "the JWKS answers but holds no RS256 signing key of 2048 bits or more, so it is not sgID's: check SGID_HOSTNAME (production https://api.id.gov.sg, staging https://api-stg.id.gov.sg)"
		} else {
			keys.Fix = "check SGID_HOSTNAME (production https://api.id.gov.sg, staging https://api-stg.id.gov.sg) and that this machine can reach it (proxy, firewall, DNS)"
		}
	} else {
		keys.Status, keys.Detail = OK, "usable RS256 keys at "+jwksURL
	}

	call := obs.jwksCall()
	var drift time.Duration
	ok := false
	if call != nil {
		drift, ok = call.ClockDrift()
	}
	switch {
	case !ok:
		clock.Status, clock.Detail = Fail, "sgID's answer carried no Date header to compare with (or none arrived)"
		clock.Fix = "make sgID reachable (see above), then run doctor again"
	case drift > MaxClockDrift || drift < -MaxClockDrift:
		clock.Status = Fail
		clock.Detail = fmt.Sprintf("this machine's clock is %s %s sgID's", abs(drift), aheadOrBehind(drift))
		clock.Fix = "synchronise the clock with NTP (e.g. timedatectl set-ntp true, or chrony); ID tokens are refused once the drift passes SGID_CLOCK_LEEWAY"
	default:
		clock.Status = OK
		clock.Detail = fmt.Sprintf("within %s of sgID's (drift %s)", MaxClockDrift, drift)
	}
	return []Result{keys, clock}
}

func abs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func aheadOrBehind(d time.Duration) string {
	if d > 0 {
		return "ahead of"
	}
	return "behind"
}

func checkPrivateKey(cfg config.Config) Result {
	r := Result{Check: "client private key"}
	k := cfg.PrivateKey
	switch {
	case k == nil:
		r.Status, r.Detail = Fail, "no usable key is loaded"
		r.Fix = "set SGID_PRIVATE_KEY_FILE to the private key from `sgidweb keygen`"
	case k.N.BitLen() < 2048:
		r.Status, r.Detail, r.Fix = Fail, fmt.Sprintf("RSA key of %d bits", k.N.BitLen()), "make a new RSA-2048 key with `sgidweb keygen` and register it with sgID"
	case cfg.PreviousKey != nil:
		r.Status = Warn
		r.Detail = fmt.Sprintf("RSA-%d, thumbprint %s; a previous key (thumbprint %s) is also accepted", k.N.BitLen(), sgid.Thumbprint(&k.PublicKey), sgid.Thumbprint(&cfg.PreviousKey.PublicKey))
		r.Fix = "once sgID has the new public key and logins work, unset SGID_PREVIOUS_PRIVATE_KEY(_FILE) and restart"
	default:
		r.Status, r.Detail = OK, fmt.Sprintf("RSA-%d, thumbprint %s", k.N.BitLen(), sgid.Thumbprint(&k.PublicKey))
	}
	return r
}

func checkPublicKey(cfg config.Config, file string) Result {
	r := Result{Check: "registered public key"}
	if file == "" {
		r.Status, r.Detail = Skip, "not compared: pass -public-key FILE (the PEM you pasted into the sgID developer portal)"
		return r
	}
	if cfg.PrivateKey == nil {
		r.Status, r.Detail, r.Fix = Skip, "no private key to compare with", "fix the private key first"
		return r
	}
	pub, err := readPublicKey(file)
	if err != nil {
		r.Status, r.Detail, r.Fix = Fail, err.Error(), "pass the public key PEM that `sgidweb keygen` wrote (BEGIN PUBLIC KEY)"
		return r
	}
	switch {
	case pub.Equal(&cfg.PrivateKey.PublicKey):
		r.Status, r.Detail = OK, file+" is the public half of the private key"
	case cfg.PreviousKey != nil && pub.Equal(&cfg.PreviousKey.PublicKey):
		r.Status, r.Detail = Warn, file+" matches the previous key, not the current one"
		r.Fix = "register the current key's public half with sgID to finish the rotation"
	default:
		r.Status, r.Detail = Fail, file+" is not the public half of the configured private key, so sgID would encrypt data the server cannot read"
		r.Fix = "register the public key that belongs to SGID_PRIVATE_KEY(_FILE), or point the variable at the private key you registered"
	}
	return r
}

func readPublicKey(file string) (*rsa.PublicKey, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %v", file, err)
	}
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, fmt.Errorf("%s holds no PEM public key", file)
		}
		var key any
		switch block.Type {
		case "PUBLIC KEY":
			key, err = x509.ParsePKIXPublicKey(block.Bytes)
		case "RSA PUBLIC KEY":
			key, err = x509.ParsePKCS1PublicKey(block.Bytes)
		case "CERTIFICATE":
			var cert *x509.Certificate
			if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
				key = cert.PublicKey
			}
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v", file, err)
		}
		rk, ok := key.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("%s is not an RSA public key", file)
		}
		return rk, nil
	}
}

func checkRedirectURI(cfg config.Config) Result {
	r := Result{Check: "redirect URI"}
	err := config.CheckRedirectURI(cfg.RedirectURI, cfg.PublicURL, cfg.BasePath)
	if errors.Is(err, config.ErrRedirectNotAbsolute) {
		r.Status, r.Detail, r.Fix = Fail, err.Error(), "unset SGID_REDIRECT_URI to use {PUBLIC_URL}{BASE_PATH}auth/callback"
		return r
	}
	u, _ := url.Parse(cfg.RedirectURI)
	if u.Scheme != "https" && !(u.Scheme == "http" && config.IsLoopback(u.Hostname())) {
		r.Status, r.Detail = Fail, fmt.Sprintf("%s is not https; sgID redirects only to https (or to a loopback address while trying things)", cfg.RedirectURI)
		r.Fix = "serve the site over https and set PUBLIC_URL=https://..."
		return r
	}
	if err != nil {
		r.Status, r.Detail = Fail, err.Error()+", so the login cookie would not come back with it"
		r.Fix = "unset SGID_REDIRECT_URI, or make PUBLIC_URL the origin browsers use"
		return r
	}
	r.Status, r.Detail = OK, cfg.RedirectURI+" (register exactly this with sgID)"
	return r
}

func checkScopes(cfg config.Config) []Result {
	r := Result{Check: "scopes"}
	if !slices.Contains(cfg.Scopes, "openid") {
		r.Status, r.Detail, r.Fix = Fail, fmt.Sprintf("%q lacks openid", strings.Join(cfg.Scopes, " ")), `add openid, e.g. SGID_SCOPES="openid myinfo.name"`
		return []Result{r}
	}
	r.Status, r.Detail = OK, strings.Join(cfg.Scopes, " ")
	out := []Result{r}
	var unknown []string
	for _, s := range cfg.Scopes {
		if !sgid.KnownScope(s) {
			unknown = append(unknown, s)
		}
	}
	if len(unknown) > 0 {
		out = append(out, Result{Check: "scopes", Status: Warn,
			Detail: "not in sgID's known data fields: " + strings.Join(unknown, " ") + " (they will still display, as raw text)",
			Fix:    "check the spelling against sgID's data catalogue (docs.id.gov.sg) and that sgID approved them for your client"})
	}
	return out
}

func checkSessionStore(ctx context.Context, cfg config.Config) Result {
	r := Result{Check: "session store"}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	kind := spec.Kind(cfg.SessionStore)
	inUse, err := store.Check(ctx, cfg.SessionStore)
	if err != nil {
		r.Status, r.Detail = Fail, fmt.Sprintf("%s store does not answer: %v", kind, err)
		r.Fix = "check SESSION_STORE and that the store is running and reachable: memory, sqlite:PATH (a folder this user may write), redis://HOST:PORT/DB or postgres://USER@HOST:PORT/DB"
		return r
	}
	r.Status, r.Detail = OK, kind+" store answers"
	if inUse {
		r.Detail = kind + " store answers; a running sgidweb owns the file, so no second server can use it"
	}
	return r
}
