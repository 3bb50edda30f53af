// Package config reads sgidweb's settings from the environment and checks
// them once at start, so that a mistake stops the server with a message that
// names the variable and the fix instead of failing on the first login.
package config

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sgidweb/sgidweb/internal/access"
	"github.com/sgidweb/sgidweb/internal/gateway"
	"github.com/sgidweb/sgidweb/internal/session/store/spec"
	"github.com/sgidweb/sgidweb/internal/sgid"
)

// Defaults of the public contract (design/contract.md).
const (
	DefaultAddr         = "localhost:8080"
	DefaultPublicURL    = "http://localhost:8080"
	DefaultSGIDHostname = "https://api.id.gov.sg"
	DefaultScopes       = "openid myinfo.name"
	DefaultTimeout      = 10 * time.Second
	DefaultSessionStore = "sqlite:data/sessions.db"
	DefaultIdleTimeout  = 30 * time.Minute
	DefaultLifetime     = 12 * time.Hour
	DefaultClockLeeway  = 60 * time.Second
	DefaultAssetsDir    = "assets"
	// DefaultShutdownDelay is how long the server keeps serving after
	// SIGTERM with /readyz at 503: long enough for a load balancer's
	// readiness probe to see it and stop sending new requests.
	DefaultShutdownDelay = 5 * time.Second
	DefaultBasePath      = "/"

	// MockPath is where the embedded mock sgID is mounted in mock mode,
	// under BasePath (see Config.Path).
	MockPath = "/mock-sgid"
)

// Config is every setting the server uses, typed and validated.
type Config struct {
	Addr      string
	PublicURL *url.URL // origin only: scheme://host[:port]
	// BasePath is where every route of ours lives: "/" or a path such as
	// "/sgid/" (always starting and ending with "/"), so that a guarded
	// app can own the rest of the origin.
	BasePath string

	// UpstreamURL is the app the built-in proxy guards: every request
	// outside BasePath goes there for logged-in people. nil: no proxy.
	UpstreamURL *url.URL
	// GatewayKey signs the identity assertions upstreams receive. nil: the
	// app makes one at start (each instance then publishes its own).
	GatewayKey *gateway.Key

	// MockMode is true when no sgID credentials are set: the embedded mock
	// provider answers under MockPath and SGIDHostname points at it.
	MockMode bool

	SGIDHostname string
	ClientID     string
	ClientSecret string
	PrivateKey   *rsa.PrivateKey // nil in mock mode until the app makes one
	// PreviousKey is the client key being rotated out: userinfo encrypted
	// to it still opens while sgID switches to PrivateKey. nil when unset.
	PreviousKey *rsa.PrivateKey
	RedirectURI string
	Scopes      []string
	// Access is who may log in and pass the gateway (ACCESS_ALLOW);
	// the zero value admits anyone.
	Access      access.Policy
	Timeout     time.Duration
	ClockLeeway time.Duration

	SessionStore       string
	SessionIdleTimeout time.Duration
	SessionLifetime    time.Duration

	// TrustedProxies are the load balancers whose X-Forwarded-For is
	// believed for the client address (logs and login rate limits).
	// Empty: the connection's address is the client's.
	TrustedProxies []*net.IPNet

	// ShutdownDelay is how long the server keeps serving after SIGTERM
	// while /readyz answers 503, before it stops accepting connections.
	ShutdownDelay time.Duration

	MetricsAddr string
	DebugAddr   string // pprof listener, loopback only; empty: off
	LogFormat   string // "json" or "text"; default json outside mock mode

	// AuditHashKey keys the hash that names a person in audit lines and in
	// the index of their sessions. Empty: the app uses a random key the
	// session store keeps, shared by every instance on that store (with
	// SESSION_STORE=memory, one per process).
	AuditHashKey []byte

	// CSRFKey keys the HMAC that binds a form's CSRF token to the
	// browser's CSRF cookie. Empty: the app derives it from the client
	// secret, which every instance shares.
	CSRFKey []byte

	// LoginRateLimit is how many logins (the button's POST and the link's
	// GET /auth/login together) and, apart, callbacks (GET /auth/callback)
	// one client address may make per minute, in a burst or spread out; 0
	// turns the limits off.
	LoginRateLimit int

	// Dev is the development loop (SGIDWEB_DEV=1, which `task dev` sets):
	// assets are read from AssetsDir on every request and never cached, so
	// an edit shows on the next reload.
	Dev       bool
	AssetsDir string // only used when Dev

	// Masthead shows the Singapore Government masthead at the top of every
	// page (MASTHEAD=1), for a site an agency runs. Off by default.
	Masthead bool
}

