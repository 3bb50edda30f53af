// Command sgidweb-load measures sgidweb under load on loopback: complete
// logins through a separate `sgidweb mock-sgid` process and logged-in page
// views, at 1 and 8 concurrent clients, next to a bare Echo baseline served
// in the same run so that ratios hold on a noisy machine. It prints a table.
//
// Run it with `task bench:load`. Every loop is bounded in count and
// in time.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

type options struct {
	logins      int           // complete logins per concurrency level
	pages       int           // logged-in page views per concurrency level
	rounds      int           // the page views are split into this many alternating rounds
	levels      []int         // concurrent clients
	phaseLimit  time.Duration // a phase stops at this bound even if unfinished
	stores      []string      // session stores to measure
	keepWorkdir bool
	profileDir  string // when set, CPU profiles of the server under login and page load are saved here
}

// baselineCommand serves the baseline: `sgidweb-load baseline-server ADDR
// PAGE`. The baseline runs as its own process so its CPU is measured the
// same way as the server's. It returns the exit code.
func baselineCommand(args []string) int {
	if len(args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: sgidweb-load baseline-server ADDR PAGE")
		return 2
	}
	if err := serveBaseline(args[0], args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "sgidweb-load baseline:", err)
		return 1
	}
	return 0
}

// pagesPerRound splits the page views into the rounds, at least one each.
func (o options) pagesPerRound() int { return max(1, o.pages/o.rounds) }

func main() {
	if len(os.Args) > 1 && os.Args[1] == "baseline-server" {
		os.Exit(baselineCommand(os.Args[2:]))
	}
	opts := options{levels: []int{1, 8}}
	flag.IntVar(&opts.logins, "logins", 400, "complete logins per concurrency level")
	flag.IntVar(&opts.pages, "pages", 20000, "logged-in page views per concurrency level")
	flag.IntVar(&opts.rounds, "rounds", 5, "alternating rounds the page views are split into (ratios are the median round's)")
	flag.DurationVar(&opts.phaseLimit, "phase-limit", 60*time.Second, "upper bound on each phase")
	stores := flag.String("stores", "memory,sqlite", "session stores to measure, comma separated (memory, sqlite)")
	flag.BoolVar(&opts.keepWorkdir, "keep", false, "keep the working folder (binaries, logs) for inspection")
	flag.StringVar(&opts.profileDir, "profile", "", "save 10-second CPU profiles of each server under login and page load into this folder (read with go tool pprof)")
	flag.Parse()
	opts.stores = splitList(*stores)
	if opts.logins < 1 || opts.pages < 1 || opts.rounds < 1 || len(opts.stores) == 0 {
		fmt.Fprintln(os.Stderr, "sgidweb-load: -logins, -pages and -rounds must be at least 1, and -stores must name a store")
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, opts, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "sgidweb-load:", err)
		os.Exit(1)
	}
}
