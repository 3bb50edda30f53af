package main

import (
	"bytes"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sgidweb/sgidweb/internal/testenv"
)

// The load test starts its baseline server as a child process of itself;
// under `go test` that process is this test binary.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "baseline-server" {
		os.Exit(baselineCommand(os.Args[2:]))
	}
	os.Exit(m.Run())
}

// A tiny run of the whole tool: it builds the binary, starts the mock, a
// server per store and the baseline, logs in, views pages and prints the
// table. It proves `task bench:load` works on a fresh clone; the
// numbers of so short a run mean nothing and are not checked.
func TestLoadTestPrintsTheTable(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the tiny load test starts five processes")
	}
	testenv.LookPath(t, "go", "install Go from https://go.dev/dl")
	t.Chdir(testenv.ModuleRoot())
	opts := options{logins: 3, pages: 60, rounds: 3, levels: []int{1, 2}, stores: []string{"memory", "sqlite"}, phaseLimit: time.Minute}
	var out bytes.Buffer
	if err := run(t.Context(), opts, &out); err != nil {
		t.Fatalf("load test failed: %v\n%s", err, out.String())
	}
	table := out.String()
	t.Log(table)
	for _, want := range []string{"machine: ", "resident memory: bare Echo", "sgidweb memory ", "sgidweb sqlite "} {
		if !strings.Contains(table, want) {
			t.Errorf("output lacks %q:\n%s", want, table)
		}
	}
	row := func(server, what string, clients int) *regexp.Regexp {
		return regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(server) + `\s+` + regexp.QuoteMeta(what) + `\s+` + strconv.Itoa(clients) + `\s+\d+\s+[\d.]+ ms\s+[\d.]+ ms\s+[\d.]+ ms`)
	}
	for _, clients := range opts.levels {
		checks := []*regexp.Regexp{row("bare Echo", "page", clients)}
		for _, store := range opts.stores {
			checks = append(checks, row("sgidweb "+store, "login", clients),
				regexp.MustCompile(row("sgidweb "+store, "logged-in GET /", clients).String()+`\s+\d+\.\d\dx \(\d+\.\d\d-\d+\.\d\d\)`))
		}
		for _, re := range checks {
			if !re.MatchString(table) {
				t.Errorf("no row matching %s in:\n%s", re, table)
			}
		}
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{[]float64{0.5}, 0.5}, {[]float64{0.4, 0.6, 0.9}, 0.6}, {[]float64{0.4, 0.5, 0.7, 0.9}, 0.6}} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

// Rounds add up: operations, time and CPU, and the percentiles come from
// every round's latencies together.
func TestCombineAddsUpRounds(t *testing.T) {
	ms := time.Millisecond
	var a, b row
	a.res.setLatencies([]time.Duration{1 * ms, 2 * ms})
	a.res.elapsed, a.cpu = time.Second, 100*ms
	b.res.setLatencies([]time.Duration{3 * ms, 4 * ms, 100 * ms})
	b.res.elapsed, b.cpu = time.Second, 150*ms
	got := combine([]row{a, b})
	if got.res.done != 5 || got.res.elapsed != 2*time.Second || got.cpu != 250*ms {
		t.Errorf("combined: done %d, elapsed %v, cpu %v", got.res.done, got.res.elapsed, got.cpu)
	}
	if got.cpuPerOp != 50*ms {
		t.Errorf("CPU per op %v, want 50ms", got.cpuPerOp)
	}
	if got.res.p50 != 3*ms || got.res.p99 != 100*ms {
		t.Errorf("p50 %v, p99 %v: want 3ms and 100ms", got.res.p50, got.res.p99)
	}
	if r := got.res.rate(); r != 2.5 {
		t.Errorf("rate %v, want 2.5 per second", r)
	}
}