// MinAuditHashKey is the shortest AUDIT_HASH_KEY accepted, in bytes.
const MinAuditHashKey = 32

// MinCSRFKey is the shortest CSRF_KEY accepted, in bytes.
const MinCSRFKey = 32

// DefaultLoginRateLimit is RATE_LIMIT_LOGIN's default, and maxLoginRateLimit
// its largest value: beyond it the limit would no longer limit anything.
const (
	DefaultLoginRateLimit = 10
	maxLoginRateLimit     = 100000
)

// Path returns the address of one of our routes, such as "/auth/callback",
// under BasePath: "/auth/callback" at "/", "/sgid/auth/callback" at "/sgid/".
func (c Config) Path(sitePath string) string {
	if c.BasePath == "" || c.BasePath == "/" {
		return sitePath
	}
	return c.BasePath + strings.TrimPrefix(sitePath, "/")
}

// Issuer is the iss of the identity assertions and the address under which
// their keys are published: PUBLIC_URL + BASE_PATH.
func (c Config) Issuer() string {
	return strings.TrimSuffix(c.PublicURL.String(), "/") + c.Path("/")
}

// Secure reports whether browsers reach the site over https, which turns on
// Secure cookies, the __Host- cookie prefix and HSTS.
func (c Config) Secure() bool { return c.PublicURL.Scheme == "https" }

// Error is one invalid setting: the variable, what is wrong and how to fix it.
type Error struct {
	Variable string
	Problem  string
	Fix      string
}

func (e *Error) Error() string {
	return fmt.Sprintf("config: %s: %s (fix: %s)", e.Variable, e.Problem, e.Fix)
}

