package web_test

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/sgidweb/sgidweb/internal/access"
	"github.com/sgidweb/sgidweb/internal/app"
	"github.com/sgidweb/sgidweb/internal/apptest"
	"github.com/sgidweb/sgidweb/internal/mocksgid"
	"github.com/sgidweb/sgidweb/internal/testkit"
	"github.com/sgidweb/sgidweb/internal/web"
)

// officerScopes asks for the name and the public officer details, which
// every rule but anyone reads.
const officerScopes = "openid myinfo.name pocdex.public_officer_details"

// The mock's officers: siti holds postings at two agencies, goh one; tan
// holds none.
const (
	twoPostings = "siti-public-officer"
	onePosting  = "goh-one-posting"
	nonOfficer  = "tan-heng-huat"
)

func persona(t *testing.T, id string) mocksgid.Persona {
	t.Helper()
	p, ok := mocksgid.PersonaByID(id)
	if !ok {
		t.Fatalf("no persona %s", id)
	}
	return p
}

// startGuardedSite serves the mock-mode site under ACCESS_ALLOW=allow,
// asking for the officer details. The sessions go to an SQLite file in dir
// so that a test can read what the store holds.
func startGuardedSite(t *testing.T, allow, dir string, opts ...app.Option) *site {
	t.Helper()
	// A fixed CSRF key, so that a form from one run of the site is good
	// for the next on the same store.
	env := map[string]string{"ACCESS_ALLOW": allow, "SGID_SCOPES": officerScopes, "AUDIT_HASH_KEY": testAuditKey, "METRICS_ADDR": "127.0.0.1:0",
		"CSRF_KEY": "csrf-key-for-tests-0123456789abcdef"}
	if dir != "" {
		env["SESSION_STORE"] = "sqlite:" + filepath.Join(dir, "sessions.db")
	}
	return startSiteOn(t, apptest.Listen(t), env, opts...)
}

// storeHolds reports whether any file of the session store in dir holds s.
func storeHolds(t *testing.T, dir, s string) bool {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), s) {
			return true
		}
	}
	return false
}

