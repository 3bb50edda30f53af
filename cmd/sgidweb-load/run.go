package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// report is everything the table shows for one server configuration.
type report struct {
	name                string
	loginRows, pageRows []row
	rssStart, rssPeak   int64
	page                []byte // a logged-in home page, for the baseline to serve
}

type row struct {
	clients  int
	res      result
	cpuPerOp time.Duration
	ratio    float64 // page rate over the baseline's at the same clients
}

func run(ctx context.Context, opts options, out io.Writer) error {
	work, err := os.MkdirTemp("", "sgidweb-load-")
	if err != nil {
		return err
	}
	if opts.keepWorkdir {
		fmt.Fprintln(out, "working folder:", work)
	} else {
		defer os.RemoveAll(work)
	}

	bin := filepath.Join(work, "sgidweb")
	fmt.Fprintln(out, "building sgidweb ...")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/sgidweb")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build sgidweb (run from the module root): %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	transport := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}

	// Each server's address is chosen now so the provider can register
	// its exact callback.
	addrs := make([]string, len(opts.stores))
	callbacks := make([]string, len(opts.stores))
	for i := range opts.stores {
		if addrs[i], err = freeAddr(); err != nil {
			return err
		}
		callbacks[i] = "http://" + addrs[i] + "/auth/callback"
	}

	// The provider: `sgidweb mock-sgid` on its own.
	mockEnv, mock, err := startMock(ctx, work, bin, callbacks)
	if err != nil {
		return err
	}
	defer mock.stop()

	var reports []report
	for i, store := range opts.stores {
		rep, err := measureServer(ctx, opts, work, bin, store, addrs[i], mockEnv, transport)
		if err != nil {
			return fmt.Errorf("store %s: %w", store, err)
		}
		reports = append(reports, rep)
	}

	// The baseline: a bare Echo handler in its own process serving the very
	// bytes of a logged-in page, so the two differ only in the work done.
	page := filepath.Join(work, "baseline.html")
	if err := os.WriteFile(page, reports[0].page, 0o600); err != nil {
		return err
	}
	baseAddr, err := freeAddr()
	if err != nil {
		return err
	}
	base, err := start(ctx, "baseline", work, nil, "http://"+baseAddr+"/readyz", self, "baseline-server", baseAddr, page)
	if err != nil {
		return err
	}
	baseline := map[int]row{}
	for _, n := range opts.levels {
		clients := make([]*client, n)
		for i := range clients {
			clients[i] = newClient("http://"+baseAddr, "", transport)
		}
		r, err := measure(base, func() result { return pageViews(ctx, clients, opts.pages, opts.phaseLimit, "") })
		if err != nil {
			return err
		}
		baseline[n] = r
	}
	baseRSS, _, _ := base.memory()
	base.stop()
	for i := range reports {
		for j := range reports[i].pageRows {
			r := &reports[i].pageRows[j]
			if b := baseline[r.clients].res.rate(); b > 0 {
				r.ratio = r.res.rate() / b
			}
		}
	}
	printReport(out, opts, baseline, baseRSS, reports)
	return nil
}

// measure runs f and returns its result with the process's CPU per
// completed operation.
func measure(p *process, f func() result) (row, error) {
	before, err := p.cpuTime()
	if err != nil {
		return row{}, err
	}
	res := f()
	after, err := p.cpuTime()
	if err != nil {
		return row{}, err
	}
	if res.firstErr != nil {
		return row{}, fmt.Errorf("%s: %d failures, first: %w", p.name, res.failures, res.firstErr)
	}
	r := row{res: res}
	if res.done > 0 {
		r.cpuPerOp = (after - before) / time.Duration(res.done)
	}
	return r, nil
}

// startMock starts `sgidweb mock-sgid` and reads the variables it prints
// for pointing a server at it.
func startMock(ctx context.Context, work, bin string, callbacks []string) ([]string, *process, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, nil, err
	}
	p, err := start(ctx, "mock-sgid", work, []string{"MOCK_SGID_ADDR=" + addr, "MOCK_SGID_REDIRECT_URIS=" + strings.Join(callbacks, ",")},
		"http://"+addr+"/v2/.well-known/jwks.json", bin, "mock-sgid")
	if err != nil {
		return nil, nil, err
	}
	env, err := readEnvLines(p.log.Name())
	if err != nil {
		p.stop()
		return nil, nil, err
	}
	return env, p, nil
}

// readEnvLines picks the KEY=VALUE lines the mock prints for its clients.
func readEnvLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var env []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "export "))
		for _, key := range []string{"SGID_HOSTNAME=", "SGID_CLIENT_ID=", "SGID_CLIENT_SECRET=", "SGID_PRIVATE_KEY_FILE="} {
			if strings.HasPrefix(line, key) {
				env = append(env, line)
			}
		}
	}
	if len(env) != 4 {
		return nil, fmt.Errorf("mock-sgid printed %d of the 4 variables a server needs (see %s)", len(env), path)
	}
	return env, nil
}