// Load reads the configuration through getenv (os.Getenv in production, a map
// in tests) and validates it. All problems are returned together so that one
// restart is enough to see them all.
func Load(getenv func(string) string) (Config, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	var errs []error
	bad := func(variable, problem, fix string) {
		errs = append(errs, &Error{Variable: variable, Problem: problem, Fix: fix})
	}

	cfg := Config{
		Addr:         get("ADDR", DefaultAddr),
		ClientID:     get("SGID_CLIENT_ID", ""),
		ClientSecret: get("SGID_CLIENT_SECRET", ""),
		SessionStore: get("SESSION_STORE", DefaultSessionStore),
		MetricsAddr:  get("METRICS_ADDR", ""),
		DebugAddr:    get("DEBUG_ADDR", ""),
		LogFormat:    get("LOG_FORMAT", ""),
	}

	addrHost, addrPort, addrErr := net.SplitHostPort(cfg.Addr)
	if addrErr != nil {
		bad("ADDR", fmt.Sprintf("%q is not host:port", cfg.Addr), "use a listen address such as localhost:8080 or :8080")
	}
	addrLoopback := addrErr == nil && IsLoopback(addrHost)

	// A server listening on this machine alone is reached at that port:
	// ADDR=localhost:8096 without PUBLIC_URL must not send logins back to
	// 8080, where nothing runs. Port 0 (any free port) has nothing to follow.
	defaultPublicURL := DefaultPublicURL
	if port, err := strconv.Atoi(addrPort); addrLoopback && err == nil && port > 0 {
		defaultPublicURL = "http://" + net.JoinHostPort("localhost", addrPort)
	}
	publicURL, err := parseOrigin(get("PUBLIC_URL", defaultPublicURL))
	if err != nil {
		bad("PUBLIC_URL", err.Error(), "set the origin browsers use, such as https://login.example.gov.sg (no path)")
		publicURL, _ = url.Parse(DefaultPublicURL)
	}
	cfg.PublicURL = publicURL

	basePath, err := parseBasePath(get("BASE_PATH", DefaultBasePath))
	if err != nil {
		bad("BASE_PATH", err.Error(), "use a path such as /sgid/ (letters, digits, - _ . ~ between slashes), or unset it to serve at /")
		basePath = DefaultBasePath
	}
	cfg.BasePath = basePath
	if raw := get("UPSTREAM_URL", ""); raw != "" {
		upstream, err := parseUpstream(raw, cfg.PublicURL)
		switch {
		case err != nil:
			bad("UPSTREAM_URL", err.Error(), "set the address sgidweb reaches the guarded app at, such as http://127.0.0.1:3000")
		case cfg.BasePath == "/":
			bad("UPSTREAM_URL", "is set while BASE_PATH is /, so no address is left for the app", "set BASE_PATH to a path the app does not use, such as /sgid/")
		default:
			cfg.UpstreamURL = upstream
		}
	}
	if keyText, keyVar := readKey(getenv, "GATEWAY_SIGNING_KEY", bad); strings.TrimSpace(keyText) != "" {
		key, err := gateway.ParseKey(keyText)
		if err != nil {
			bad(keyVar, "is not a usable signing key: "+err.Error(), "make one with `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256` and set the same on every instance")
		}
		cfg.GatewayKey = key
	}

	cfg.Timeout = duration(getenv, "SGID_TIMEOUT", DefaultTimeout, bad)
	cfg.ClockLeeway = duration(getenv, "SGID_CLOCK_LEEWAY", DefaultClockLeeway, bad)
	cfg.SessionIdleTimeout = duration(getenv, "SESSION_IDLE_TIMEOUT", DefaultIdleTimeout, bad)
	cfg.SessionLifetime = duration(getenv, "SESSION_LIFETIME", DefaultLifetime, bad)
	if cfg.SessionIdleTimeout > cfg.SessionLifetime {
		bad("SESSION_IDLE_TIMEOUT", "is longer than SESSION_LIFETIME", "make the idle timeout shorter than the absolute lifetime")
	}

	keyText, keyVar := readKey(getenv, "SGID_PRIVATE_KEY", bad)
	hasKey := strings.TrimSpace(keyText) != ""

	explicitHost := strings.TrimSpace(getenv("SGID_HOSTNAME")) != ""
	hasCredentials := cfg.ClientID != "" || cfg.ClientSecret != "" || hasKey
	mockAsked := onOff(getenv, "SGID_MOCK", "set SGID_MOCK=1 to use the embedded mock off this machine, or unset it", bad)
	cfg.MockMode = !hasCredentials
	switch {
	case mockAsked && hasCredentials:
		// Either guess could be wrong in the worst way: real people sent
		// to a fake provider, or a demo logging into real sgID.
		bad("SGID_MOCK", "is on while sgID credentials are set", "unset SGID_MOCK to log in with sgID, or unset SGID_CLIENT_ID, SGID_CLIENT_SECRET and SGID_PRIVATE_KEY to use the embedded mock")
	case cfg.MockMode && explicitHost:
		bad("SGID_HOSTNAME", "is set but there are no sgID credentials", "also set SGID_CLIENT_ID, SGID_CLIENT_SECRET and SGID_PRIVATE_KEY, or unset SGID_HOSTNAME to use the embedded mock")
	case cfg.MockMode:
		// The mock lets anyone log in as anyone: where other people can
		// reach the server, and a fork guards pages with it, that is an
		// open door. Only this machine, or an explicit SGID_MOCK=1.
		if !mockAsked && addrErr == nil && (!addrLoopback || !IsLoopback(cfg.PublicURL.Hostname())) {
			bad("SGID_CLIENT_ID", fmt.Sprintf("is empty, so the embedded mock sgID would log anyone in as anyone, and PUBLIC_URL (%s) or ADDR (%s) is not on this machine alone", cfg.PublicURL, cfg.Addr),
				"set SGID_CLIENT_ID, SGID_CLIENT_SECRET and SGID_PRIVATE_KEY from the sgID developer portal; or listen on localhost; or, for a demo that others must reach, set SGID_MOCK=1 (never in production)")
		}
		cfg.SGIDHostname = strings.TrimSuffix(cfg.PublicURL.String(), "/") + cfg.Path(MockPath)
	default:
		cfg.SGIDHostname = get("SGID_HOSTNAME", DefaultSGIDHostname)
		if cfg.ClientID == "" {
			bad("SGID_CLIENT_ID", "is empty while other sgID credentials are set", "set the client id from the sgID developer portal, or unset SGID_CLIENT_SECRET and SGID_PRIVATE_KEY to use the embedded mock")
		}
		if cfg.ClientSecret == "" {
			bad("SGID_CLIENT_SECRET", "is empty while other sgID credentials are set", "set the client secret from the sgID developer portal")
		}
		if !hasKey {
			bad("SGID_PRIVATE_KEY", "is empty while other sgID credentials are set", "set SGID_PRIVATE_KEY (PEM, literal \\n allowed) or SGID_PRIVATE_KEY_FILE to the key whose public half is registered with sgID")
		}
	}
	if hasKey {
		key, err := sgid.ParsePrivateKey(keyText)
		if err != nil {
			bad(keyVar, "is not a usable RSA private key: "+err.Error(), "use the PKCS#8 or PKCS#1 PEM from `sgidweb keygen` or your own RSA-2048 key")
		}
		cfg.PrivateKey = key
	}
	if prevText, prevVar := readKey(getenv, "SGID_PREVIOUS_PRIVATE_KEY", bad); strings.TrimSpace(prevText) != "" {
		key, err := sgid.ParsePrivateKey(prevText)
		switch {
		case err != nil:
			bad(prevVar, "is not a usable RSA private key: "+err.Error(), "point it at the PEM of the key being rotated out, or unset it once sgID has the new key")
		case !hasKey:
			bad(prevVar, "is set without a current key", "set SGID_PRIVATE_KEY or SGID_PRIVATE_KEY_FILE to the new key")
		case cfg.PrivateKey != nil && cfg.PrivateKey.Equal(key):
			bad(prevVar, "is the same key as the current one", "set it to the old key, or unset it")
		default:
			cfg.PreviousKey = key
		}
	}
	if v := getenv("AUDIT_HASH_KEY"); v != "" {
		if len(v) < MinAuditHashKey {
			bad("AUDIT_HASH_KEY", fmt.Sprintf("is %d bytes; at least %d are needed", len(v), MinAuditHashKey), "set a random value such as the output of `openssl rand -hex 32`, the same on every instance")
		}
		cfg.AuditHashKey = []byte(v)
	}
	if v := getenv("CSRF_KEY"); v != "" {
		if len(v) < MinCSRFKey {
			bad("CSRF_KEY", fmt.Sprintf("is %d bytes; at least %d are needed", len(v), MinCSRFKey), "set a random value such as the output of `openssl rand -hex 32`, the same on every instance")
		}
		cfg.CSRFKey = []byte(v)
	}
	cfg.LoginRateLimit = DefaultLoginRateLimit
	if v := strings.TrimSpace(getenv("RATE_LIMIT_LOGIN")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxLoginRateLimit {
			bad("RATE_LIMIT_LOGIN", fmt.Sprintf("%q is not a whole number from 0 to %d", v, maxLoginRateLimit), "set the logins allowed per minute per client address, such as 10, or 0 to turn the limit off")
		} else {
			cfg.LoginRateLimit = n
		}
	}
	if _, err := sgid.Issuer(cfg.SGIDHostname); err != nil {
		bad("SGID_HOSTNAME", err.Error(), "use an origin such as https://api.id.gov.sg or https://api-stg.id.gov.sg")
	} else if !cfg.MockMode && isRealSGIDHost(cfg.SGIDHostname) && cfg.PublicURL.Scheme != "https" && !IsLoopback(cfg.PublicURL.Hostname()) {
		bad("PUBLIC_URL", fmt.Sprintf("is %s but sgID (%s) only redirects to https sites", cfg.PublicURL.Scheme, cfg.SGIDHostname), "serve the site over https and set PUBLIC_URL=https://...")
	}

	callback := strings.TrimSuffix(cfg.PublicURL.String(), "/") + cfg.Path("/auth/callback")
	cfg.RedirectURI = get("SGID_REDIRECT_URI", callback)
	if err := CheckRedirectURI(cfg.RedirectURI, cfg.PublicURL, cfg.BasePath); errors.Is(err, ErrRedirectNotAbsolute) {
		bad("SGID_REDIRECT_URI", err.Error(), "use {PUBLIC_URL}{BASE_PATH}auth/callback, exactly as registered with sgID")
	} else if err != nil {
		bad("SGID_REDIRECT_URI", err.Error(), "use "+callback+" and register that exact URI with sgID")
	}

	cfg.Scopes = strings.Fields(get("SGID_SCOPES", DefaultScopes))
	if !slices.Contains(cfg.Scopes, "openid") {
		bad("SGID_SCOPES", fmt.Sprintf("%q does not include openid", strings.Join(cfg.Scopes, " ")), "add openid, for example SGID_SCOPES=\"openid myinfo.name\"")
	}
	cfg.Access = accessPolicy(getenv("ACCESS_ALLOW"), cfg.Scopes, bad)
	if err := spec.Check(cfg.SessionStore); err != nil {
		bad("SESSION_STORE", err.Error(), "use memory, sqlite:PATH, redis://HOST:PORT/DB or postgres://USER@HOST:PORT/DB")
	}
	proxies, err := parseTrustedProxies(getenv("TRUSTED_PROXIES"))
	if err != nil {
		bad("TRUSTED_PROXIES", err.Error(), "list the load balancers' addresses, comma separated, as IPs or CIDRs such as 10.0.0.0/24")
	}
	cfg.TrustedProxies = proxies
	for name, addr := range map[string]string{"METRICS_ADDR": cfg.MetricsAddr, "DEBUG_ADDR": cfg.DebugAddr} {
		if addr == "" {
			continue
		}
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			bad(name, fmt.Sprintf("%q is not host:port", addr), "use a loopback address such as 127.0.0.1:9090")
		} else if name == "DEBUG_ADDR" && !IsLoopback(host) {
			// Profiles expose the program's internals: never beyond this machine.
			bad(name, fmt.Sprintf("%q is not a loopback address", addr), "use 127.0.0.1:6060 and reach it through an SSH tunnel")
		}
	}
	cfg.Dev = onOff(getenv, "SGIDWEB_DEV", "set SGIDWEB_DEV=1 for the development loop, or unset it", bad)
	cfg.Masthead = onOff(getenv, "MASTHEAD", "set MASTHEAD=1 to show the Singapore Government masthead, or unset it", bad)
	cfg.AssetsDir = get("ASSETS_DIR", DefaultAssetsDir)
	switch {
	case !cfg.Dev && strings.TrimSpace(getenv("ASSETS_DIR")) != "":
		bad("ASSETS_DIR", "is set but SGIDWEB_DEV is off, and outside development the assets built into the binary are served", "also set SGIDWEB_DEV=1, or unset ASSETS_DIR")
	case cfg.Dev:
		if fi, err := os.Stat(filepath.Join(cfg.AssetsDir, "css", "app.css")); err != nil || fi.IsDir() {
			bad("ASSETS_DIR", fmt.Sprintf("%q holds no css/app.css", cfg.AssetsDir), "run from the module root (where assets/ is), or point ASSETS_DIR at the assets folder")
		}
	}

	cfg.ShutdownDelay = shutdownDelay(getenv, cfg.MockMode, bad)

	switch cfg.LogFormat {
	case "":
		cfg.LogFormat = "json"
		if cfg.MockMode {
			cfg.LogFormat = "text"
		}
	case "json", "text":
	default:
		bad("LOG_FORMAT", fmt.Sprintf("%q is not json or text", cfg.LogFormat), "set LOG_FORMAT=json or LOG_FORMAT=text")
	}

	return cfg, errors.Join(errs...)
}

