package web_test

import (
	"bufio"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/sgidweb/sgidweb/internal/app"
	"github.com/sgidweb/sgidweb/internal/apptest"
	"github.com/sgidweb/sgidweb/internal/mocksgid"
	"github.com/sgidweb/sgidweb/internal/web"
)

const testAuditKey = "audit-key-for-tests-0123456789abcdef"

// personaWithIDs is the persona whose data includes an NRIC and an e-mail,
// and the scopes that ask for all of it.
func personaWithIDs(t *testing.T) (mocksgid.Persona, string) {
	t.Helper()
	for _, id := range []string{"tan-heng-huat", "siti-public-officer"} {
		p, _ := mocksgid.PersonaByID(id)
		if p.Fields["myinfo.nric_number"] != "" && strings.Contains(p.Fields["myinfo.email"], "@") {
			scopes := []string{"openid"}
			for k := range p.Fields {
				scopes = append(scopes, k)
			}
			slices.Sort(scopes)
			return p, strings.Join(scopes, " ")
		}
	}
	t.Fatal("no persona with an NRIC and an e-mail")
	return mocksgid.Persona{}, ""
}

type logLine map[string]any

func (l logLine) str(k string) string { s, _ := l[k].(string); return s }

func parseLogs(t *testing.T, s *site) []logLine {
	t.Helper()
	var out []logLine
	sc := bufio.NewScanner(strings.NewReader(s.logs.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l logLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("log line is not JSON: %q", sc.Text())
		}
		out = append(out, l)
	}
	return out
}

// Lines written outside any request: at start, and by the mock when a test
// stands in for the person at its pages (Approve).
var processLines = []string{"serving", "serving metrics", "shutting down",
	"mock sgid code issued", "mock sgid consent denied"}

