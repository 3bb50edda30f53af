// Command sgidweb serves a website that logs people in with sgID.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/joho/godotenv"

	"github.com/sgidweb/sgidweb/internal/app"
	"github.com/sgidweb/sgidweb/internal/config"
	"github.com/sgidweb/sgidweb/internal/logging"
)

// gcPercent is the garbage collector's target when GOGC is not set. The
// live heap is small (a few MB), so Go's default of 100 collects very often;
// profiles under load showed a tenth of the CPU in the collector. 400 keeps
// the peak resident set well under the 60 MB budget (see the README).
const gcPercent = 400

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	// A .env file may set variables in development; the real environment wins.
	if err := godotenv.Load(); err != nil && !os.IsNotExist(err) {
		fmt.Fprintln(os.Stderr, "sgidweb: read .env:", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// cli runs sgidweb with args and returns the exit code: 0 when it did what
// was asked (-h included), 1 with the error on stderr otherwise.
func cli(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	err := run(ctx, args, getenv, stdout, stderr)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0 // -h: the command printed its usage, as asked
	}
	fmt.Fprintln(stderr, "sgidweb:", err)
	return 1
}

// run serves with no arguments, or runs the subcommand args name.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return serve(ctx, getenv, stderr)
	}
	if helpWords[args[0]] {
		printHelp(stdout)
		return nil
	}
	c, ok := findCommand(args[0])
	if !ok {
		return fmt.Errorf("unknown command %q; run `sgidweb help` to list the commands, or sgidweb alone to serve", args[0])
	}
	return c.run(ctx, args[1:], getenv, stdout, stderr)
}

// serve runs the website until ctx ends.
func serve(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	// Access lines are written in batches; every other line at once, after
	// the access lines before it.
	out := logging.NewWriter(stderr, logging.FlushEvery)
	defer out.Close()
	return app.Run(ctx, cfg, newLogger(cfg, out), app.WithAccessLog(newLogger(cfg, out.Batched())))
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