// accessPolicy reads ACCESS_ALLOW and checks that SGID_SCOPES asks sgID for
// what its rules read: without the officer details every officer would be
// refused at login, a mistake better found at start.
func accessPolicy(raw string, scopes []string, bad func(string, string, string)) access.Policy {
	policy, err := access.Parse(raw)
	if err != nil {
		for _, e := range unjoin(err) {
			var re *access.RuleError
			if errors.As(e, &re) {
				bad("ACCESS_ALLOW", fmt.Sprintf("rule %q %s", re.Rule, re.Problem), re.Fix)
			} else {
				bad("ACCESS_ALLOW", e.Error(), "see ACCESS_ALLOW in cmd/sgidweb/README.md")
			}
		}
		return access.Anyone()
	}
	var missing *access.MissingScopeError
	if errors.As(policy.CheckScopes(scopes), &missing) {
		bad("ACCESS_ALLOW", fmt.Sprintf("rule %s reads the sgID scope %s, which SGID_SCOPES does not ask for", missing.Rule, missing.Scope),
			fmt.Sprintf("add %s to SGID_SCOPES (sgID must have approved it for your client), or set ACCESS_ALLOW=anyone", missing.Scope))
	}
	return policy
}

// unjoin lists the errors that errors.Join put together.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// MaxShutdownDelay bounds SHUTDOWN_DELAY: a longer wait is a typo (5h for
// 5s), and orchestrators kill the process long before it ends.
const MaxShutdownDelay = 5 * time.Minute