func (s *site) metrics(t *testing.T) string {
	t.Helper()
	res, err := http.Get("http://" + s.app.MetricsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// personalValues are the persona's values long enough to find by search,
// the sub first.
func personalValues(p mocksgid.Persona) []string {
	out := []string{p.Sub}
	for _, post := range access.ParsePostings(p.Fields[access.OfficerScope]) {
		out = append(out, post.WorkEmail, post.AgencyName, post.EmploymentTitle)
	}
	return append(out, p.Fields["myinfo.name"])
}

func TestPolicyRefusesAtTheCallback(t *testing.T) {
	cases := []struct {
		allow, persona, kind, words string
		reason                      access.Reason
	}{
		{"public-officer", nonOfficer, "public-officer", "people whose Singpass shows a public service posting", access.ReasonNotOfficer},
		{"agency:Ministry_of_Nowhere,Sandbox_Board", twoPostings, "agency", "public officers of Ministry of Nowhere or Sandbox Board", access.ReasonPostingNotAllowed},
		{"agency:Ministry_of_Mock_Affairs", nonOfficer, "agency", "public officers of Ministry of Mock Affairs", access.ReasonNotOfficer},
		{"email-domain:sandbox.gov.sg", onePosting, "email-domain", "work email address at sandbox.gov.sg (subdomains included)", access.ReasonPostingNotAllowed},
	}
	for _, tc := range cases {
		t.Run(tc.allow+"/"+tc.persona, func(t *testing.T) {
			dir := t.TempDir()
			s := startGuardedSite(t, tc.allow, dir)
			p := persona(t, tc.persona)
			b := s.newBrowser()
			cb := b.login(p.ID, true)

			if cb.Status != http.StatusForbidden || cb.Doc.Find(`[data-testid="refused-page"]`).Length() != 1 {
				t.Fatalf("callback: want the 403 refusal page, got %d: %s", cb.Status, cb.Body)
			}
			if got := cb.Text("requirement-" + tc.kind); !strings.Contains(got, tc.words) {
				t.Errorf("the page should say the site is for %q, says %q", tc.words, got)
			}
			if cc := cb.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("refusal page: want Cache-Control no-store, got %q", cc)
			}
			for _, v := range personalValues(p) {
				if v != "NA" && strings.Contains(cb.Body, v) {
					t.Errorf("the refusal page shows the person's %q: it must describe the site's rules only", v)
				}
			}
			if loggedIn(b) {
				t.Error("a refused person is logged in")
			}
			if b.get("/auth/posting").Status != http.StatusSeeOther {
				t.Error("a refused login was held for a posting choice")
			}
			for _, v := range personalValues(p) {
				if v != "NA" && storeHolds(t, dir, v) {
					t.Errorf("the session store kept the refused person's %q", v)
				}
			}
			// The mock provider logs the subs it issues, and the sub is the
			// one value of the person's the site may log (as its hash).
			assertCleanLogs(t, s, personalValues(p)[1:]...)

			var audited bool
			for _, l := range parseLogs(t, s) {
				if l.str("msg") == "audit" && l.str("event") == "login_failed" && l.str("reason") == "access_denied_policy" &&
					l.str("policy_reason") == string(tc.reason) && l.str("subject_hash") == web.SubjectHash([]byte(testAuditKey), p.Sub) {
					audited = true
				}
			}
			if !audited {
				t.Errorf("want a login_failed audit line with reason access_denied_policy, policy_reason %s and the subject hash:\n%s", tc.reason, s.logs.String())
			}
			if m := s.metrics(t); !strings.Contains(m, `sgidweb_logins_failed_total{reason="access_denied_policy"} 1`) || strings.Contains(m, "sgidweb_logins_completed_total 1") {
				t.Errorf("metrics: want one access_denied_policy failure and no completed login")
			}
		})
	}
}

// The store check above finds data when there is some: a person the policy
// admits is found in the same files.
func TestStoreCheckFindsAnAdmittedPerson(t *testing.T) {
	dir := t.TempDir()
	s := startGuardedSite(t, "public-officer", dir)
	p := persona(t, onePosting)
	if cb := s.newBrowser().login(p.ID, true); cb.Status != http.StatusSeeOther {
		t.Fatalf("login: want 303, got %d", cb.Status)
	}
	if !storeHolds(t, dir, p.Fields["myinfo.name"]) {
		t.Fatal("the store check cannot find a logged-in person's name; it proves nothing about refusals")
	}
}

func TestRefusalListsEveryRule(t *testing.T) {
	s := startGuardedSite(t, "agency:Ministry_of_Nowhere email-domain:nowhere.gov.sg", "")
	cb := s.newBrowser().login(onePosting, true)
	if cb.Status != http.StatusForbidden {
		t.Fatalf("want 403, got %d", cb.Status)
	}
	if n := cb.Doc.Find(`[data-testid="refused-requirements"] li`).Length(); n != 2 {
		t.Errorf("two rules: want two requirements listed, got %d", n)
	}
}

func TestOnePassingPostingLogsInWithoutAPicker(t *testing.T) {
	cases := []struct{ allow, persona, agency, notShown string }{
		{"public-officer", onePosting, "Ministry of Mock Affairs", ""},
		// siti holds two postings; only the sandbox one passes, so it is
		// taken without asking and the other is neither shown nor kept.
		{"email-domain:sandbox.gov.sg", twoPostings, "Sandbox Statutory Board", "Ministry of Mock Affairs"},
		{"agency:SANDBOX-STATUTORY-BOARD", twoPostings, "Sandbox Statutory Board", "Ministry of Mock Affairs"},
	}
	for _, tc := range cases {
		t.Run(tc.allow+"/"+tc.persona, func(t *testing.T) {
			s := startGuardedSite(t, tc.allow, "")
			b := s.newBrowser()
			cb := b.login(tc.persona, true)
			if cb.Status != http.StatusSeeOther || cb.Header.Get("Location") != "/" {
				t.Fatalf("callback: want 303 to /, got %d %q", cb.Status, cb.Header.Get("Location"))
			}
			home := b.get("/")
			shown := home.Text("field-pocdex-public_officer_details")
			if !loggedIn(b) || !strings.Contains(shown, tc.agency) {
				t.Errorf("want logged in with the %s posting shown, got %q", tc.agency, shown)
			}
			if tc.notShown != "" && strings.Contains(home.Body, tc.notShown) {
				t.Errorf("the page shows the posting that did not pass (%s)", tc.notShown)
			}
		})
	}
}

func TestAnyoneAdmitsANonOfficer(t *testing.T) {
	s := startGuardedSite(t, "anyone", "")
	b := s.newBrowser()
	if cb := b.login(nonOfficer, true); cb.Status != http.StatusSeeOther || cb.Header.Get("Location") != "/" || !loggedIn(b) {
		t.Fatalf("anyone: want a non-officer logged in, got %d %q", cb.Status, cb.Header.Get("Location"))
	}
}

// startPicking logs the two-posting officer in under a policy both of her
// postings pass, up to the picker, and returns the picker page.
func startPicking(t *testing.T, s *site, b *browser) page {
	t.Helper()
	cb := b.login(twoPostings, true)
	if cb.Status != http.StatusSeeOther || cb.Header.Get("Location") != "/auth/posting" {
		t.Fatalf("callback for an officer with two passing postings: want 303 to /auth/posting, got %d %q: %s", cb.Status, cb.Header.Get("Location"), cb.Body)
	}
	if loggedIn(b) {
		t.Fatal("logged in before choosing a posting")
	}
	picker := b.get("/auth/posting")
	if picker.Status != http.StatusOK || picker.Doc.Find(`[data-testid="posting-picker"]`).Length() != 1 {
		t.Fatalf("GET /auth/posting: want the picker, got %d: %s", picker.Status, picker.Body)
	}
	return picker
}

// choice is the form that chooses the posting at agency on the picker.
func choice(t *testing.T, picker page, agency string) url.Values {
	t.Helper()
	var form url.Values
	picker.Doc.Find(`[data-testid="posting-picker"] section`).Each(func(_ int, li *goquery.Selection) {
		if !strings.Contains(li.Text(), agency) {
			return
		}
		f := li.Find("form")
		if method, _ := f.Attr("method"); method != "post" {
			t.Errorf("the choice is not a POST form")
		}
		if action, _ := f.Attr("action"); action != "/auth/posting" {
			t.Errorf("the choice posts to %q", action)
		}
		form = url.Values{}
		f.Find("input").Each(func(_ int, in *goquery.Selection) {
			name, _ := in.Attr("name")
			value, _ := in.Attr("value")
			form.Set(name, value)
		})
	})
	if form == nil || form.Get("csrf_token") == "" || form.Get("posting") == "" {
		t.Fatalf("no choice form with a CSRF token for %s on the picker: %v", agency, form)
	}
	return form
}

func TestPickerWithoutJavaScript(t *testing.T) {
	s := startGuardedSite(t, "agency:Ministry_of_Mock_Affairs,Sandbox_Statutory_Board", "")
	b := s.newBrowser()
	picker := startPicking(t, s, b)
	if n := picker.Doc.Find(`[data-testid="posting-picker"] section`).Length(); n != 2 {
		t.Fatalf("want both postings offered, got %d", n)
	}
	if picker.Header.Get("Cache-Control") != "no-store" {
		t.Error("the picker shows personal data and must not be cached")
	}
	// The department sgID sent as NA reads as not provided.
	if !strings.Contains(picker.Doc.Find(`[data-testid="posting-picker"] section`).Eq(1).Text(), "Not provided") {
		t.Error("the NA department is not shown as not provided")
	}
	p := b.post("/auth/posting", choice(t, picker, "Sandbox Statutory Board"), nil)
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/" {
		t.Fatalf("choosing: want 303 to /, got %d %q: %s", p.Status, p.Header.Get("Location"), p.Body)
	}
	home := b.get("/")
	shown := home.Text("field-pocdex-public_officer_details")
	if !loggedIn(b) || !strings.Contains(shown, "Sandbox Statutory Board") || strings.Contains(home.Body, "Ministry of Mock Affairs") {
		t.Errorf("after choosing the sandbox posting: want it alone on the page, got %q", shown)
	}
	if again := b.get("/auth/posting"); again.Status != http.StatusSeeOther {
		t.Errorf("after the login the choice is spent: GET /auth/posting want 303 home, got %d", again.Status)
	}
	if flash := b.get("/").Text("flash"); flash != "" {
		t.Errorf("back to the picker while logged in: want home without a message, got %q", flash)
	}
	m := s.metrics(t)
	for _, want := range []string{"sgidweb_logins_completed_total 1", "sgidweb_sessions_created_total 1"} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics: want %q", want)
		}
	}
}

