// Package interop proves that sgidweb works with MockPass, the sgID mock
// the ecosystem uses, and not only with our own embedded mock. MockPass
// checks almost nothing the client sends, so these tests cover the happy
// path; refusals are proved against the strict embedded mock elsewhere.
package interop

import (
	"bufio"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/sgidweb/sgidweb/internal/apptest"
	"github.com/sgidweb/sgidweb/internal/testenv"
	"github.com/sgidweb/sgidweb/internal/testkit"
)

// tanHengHuat is the MockPass persona with Myinfo data that the tests log
// in as; MockPass's default identity has none and breaks its userinfo.
const (
	tanHengHuatNRIC = "S9812381D"
	tanHengHuatName = "TAN HENG HUAT"
)

// mockPassScopes are the scopes MockPass answers. myinfo.vehicles is left
// out: MockPass 4.3.4 tries to encrypt a JSON array for it and fails.
var mockPassScopes = []string{
	"openid", "myinfo.name", "myinfo.nric_number", "myinfo.email", "myinfo.sex", "myinfo.race",
	"myinfo.mobile_number", "myinfo.registered_address", "myinfo.date_of_birth",
	"myinfo.passport_number", "myinfo.passport_expiry_date", "myinfo.nationality",
	"myinfo.residentialstatus", "myinfo.housingtype", "myinfo.hdbtype", "myinfo.birth_country",
	"myinfo.name_of_employer", "myinfo.marital_status", "myinfo.mobile_number_with_country_code",
}

// mockPass is a MockPass process listening on a loopback port.
type mockPass struct {
	url    string // http://127.0.0.1:PORT
	keyPEM string // the client private key MockPass encrypts userinfo to
}

