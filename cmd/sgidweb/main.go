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
	"github.com/sgidweb/sgidweb/internal/doctor"
	"github.com/sgidweb/sgidweb/internal/keys"
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
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return // -h: the command printed its usage, as asked
		}
		fmt.Fprintln(os.Stderr, "sgidweb:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(args) > 0 && args[0] == "mock-sgid" {
		cfg, err := app.ParseMockServerArgs(args[1:], os.Getenv, os.Stderr)
		if err != nil {
			return err
		}
		return app.RunMockServer(ctx, cfg, os.Stdout, slog.New(slog.NewTextHandler(os.Stderr, nil)))
	}
	if len(args) > 0 {
		switch args[0] {
		case "keygen":
			return keys.Command(args[1:], os.Stdout, os.Stderr)
		case "doctor":
			return doctor.Command(ctx, args[1:], os.Getenv, os.Stdout, os.Stderr)
		}
		return fmt.Errorf("unknown command %q; run sgidweb with no arguments to serve", args[0])
	}
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		return err
	}
	// Access lines are written in batches; every other line at once, after
	// the access lines before it.
	out := logging.NewWriter(os.Stderr, logging.FlushEvery)
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