func TestPickerWithHtmx(t *testing.T) {
	s := startGuardedSite(t, "public-officer", "")
	b := s.newBrowser()
	picker := startPicking(t, s, b)
	form := picker.Doc.Find(`[data-testid="posting-picker"] section form`).First()
	if hx, _ := form.Attr("hx-post"); hx != "/auth/posting" {
		t.Errorf("the choice form: want hx-post=/auth/posting, got %q", hx)
	}
	p := b.post("/auth/posting", choice(t, picker, "Ministry of Mock Affairs"), map[string]string{"HX-Request": "true"})
	if p.Status/100 != 2 || p.Header.Get("HX-Redirect") != "/" {
		t.Fatalf("htmx choice: want 2xx with HX-Redirect /, got %d %q", p.Status, p.Header.Get("HX-Redirect"))
	}
	if !strings.Contains(b.get("/").Text("field-pocdex-public_officer_details"), "Ministry of Mock Affairs") {
		t.Error("after the htmx choice the chosen posting is not shown")
	}
}

func TestPickerNeedsTheCSRFToken(t *testing.T) {
	s := startGuardedSite(t, "public-officer", "")
	b := s.newBrowser()
	form := choice(t, startPicking(t, s, b), "Sandbox Statutory Board")
	form.Set("csrf_token", "forged")
	if p := b.post("/auth/posting", form, nil); p.Status != http.StatusForbidden || loggedIn(b) {
		t.Errorf("a choice with a forged CSRF token: want 403 and nobody logged in, got %d", p.Status)
	}
}