// shutdownDelay reads SHUTDOWN_DELAY. Its default is DefaultShutdownDelay,
// and 0 in mock mode: nothing balances a developer's server, and Ctrl-C
// should stop it at once.
func shutdownDelay(getenv func(string) string, mock bool, bad func(string, string, string)) time.Duration {
	v := strings.TrimSpace(getenv("SHUTDOWN_DELAY"))
	switch {
	case v == "" && mock:
		return 0
	case v == "":
		return DefaultShutdownDelay
	}
	d, err := time.ParseDuration(v)
	switch {
	case err != nil || d < 0:
		bad("SHUTDOWN_DELAY", fmt.Sprintf("%q is not a duration of zero or more", v), "use a Go duration such as 5s, or 0 to stop without waiting")
	case d > MaxShutdownDelay:
		bad("SHUTDOWN_DELAY", fmt.Sprintf("%q is longer than %v", v, MaxShutdownDelay), "use a little more than the load balancer's readiness interval times its failure threshold, such as 10s")
	default:
		return d
	}
	return DefaultShutdownDelay
}

// onOff reads a switch: empty, 0, false, no or off is off; 1, true, yes or
// on is on; anything else is reported with fix.
func onOff(getenv func(string) string, name, fix string, bad func(string, string, string)) bool {
	switch v := strings.ToLower(strings.TrimSpace(getenv(name))); v {
	case "", "0", "false", "no", "off":
		return false
	case "1", "true", "yes", "on":
		return true
	default:
		bad(name, fmt.Sprintf("%q is not on or off", v), fix)
		return false
	}
}