// startMockPass runs .ci/node/serve-mockpass.js with env added, and stops
// it by its own PID when the test ends.
func startMockPass(t *testing.T, env map[string]string) *mockPass {
	t.Helper()
	dir := testenv.NodePackage(t, "@opengovsg/mockpass")
	node := testenv.LookPath(t, "node", "install Node.js 20")
	wrapper := filepath.Join(testenv.ModuleRoot(), ".ci", "node", "serve-mockpass.js")

	cmd := exec.Command(node, wrapper)
	// MockPass loads a .env from its working directory: give it an empty one.
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "MOCKPASS_PORT=0", "MOCKPASS_DIR="+dir)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &apptest.LogBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start MockPass: %v", err)
	}
	exited := make(chan struct{})
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})

	// The wrapper's first line names the address. MockPass logs every
	// request to stdout afterwards, which nobody needs to read.
	addr := make(chan string, 1)
	go func() {
		defer close(exited)
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			if rest, ok := strings.CutPrefix(lines.Text(), "mockpass listening on "); ok {
				addr <- rest
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		_ = cmd.Wait()
	}()
	select {
	case u := <-addr:
		return &mockPass{url: u, keyPEM: filepath.Join(dir, "static", "certs", "key.pem")}
	case <-exited:
		t.Fatalf("MockPass exited before listening: %s", stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("MockPass did not say where it listens within 30s: %s", stderr.String())
	}
	return nil
}

// site is sgidweb pointed at MockPass, serving on a loopback port.
type site struct {
	url  string
	logs *apptest.LogBuffer
}

func startSite(t *testing.T, mp *mockPass) *site {
	t.Helper()
	vars := map[string]string{
		// MockPass builds its issuer from the Host header, so the client
		// must call it by the same host:port it is configured with.
		"SGID_HOSTNAME":         mp.url,
		"SGID_CLIENT_ID":        "sgidweb-interop",
		"SGID_CLIENT_SECRET":    "interop-secret-of-our-choosing",
		"SGID_PRIVATE_KEY_FILE": mp.keyPEM,
		"SGID_SCOPES":           strings.Join(mockPassScopes, " "),
	}
	s := apptest.Start(t, apptest.Listen(t), vars)
	if s.App.Config.MockMode {
		t.Fatal("config: want MockPass, got the embedded mock")
	}
	return &site{url: s.URL, logs: s.Logs}
}

// pressLogin submits the home page's login form as a browser would: its
// CSRF input, from our own origin.
func pressLogin(t *testing.T, b *testkit.Browser, s *site) testkit.Page {
	t.Helper()
	home := b.Get(s.url + "/")
	form := home.Doc.Find(`form[action="/auth/login"]`)
	if form.Length() != 1 {
		t.Fatalf("home page: want one login form, got %d", form.Length())
	}
	values := url.Values{}
	form.Find("input[name]").Each(func(_ int, in *goquery.Selection) {
		values.Add(in.AttrOr("name", ""), in.AttrOr("value", ""))
	})
	return b.PostForm(s.url+"/auth/login", values, nil)
}

// wantProfile checks that the person is home, logged in, with name shown.
func wantProfile(t *testing.T, s *site, p testkit.Page, name string) {
	t.Helper()
	if p.Status != http.StatusOK || p.URL.String() != s.url+"/" {
		t.Fatalf("after login: want 200 at %s/, got %d at %s; log:\n%s", s.url, p.Status, p.URL, s.logs.String())
	}
	if got := strings.TrimSpace(p.Doc.Find(`[data-testid="logged-in-as"] strong`).Text()); got != name {
		t.Errorf("logged in as %q, want %q", got, name)
	}
	if got := strings.TrimSpace(p.Doc.Find(`[data-testid="field-myinfo-name"] dd`).Text()); got != name {
		t.Errorf("profile name %q, want %q", got, name)
	}
	if p.Doc.Find(`[data-testid="logout-form"]`).Length() != 1 {
		t.Error("no logout form on the logged-in page")
	}
}

// TestMockPassLogin logs in as MockPass's configured identity: MockPass
// skips its login page and redirects straight back with a code.
func TestMockPassLogin(t *testing.T) {
	mp := startMockPass(t, map[string]string{"MOCKPASS_NRIC": tanHengHuatNRIC})
	s := startSite(t, mp)
	p := testkit.NewBrowser(t, testkit.FollowRedirects)

	home := pressLogin(t, p, s)
	wantProfile(t, s, home, tanHengHuatName)

	// MockPass encrypts more fields than the name; each requested scope is
	// shown, with data or as not provided.
	for _, scope := range []string{"myinfo.nric_number", "myinfo.date_of_birth", "myinfo.registered_address"} {
		testID := "field-" + strings.ReplaceAll(scope, ".", "-")
		if home.Doc.Find(`[data-testid="`+testID+`"]`).Length() != 1 {
			t.Errorf("profile has no %s", testID)
		}
	}
	if strings.Contains(s.logs.String(), tanHengHuatNRIC) || strings.Contains(s.logs.String(), tanHengHuatName) {
		t.Error("the server log holds the person's NRIC or name")
	}
}

// TestMockPassLoginPage picks a persona on MockPass's login page. The page
// lists its personas in a datalist; choosing one makes its script follow
// the option's assert URL, which is what this test does. MOCKPASS_NRIC is
// left unset, so MockPass's default identity is someone else: only the
// choice on the page can make Tan Heng Huat the one logged in.
func TestMockPassLoginPage(t *testing.T) {
	mp := startMockPass(t, map[string]string{"SHOW_LOGIN_PAGE": "true"})
	s := startSite(t, mp)
	p := testkit.NewBrowser(t, testkit.FollowRedirects)

	login := pressLogin(t, p, s)
	if login.Status != http.StatusOK || !strings.HasPrefix(login.URL.String(), mp.url+"/v2/oauth/authorize") {
		t.Fatalf("after pressing login: want MockPass's login page, got %d at %s", login.Status, login.URL)
	}
	var assertURL string
	options := login.Doc.Find(`#id-datalist option`)
	options.Each(func(_ int, o *goquery.Selection) {
		if strings.HasPrefix(o.AttrOr("value", ""), tanHengHuatNRIC) {
			assertURL = o.AttrOr("data-asserturl", "")
		}
	})
	if assertURL == "" {
		t.Fatalf("MockPass's login page offers no persona %s among %d", tanHengHuatNRIC, options.Length())
	}
	if !strings.HasPrefix(assertURL, s.url+"/auth/callback?") {
		t.Fatalf("the persona's link goes to %q, want our callback", assertURL)
	}
	wantProfile(t, s, p.Get(assertURL), tanHengHuatName)
}