func TestPickerRefusesAChoiceNotOnOffer(t *testing.T) {
	s := startGuardedSite(t, "public-officer", "")
	b := s.newBrowser()
	picker := startPicking(t, s, b)
	form := choice(t, picker, "Sandbox Statutory Board")
	for _, bad := range []string{"2", "-1", "x", ""} {
		form.Set("posting", bad)
		if p := b.post("/auth/posting", form, nil); p.Status != http.StatusBadRequest || loggedIn(b) {
			t.Errorf("posting=%q: want 400 and nobody logged in, got %d", bad, p.Status)
		}
	}
	// The held login survives a bad form: the person can still choose.
	if p := b.post("/auth/posting", choice(t, picker, "Sandbox Statutory Board"), nil); p.Status != http.StatusSeeOther || !loggedIn(b) {
		t.Errorf("a valid choice after bad ones: want logged in, got %d", p.Status)
	}
}

func TestPickerCancel(t *testing.T) {
	s := startGuardedSite(t, "public-officer", "")
	b := s.newBrowser()
	picker := startPicking(t, s, b)
	token, _ := picker.Doc.Find(`[data-testid="picker-cancel-form"] input[name="csrf_token"]`).Attr("value")
	p := b.post("/auth/posting", url.Values{"csrf_token": {token}, "cancel": {"1"}}, nil)
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/" {
		t.Fatalf("cancel: want 303 to /, got %d", p.Status)
	}
	home := b.get("/")
	if loggedIn(b) || !strings.Contains(home.Text("flash"), "login did not complete") {
		t.Errorf("after cancel: want nobody logged in and a message, got %q", home.Text("flash"))
	}
	if again := b.get("/auth/posting"); again.Status != http.StatusSeeOther {
		t.Errorf("after cancel the held login is gone: want 303, got %d", again.Status)
	}
	if !strings.Contains(s.metrics(t), `sgidweb_logins_failed_total{reason="posting_choice_cancelled"} 1`) {
		t.Error("a cancelled choice is not counted")
	}
}