// readKey reads a PEM key from NAME or from the file NAME_FILE (only one may
// be set) and returns its text and the variable it came from.
func readKey(getenv func(string) string, name string, bad func(string, string, string)) (text, variable string) {
	text, variable = getenv(name), name
	if file := strings.TrimSpace(getenv(name + "_FILE")); file != "" {
		if strings.TrimSpace(text) != "" {
			bad(name+"_FILE", "is set together with "+name, "set only one of them")
		}
		variable = name + "_FILE"
		data, err := os.ReadFile(file)
		if err != nil {
			bad(variable, "cannot be read: "+err.Error(), "point it at the PEM file of the client's RSA private key")
		}
		text = string(data)
	}
	return text, variable
}

func duration(getenv func(string) string, name string, def time.Duration, bad func(string, string, string)) time.Duration {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		bad(name, fmt.Sprintf("%q is not a positive duration", v), "use a Go duration such as 10s or 30m")
		return def
	}
	return d
}

// parseBasePath checks BASE_PATH. A missing trailing slash is added ("/sgid"
// means "/sgid/"): routes are joined to it, and without the slash
// "/sgidfoo" would count as ours. Only plain segments are accepted, so the
// path needs no escaping in links and proxy configs.
func parseBasePath(raw string) (string, error) {
	if !strings.HasPrefix(raw, "/") {
		return "", fmt.Errorf("%q does not start with /", raw)
	}
	if !strings.HasSuffix(raw, "/") {
		raw += "/"
	}
	if raw == "/" {
		return raw, nil
	}
	for _, segment := range strings.Split(raw[1:len(raw)-1], "/") {
		if segment == "" || segment == "." || segment == ".." {
			return "", fmt.Errorf("%q has an empty, . or .. segment", raw)
		}
		for _, r := range segment {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.~", r)) {
				return "", fmt.Errorf("%q has the character %q, which would need escaping", raw, r)
			}
		}
	}
	return raw, nil
}

