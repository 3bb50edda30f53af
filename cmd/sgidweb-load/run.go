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
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// report is everything the table shows for one server configuration.
type report struct {
	name                string
	store               string // the session store, for file names
	proc                *process
	site                string
	debugAddr           string
	loginRows, pageRows []row
	rssStart, rssPeak   int64
	clients             map[int][]*client // logged in, per number of clients
}

type row struct {
	clients  int
	res      result
	cpu      time.Duration // the process's CPU time over the phase
	cpuPerOp time.Duration
	// Page rate over the baseline's at the same clients: the median of the
	// rounds' ratios, and their lowest and highest.
	ratio, ratioLow, ratioHigh float64
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

	reports := make([]*report, len(opts.stores))
	for i, store := range opts.stores {
		rep, err := startServer(ctx, opts, work, bin, store, addrs[i], mockEnv)
		if err != nil {
			return fmt.Errorf("store %s: %w", store, err)
		}
		defer rep.proc.stop()
		reports[i] = rep
	}

	// The baseline: a bare Echo handler in its own process, started once a
	// server has shown a logged-in page.
	baseline := &report{name: "bare Echo", clients: map[int][]*client{}}
	for _, n := range opts.levels {
		for _, rep := range reports {
			if err := measureLogins(ctx, opts, rep, n, transport); err != nil {
				return fmt.Errorf("store %s: %w", rep.name, err)
			}
		}
		if baseline.proc == nil {
			if err := startBaseline(ctx, work, self, baseline, reports[0], reports[0].clients[n][0]); err != nil {
				return err
			}
			defer baseline.proc.stop()
		}
		baseline.clients[n] = make([]*client, n)
		for i := range baseline.clients[n] {
			baseline.clients[n][i] = newClient(baseline.site, "", transport)
		}
		if err := measurePages(ctx, opts, n, baseline, reports); err != nil {
			return err
		}
	}
	if baseline.rssPeak, _, err = baseline.proc.memory(); err != nil {
		return err
	}
	for _, rep := range reports {
		if _, rep.rssPeak, err = rep.proc.memory(); err != nil {
			return err
		}
		if opts.profileDir != "" {
			if err := profileServer(ctx, opts, rep.debugAddr, rep.site, rep.store, transport); err != nil {
				return err
			}
		}
	}
	printReport(out, opts, baseline, reports)
	return nil
}