func TestLogsOfAWholeLoginHoldNoSecretsAndCarryRequestIDs(t *testing.T) {
	persona, scopes := personaWithIDs(t)
	s := startSite(t, map[string]string{"SGID_SCOPES": scopes, "AUDIT_HASH_KEY": testAuditKey})
	b := s.newBrowser()

	// The flow by hand, to keep the code and state it carries.
	authorize := b.startLogin()
	callback, err := s.app.Mock.Approve(authorize, persona.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	cbURL, _ := url.Parse(callback)
	if cb := b.get(callback); cb.Status != http.StatusSeeOther {
		t.Fatalf("callback: want 303, got %d", cb.Status)
	}
	// The page lets the address wrap with <wbr>, which adds no text.
	if home := b.get("/"); !strings.Contains(strings.ReplaceAll(home.Body, "<wbr>", ""), persona.Fields["myinfo.email"]) {
		t.Fatal("the logged-in page does not show the e-mail: the login did not fetch the data this test guards")
	}
	cookie := sessionCookie(t, b)
	csrf := b.csrf("/auth/logout")
	if p := b.post("/auth/logout", url.Values{"csrf_token": {csrf}}, nil); p.Status != http.StatusSeeOther {
		t.Fatalf("logout: want 303, got %d", p.Status)
	}

	der, err := x509.MarshalPKCS8PrivateKey(s.app.Config.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	keyB64 := base64.StdEncoding.EncodeToString(der)
	forbidden := map[string]string{
		"authorization code": cbURL.Query().Get("code"),
		"state":              cbURL.Query().Get("state"),
		"client secret":      s.app.Config.ClientSecret,
		"private key":        keyB64[100:140],
		"audit key":          testAuditKey,
		"session token":      cookie,
		"CSRF token":         csrf,
	}
	for field, v := range persona.Fields {
		// Short values ("M", "NA", "SG") occur in ordinary words.
		if len(v) >= 6 {
			forbidden[field] = v
		}
	}
	for _, need := range []string{"myinfo.name", "myinfo.nric_number", "myinfo.email"} {
		if forbidden[need] == "" {
			t.Fatalf("the forbidden list lacks %s", need)
		}
	}
	logs := s.logs.String()
	for what, v := range forbidden {
		if v == "" {
			t.Fatalf("nothing to look for as the %s", what)
		}
		if strings.Contains(logs, v) {
			t.Errorf("the logs contain the %s", what)
		}
	}
	for _, word := range []string{"eyJ", "Bearer", "access_token", "id_token", "code="} {
		if strings.Contains(logs, word) {
			t.Errorf("the logs contain %q", word)
		}
	}

	var audits []logLine
	for _, l := range parseLogs(t, s) {
		if l.str("request_id") == "" && !slices.Contains(processLines, l.str("msg")) && !strings.HasPrefix(l.str("msg"), "AUDIT_HASH_KEY") && !strings.HasPrefix(l.str("msg"), "MOCK MODE") {
			t.Errorf("log line without request_id: %v", l)
		}
		if l.str("msg") == "audit" {
			audits = append(audits, l)
		}
	}
	hash := web.SubjectHash([]byte(testAuditKey), persona.Sub)
	if len(audits) != 2 {
		t.Fatalf("want two audit lines (login, logout), got %v", audits)
	}
	for i, want := range []string{"login_succeeded", "logout"} {
		if audits[i].str("event") != want || audits[i].str("subject_hash") != hash {
			t.Errorf("audit line %d: want event %s with the keyed hash of the sub, got %v", i, want, audits[i])
		}
	}
	for _, l := range audits {
		for _, v := range l {
			if s, _ := v.(string); strings.Contains(s, persona.Sub) {
				t.Errorf("an audit line holds the raw sub: %v", l)
			}
		}
	}
}

func TestFailedLoginsAreAuditedWithTheirReason(t *testing.T) {
	s := startSite(t, map[string]string{"AUDIT_HASH_KEY": testAuditKey})
	b := s.newBrowser()
	b.login(s.app.Mock.Personas()[0].ID, false) // denied at sgID
	b.get("/auth/callback?state=forged&code=forged")
	// A probe's HEAD or a stray POST at the callback is not a login attempt.
	for _, method := range []string{http.MethodHead, http.MethodPost} {
		req, _ := http.NewRequest(method, s.url+"/auth/callback?state=x&code=y", nil)
		b.Do(req)
	}
	var reasons []string
	for _, l := range parseLogs(t, s) {
		if l.str("msg") == "audit" {
			if l.str("event") != "login_failed" || l.str("subject_hash") != "" {
				t.Errorf("want a login_failed line naming nobody, got %v", l)
			}
			reasons = append(reasons, l.str("reason"))
		}
	}
	if !slices.Equal(reasons, []string{"access_denied", "no_login_in_progress"}) {
		t.Errorf("audit reasons: want [access_denied no_login_in_progress], got %v", reasons)
	}
}

func TestErrorPageShowsTheRequestIDOfItsLogLines(t *testing.T) {
	s := startSite(t, nil)
	p := s.newBrowser().get("/auth/callback?state=forged&code=forged")
	if p.Status != http.StatusBadRequest {
		t.Fatalf("want 400, got %d", p.Status)
	}
	id := p.Header.Get("X-Request-Id")
	shown := strings.TrimPrefix(p.Text("error-reference"), "Reference:")
	if id == "" || strings.TrimSpace(shown) != id {
		t.Fatalf("error page reference %q differs from the X-Request-Id %q", shown, id)
	}
	var found bool
	for _, l := range parseLogs(t, s) {
		if l.str("msg") == "request refused" {
			found = true
			if l.str("request_id") != id {
				t.Errorf("the refusal was logged under request_id %q, the page shows %q", l.str("request_id"), id)
			}
		}
	}
	if !found {
		t.Error("no 'request refused' line was logged")
	}
}

func TestMetricsAfterALogin(t *testing.T) {
	persona, scopes := personaWithIDs(t)
	s := startSite(t, map[string]string{"METRICS_ADDR": "127.0.0.1:0", "SGID_SCOPES": scopes})
	if s.app.MetricsAddr() == "" {
		t.Fatal("METRICS_ADDR is set but no metrics listener is bound")
	}
	b := s.newBrowser()
	if cb := b.login(persona.ID, true); cb.Status != http.StatusSeeOther {
		t.Fatalf("login: %d", cb.Status)
	}
	b.post("/auth/logout", url.Values{"csrf_token": {b.csrf("/auth/logout")}}, nil)
	b.get("/auth/callback?state=forged&code=forged")

	res, err := http.Get("http://" + s.app.MetricsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	text := string(body)
	for _, want := range []string{
		"sgidweb_logins_started_total 1",
		"sgidweb_logins_completed_total 1",
		`sgidweb_logins_failed_total{reason="no_login_in_progress"} 1`,
		`sgidweb_sgid_request_duration_seconds_count{endpoint="token",status="200"} 1`,
		`sgidweb_sgid_request_duration_seconds_count{endpoint="userinfo",status="200"} 1`,
		// The JWKS is fetched as the server starts and by the login
		// unless it joins that fetch: once or twice.
		`sgidweb_sgid_request_duration_seconds_count{endpoint="jwks",status="200"} `,
		`sgidweb_jwks_refreshes_total{result="ok"} `,
		`sgidweb_sgid_up{fetch="jwks"} 1`,
		"sgidweb_sessions_created_total 1",
		`sgidweb_sessions_destroyed_total{cause="logout"} 1`,
		`sgidweb_http_request_duration_seconds_count{method="GET",route="/auth/callback",status="303"} 1`,
		`sgidweb_http_request_duration_seconds_count{method="GET",route="/auth/callback",status="400"} 1`,
		`sgidweb_http_request_duration_seconds_count{method="POST",route="/auth/login",status="303"} 1`,
		"sgidweb_sgid_clock_drift_seconds",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics: want %q", want)
		}
	}
	for field, v := range persona.Fields {
		if len(v) >= 6 && strings.Contains(text, v) {
			t.Errorf("metrics contain the persona's %s", field)
		}
	}
	if strings.Contains(text, persona.Sub) || strings.Contains(text, "forged") {
		t.Error("metrics contain a sub or a query value")
	}
	// The site itself does not serve metrics.
	if p := b.get("/metrics"); p.Status != http.StatusNotFound {
		t.Errorf("GET /metrics on the site: want 404, got %d", p.Status)
	}
}

func TestMetricsAreOffWithoutMetricsAddr(t *testing.T) {
	s := startSite(t, nil)
	if s.app.MetricsAddr() != "" || s.app.Metrics != nil {
		t.Fatal("METRICS_ADDR is empty but metrics are served")
	}
}

// The access line carries the request id once, right after the message, as
// every other line logged through a request's logger does. JSON decoding
// would hide a doubled key, so the raw lines are read.
func TestAccessLineCarriesTheRequestIDOnceAndFirst(t *testing.T) {
	s := startSite(t, nil)
	b := s.newBrowser()
	b.login(s.app.Mock.Personas()[0].ID, true)
	p := b.get("/")
	id := p.Header.Get("X-Request-Id")
	var found bool
	for _, line := range strings.Split(s.logs.String(), "\n") {
		if n := strings.Count(line, `"request_id":`); n > 1 {
			t.Errorf("request_id written %d times: %s", n, line)
		}
		if strings.Contains(line, `"request_id":"`+id+`"`) && strings.Contains(line, `"msg":"request"`) {
			found = true
			if want := `"msg":"request","request_id":"` + id + `","method":"GET","route":"/","status":200,"client_ip":`; !strings.Contains(line, want) {
				t.Errorf("access line: want it to hold %s, got %s", want, line)
			}
		}
	}
	if !found {
		t.Errorf("no access line for request %s in %s", id, s.logs.String())
	}
}

// The binary gives access lines their own, batched logger: they must go
// there and nowhere else, while audit lines stay on the main logger.
func TestAccessLinesGoToTheAccessLogger(t *testing.T) {
	var access apptest.LogBuffer
	accessLog := slog.New(slog.NewJSONHandler(&access, nil))
	s := startSiteOn(t, apptest.Listen(t), nil, app.WithAccessLog(accessLog))
	b := s.newBrowser()
	b.login(s.app.Mock.Personas()[0].ID, true)
	b.get("/")
	if strings.Contains(s.logs.String(), `"msg":"request"`) {
		t.Errorf("access lines reached the main log: %s", s.logs.String())
	}
	if !strings.Contains(access.String(), `"msg":"request","request_id":"`) {
		t.Errorf("no access line in the access log: %q", access.String())
	}
	if strings.Contains(access.String(), `"msg":"audit"`) || !strings.Contains(s.logs.String(), `"msg":"audit"`) {
		t.Errorf("audit lines must stay on the main log\nmain: %s\naccess: %s", s.logs.String(), access.String())
	}
}