// parseUpstream checks UPSTREAM_URL: an absolute http(s) URL, whose path (if
// any) is put in front of every proxied request's.
func parseUpstream(raw string, publicURL *url.URL) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("%q has a query, fragment or user part", raw)
	}
	if publicURL != nil && strings.EqualFold(u.Scheme+"://"+u.Host, publicURL.String()) {
		return nil, fmt.Errorf("%q is this server's own PUBLIC_URL, so every request would come back here", raw)
	}
	return u, nil
}

func parseOrigin(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL", raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%q is not an http(s) origin", raw)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("%q has a path, query or user part; only the origin is allowed", raw)
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

// parseTrustedProxies reads comma-separated IPs and CIDRs; a bare IP trusts
// that one address.
func parseTrustedProxies(raw string) ([]*net.IPNet, error) {
	var nets []*net.IPNet
	for _, item := range strings.Split(raw, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if strings.Contains(item, "/") {
			_, n, err := net.ParseCIDR(item)
			if err != nil {
				return nil, fmt.Errorf("%q is not an IP or CIDR", item)
			}
			nets = append(nets, n)
			continue
		}
		ip := net.ParseIP(item)
		if ip == nil {
			return nil, fmt.Errorf("%q is not an IP or CIDR", item)
		}
		bits := 128
		if ip4 := ip.To4(); ip4 != nil {
			ip, bits = ip4, 32
		}
		nets = append(nets, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
	}
	return nets, nil
}

func isRealSGIDHost(hostname string) bool {
	u, err := url.Parse(hostname)
	if err != nil {
		return false
	}
	h := strings.ToLower(u.Hostname())
	return h == "id.gov.sg" || strings.HasSuffix(h, ".id.gov.sg")
}

// ErrRedirectNotAbsolute is CheckRedirectURI's answer for a URI that is
// not an absolute URL without a fragment.
var ErrRedirectNotAbsolute = errors.New("not an absolute URL")

// CheckRedirectURI reports whether redirectURI is this server's callback
// under publicURL and basePath, which sgID needs registered exactly. Config
// and doctor both use it, so they cannot disagree.
func CheckRedirectURI(redirectURI string, publicURL *url.URL, basePath string) error {
	u, err := url.Parse(redirectURI)
	if err != nil || !u.IsAbs() || u.Fragment != "" {
		return fmt.Errorf("%q is %w", redirectURI, ErrRedirectNotAbsolute)
	}
	if publicURL == nil || u.Scheme+"://"+u.Host != publicURL.String() || u.Path != (Config{BasePath: basePath}).Path("/auth/callback") {
		return fmt.Errorf("%q does not point at this server's callback under PUBLIC_URL (%v)", redirectURI, publicURL)
	}
	return nil
}

// IsLoopback reports whether host (a name or an IP, no port) is this
// machine: localhost or a loopback address.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