// startBaseline starts the bare Echo server with the very bytes of a
// logged-in page of from (fetched by c, logged in there), so the two
// differ only in the work done.
func startBaseline(ctx context.Context, work, self string, baseline, from *report, c *client) error {
	body, _, err := c.do(ctx, http.MethodGet, from.site+"/", nil, http.StatusOK)
	if err != nil {
		return err
	}
	page := filepath.Join(work, "baseline.html")
	if err := os.WriteFile(page, []byte(body), 0o600); err != nil {
		return err
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	baseline.site = "http://" + addr
	baseline.proc, err = start(ctx, "baseline", work, nil, baseline.site+"/readyz", self, "baseline-server", addr, page)
	return err
}

// measurePages measures logged-in page views at n clients on the baseline
// and every server. The machine is shared and its speed drifts, so the
// page views are split into rounds that take turns (the order rotating each
// round) and each round's rate is compared with the baseline's in the same
// round: a slow minute then slows both sides of a ratio.
func measurePages(ctx context.Context, opts options, n int, baseline *report, reports []*report) error {
	targets := append([]*report{baseline}, reports...)
	rounds := make([][]row, len(targets))
	perRound := opts.pagesPerRound()
	for round := range opts.rounds {
		for k := range targets {
			i := (k + round) % len(targets)
			t := targets[i]
			marker := `action="/auth/logout"`
			r, err := measure(t.proc, func() result {
				return pageViews(ctx, t.clients[n], perRound, opts.phaseLimit, marker)
			})
			if err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			rounds[i] = append(rounds[i], r)
		}
	}
	for i, t := range targets {
		r := combine(rounds[i])
		r.clients = n
		if i > 0 {
			var ratios []float64
			for round := range opts.rounds {
				// A round in which the baseline finished nothing (cut
				// short by -phase-limit) has no ratio to offer.
				if b := rounds[0][round].res.rate(); b > 0 {
					ratios = append(ratios, rounds[i][round].res.rate()/b)
				}
			}
			if len(ratios) > 0 {
				sort.Float64s(ratios)
				r.ratio, r.ratioLow, r.ratioHigh = median(ratios), ratios[0], ratios[len(ratios)-1]
			}
		}
		t.pageRows = append(t.pageRows, r)
	}
	return nil
}

// median of sorted values.
func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// combine adds up the rounds of one target.
func combine(rounds []row) row {
	var r row
	var lat []time.Duration
	for _, x := range rounds {
		r.res.elapsed += x.res.elapsed
		r.cpu += x.cpu
		lat = append(lat, x.res.latency...)
	}
	r.res.setLatencies(lat)
	if r.res.done > 0 {
		r.cpuPerOp = r.cpu / time.Duration(r.res.done)
	}
	return r
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
	r := row{res: res, cpu: after - before}
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

// startServer starts sgidweb with one session store against the mock.
func startServer(ctx context.Context, opts options, work, bin, store, addr string, mockEnv []string) (*report, error) {
	rep := &report{name: "sgidweb " + store, store: store, site: "http://" + addr, clients: map[int][]*client{}}
	spec := store
	if store == "sqlite" {
		spec = "sqlite:" + filepath.Join(work, "sessions-"+addr[strings.LastIndexByte(addr, ':')+1:]+".db")
	}
	// SHUTDOWN_DELAY=0: no load balancer waits for a drain between runs.
	// RATE_LIMIT_LOGIN=0: every simulated person logs in from this
	// machine's one address, and the per-address login limit would
	// measure itself, not the server.
	env := append([]string{"ADDR=" + addr, "PUBLIC_URL=" + rep.site, "SESSION_STORE=" + spec, "LOG_FORMAT=json", "SHUTDOWN_DELAY=0", "RATE_LIMIT_LOGIN=0"}, mockEnv...)
	if opts.profileDir != "" {
		var err error
		if rep.debugAddr, err = freeAddr(); err != nil {
			return nil, err
		}
		env = append(env, "DEBUG_ADDR="+rep.debugAddr)
	}
	var err error
	if rep.proc, err = start(ctx, "sgidweb-"+store, work, env, rep.site+"/readyz", bin); err != nil {
		return nil, err
	}
	if rep.rssStart, _, err = rep.proc.memory(); err != nil {
		rep.proc.stop()
		return nil, err
	}
	return rep, nil
}

// measureLogins has n clients log in, opts.logins times in all, and
// keeps them logged in for the page views.
func measureLogins(ctx context.Context, opts options, rep *report, n int, transport http.RoundTripper) error {
	clients := make([]*client, n)
	for i := range clients {
		clients[i] = newClient(rep.site, persona, transport)
	}
	r, err := measure(rep.proc, func() result {
		return phase(ctx, n, opts.logins, opts.phaseLimit, func(ctx context.Context, w int) error { return clients[w].login(ctx) })
	})
	if err != nil {
		return err
	}
	r.clients = n
	rep.loginRows = append(rep.loginRows, r)
	rep.clients[n] = clients
	return nil
}

func printReport(out io.Writer, opts options, baseline *report, reports []*report) {
	fmt.Fprintf(out, "\nmachine: %s, %d CPUs, %s, %s\n", cpuModel(), runtime.NumCPU(), runtime.Version(), time.Now().UTC().Format("2006-01-02"))
	fmt.Fprintf(out, "load: %d logins and %d page views per level (pages in %d alternating rounds), clients %v, on loopback\n\n",
		opts.logins, opts.pagesPerRound()*opts.rounds, opts.rounds, opts.levels)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "server\twhat\tclients\tper second\tp50\tp99\tCPU per op\tvs bare Echo (rounds)\t")
	for _, r := range baseline.pageRows {
		fmt.Fprintf(tw, "%s\tpage\t%d\t%.0f\t%s\t%s\t%s\t1.00x\t\n", baseline.name, r.clients, r.res.rate(), ms(r.res.p50), ms(r.res.p99), ms(r.cpuPerOp))
	}
	for _, rep := range reports {
		for _, r := range rep.loginRows {
			fmt.Fprintf(tw, "%s\tlogin\t%d\t%.0f\t%s\t%s\t%s\t\t\n", rep.name, r.clients, r.res.rate(), ms(r.res.p50), ms(r.res.p99), ms(r.cpuPerOp))
		}
		for _, r := range rep.pageRows {
			fmt.Fprintf(tw, "%s\tlogged-in GET /\t%d\t%.0f\t%s\t%s\t%s\t%.2fx (%.2f-%.2f)\t\n", rep.name, r.clients, r.res.rate(), ms(r.res.p50), ms(r.res.p99), ms(r.cpuPerOp),
				r.ratio, r.ratioLow, r.ratioHigh)
		}
	}
	tw.Flush()
	fmt.Fprintf(out, "\nresident memory: bare Echo %s;", mb(baseline.rssPeak))
	for _, rep := range reports {
		fmt.Fprintf(out, " %s %s at start, %s at peak;", rep.name, mb(rep.rssStart), mb(rep.rssPeak))
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