// The held login is bound to the session token given at the callback: a
// token planted before the login cannot complete it.
func TestPickerIsBoundToTheTokenGivenAtTheCallback(t *testing.T) {
	s := startGuardedSite(t, "public-officer", "")
	b := s.newBrowser()
	b.get("/")
	planted := sessionCookie(t, b)
	startPicking(t, s, b)
	if sessionCookie(t, b) == planted {
		t.Fatal("the session token did not change when the login was held")
	}
	attacker := s.newBrowser()
	u, _ := url.Parse(s.url)
	attacker.Client.Jar.SetCookies(u, []*http.Cookie{{Name: s.app.SessionCookieName(), Value: planted}})
	if p := attacker.get("/auth/posting"); p.Status != http.StatusSeeOther || p.Doc.Find(`[data-testid="posting-picker"]`).Length() != 0 {
		t.Errorf("the planted token reaches the held login: %d", p.Status)
	}
}

func TestPickerChoiceExpiresWithTheFlow(t *testing.T) {
	for _, tc := range []struct {
		name    string
		after   time.Duration
		success bool
	}{
		{"just inside the flow", 9*time.Minute + 50*time.Second, true},
		{"past the flow", 10*time.Minute + time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := testkit.NewClock(time.Now())
			s := startGuardedSite(t, "public-officer", "", app.WithClock(clock.Now))
			b := s.newBrowser()
			form := choice(t, startPicking(t, s, b), "Sandbox Statutory Board")
			// The flow started when login was pressed, which the clock
			// has not moved past: the choice expires with that start.
			clock.Advance(tc.after)
			p := b.post("/auth/posting", form, nil)
			if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/" {
				t.Fatalf("want 303 to /, got %d %q", p.Status, p.Header.Get("Location"))
			}
			home := b.get("/")
			if got := loggedIn(b); got != tc.success {
				t.Fatalf("logged in: %v, want %v", got, tc.success)
			}
			if tc.success {
				return
			}
			if !strings.Contains(home.Text("flash"), "longer than ten minutes") {
				t.Errorf("want the expiry explained, got %q", home.Text("flash"))
			}
			if !strings.Contains(s.metrics(t), `sgidweb_logins_failed_total{reason="posting_choice_expired"} 1`) {
				t.Error("an expired choice is not counted")
			}
		})
	}
}

func TestPickerWithNothingHeld(t *testing.T) {
	s := startGuardedSite(t, "public-officer", "")
	b := s.newBrowser()
	p := b.get("/auth/posting")
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/" {
		t.Fatalf("want 303 home, got %d", p.Status)
	}
	if !strings.Contains(b.get("/").Text("flash"), "no login waiting") {
		t.Error("want a message that no login waits for a choice")
	}
}