func measureServer(ctx context.Context, opts options, work, bin, store, addr string, mockEnv []string, transport http.RoundTripper) (report, error) {
	rep := report{name: store}
	var err error
	site := "http://" + addr
	spec := store
	if store == "sqlite" {
		spec = "sqlite:" + filepath.Join(work, "sessions-"+addr[strings.LastIndexByte(addr, ':')+1:]+".db")
	}
	env := append([]string{"ADDR=" + addr, "PUBLIC_URL=" + site, "SESSION_STORE=" + spec, "LOG_FORMAT=json"}, mockEnv...)
	var debugAddr string
	if opts.profileDir != "" {
		if debugAddr, err = freeAddr(); err != nil {
			return rep, err
		}
		env = append(env, "DEBUG_ADDR="+debugAddr)
	}
	srv, err := start(ctx, "sgidweb-"+store, work, env, site+"/readyz", bin)
	if err != nil {
		return rep, err
	}
	defer srv.stop()
	if rep.rssStart, _, err = srv.memory(); err != nil {
		return rep, err
	}

	for _, n := range opts.levels {
		clients := make([]*client, n)
		for i := range clients {
			clients[i] = newClient(site, personas[i%len(personas)], transport)
		}
		r, err := measure(srv, func() result {
			return phase(ctx, n, opts.logins, opts.phaseLimit, func(ctx context.Context, w int) error { return clients[w].login(ctx) })
		})
		if err != nil {
			return rep, err
		}
		r.clients = n
		rep.loginRows = append(rep.loginRows, r)

		// Each client is now logged in: measure its page views.
		r, err = measure(srv, func() result {
			return pageViews(ctx, clients, opts.pages, opts.phaseLimit, `action="/auth/logout"`)
		})
		if err != nil {
			return rep, err
		}
		r.clients = n
		rep.pageRows = append(rep.pageRows, r)
		if rep.page == nil {
			body, _, err := clients[0].do(ctx, http.MethodGet, site+"/", nil, http.StatusOK)
			if err != nil {
				return rep, err
			}
			rep.page = []byte(body)
		}
	}
	if _, rep.rssPeak, err = srv.memory(); err != nil {
		return rep, err
	}
	if opts.profileDir != "" {
		if err := profileServer(ctx, opts, debugAddr, site, store, transport); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

func printReport(out io.Writer, opts options, baseline map[int]row, baseRSS int64, reports []report) {
	fmt.Fprintf(out, "\nmachine: %s, %d CPUs, %s, %s\n", cpuModel(), runtime.NumCPU(), runtime.Version(), time.Now().UTC().Format("2006-01-02"))
	fmt.Fprintf(out, "load: %d logins and %d page views per level, clients %v, on loopback\n\n", opts.logins, opts.pages, opts.levels)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "server\twhat\tclients\tper second\tp50\tp99\tCPU per op\tvs bare Echo\t")
	for _, n := range opts.levels {
		b := baseline[n]
		fmt.Fprintf(tw, "bare Echo\tpage\t%d\t%.0f\t%s\t%s\t%s\t1.00x\t\n", n, b.res.rate(), ms(b.res.p50), ms(b.res.p99), ms(b.cpuPerOp))
	}
	for _, rep := range reports {
		for _, r := range rep.loginRows {
			fmt.Fprintf(tw, "sgidweb %s\tlogin\t%d\t%.0f\t%s\t%s\t%s\t\t\n", rep.name, r.clients, r.res.rate(), ms(r.res.p50), ms(r.res.p99), ms(r.cpuPerOp))
		}
		for _, r := range rep.pageRows {
			fmt.Fprintf(tw, "sgidweb %s\tlogged-in GET /\t%d\t%.0f\t%s\t%s\t%s\t%.2fx\t\n", rep.name, r.clients, r.res.rate(), ms(r.res.p50), ms(r.res.p99), ms(r.cpuPerOp), r.ratio)
		}
	}
	tw.Flush()
	fmt.Fprintf(out, "\nresident memory: bare Echo %s;", mb(baseRSS))
	for _, rep := range reports {
		fmt.Fprintf(out, " sgidweb %s %s at start, %s at peak;", rep.name, mb(rep.rssStart), mb(rep.rssPeak))
	}
	fmt.Fprintln(out)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond)) }
func mb(b int64) string         { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "model name") {
			return strings.TrimSpace(line[strings.IndexByte(line, ':')+1:])
		}
	}
	return "unknown CPU"
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