// Whatever sgID sends as the officer details, the callback answers with a
// decision, never a crash: unreadable details are no postings.
func TestUnreadableOfficerDetailsAreNoPostings(t *testing.T) {
	values := map[string]int{
		"NA":                          http.StatusForbidden,
		"":                            http.StatusForbidden,
		"[]":                          http.StatusForbidden,
		"[{":                          http.StatusForbidden,
		`"x"`:                         http.StatusForbidden,
		`[1,"a",null]`:                http.StatusForbidden,
		`[{"agency_name":"GovTech"}]`: http.StatusSeeOther,
	}
	h := startHostileSite(t, map[string]string{"ACCESS_ALLOW": "public-officer", "SGID_SCOPES": officerScopes})
	for v, want := range values {
		b := h.newBrowser()
		p := h.hostileLogin(b, map[string]string{"myinfo.name": "A PERSON", access.OfficerScope: v})
		if p.Status != want {
			t.Errorf("officer details %q: want %d, got %d: %s", v, want, p.Status, p.Body)
		}
	}
}

// A login held under one policy and chosen after a restart under a
// narrower one is refused: the choice is checked again when it is made.
func TestChoiceIsCheckedUnderThePolicyOfTheMoment(t *testing.T) {
	dir := t.TempDir()
	b := &browser{Browser: testkit.NewBrowser(t), t: t}
	var form url.Values
	t.Run("held under public-officer", func(t *testing.T) {
		b.site = startGuardedSite(t, "public-officer", dir)
		form = choice(t, startPicking(t, b.site, b), "Ministry of Mock Affairs")
	}) // the site stops here and closes its store
	s := startGuardedSite(t, "agency:Sandbox_Statutory_Board", dir)
	b.site = s
	p := b.post("/auth/posting", form, nil)
	if p.Status != http.StatusForbidden || p.Doc.Find(`[data-testid="refused-page"]`).Length() != 1 || loggedIn(b) {
		t.Fatalf("a choice the new policy refuses: want the 403 refusal page and nobody logged in, got %d: %s", p.Status, p.Body)
	}
	if again := b.get("/auth/posting"); again.Status != http.StatusSeeOther {
		t.Error("the refused held login was kept")
	}
}

// A person already logged in who starts another login, reaches the picker
// and cancels stays logged in as before, and the message must not say
// otherwise.
func TestPickerCancelKeepsTheEarlierLogin(t *testing.T) {
	s := startGuardedSite(t, "anyone", "")
	b := s.newBrowser()
	if cb := b.login(nonOfficer, true); cb.Status != http.StatusSeeOther || !loggedIn(b) {
		t.Fatalf("first login: want logged in, got %d", cb.Status)
	}
	authorize := b.post("/auth/login", url.Values{"csrf_token": {b.csrf("/auth/logout")}}, nil)
	if authorize.Status != http.StatusSeeOther {
		t.Fatalf("second login: want 303 to sgID, got %d: %s", authorize.Status, authorize.Body)
	}
	callback, err := s.app.Mock.Approve(authorize.Header.Get("Location"), twoPostings, true)
	if err != nil {
		t.Fatal(err)
	}
	if cb := b.get(callback); cb.Header.Get("Location") != "/auth/posting" {
		t.Fatalf("second login: want the picker, got %d %q", cb.Status, cb.Header.Get("Location"))
	}
	picker := b.get("/auth/posting")
	token, _ := picker.Doc.Find(`[data-testid="picker-cancel-form"] input[name="csrf_token"]`).Attr("value")
	if p := b.post("/auth/posting", url.Values{"csrf_token": {token}, "cancel": {"1"}}, nil); p.Status != http.StatusSeeOther {
		t.Fatalf("cancel: want 303, got %d", p.Status)
	}
	home := b.get("/")
	if !loggedIn(b) {
		t.Fatal("after cancelling a second login: want still logged in as before")
	}
	if flash := home.Text("flash"); flash == "" || strings.Contains(flash, "not logged in") {
		t.Errorf("after cancelling a second login while logged in: want a message that does not say \"not logged in\", got %q", flash)
	}
}
