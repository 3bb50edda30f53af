package main

import (
	"context"
	"fmt"
	"io"

	"github.com/sgidweb/sgidweb/internal/app"
	"github.com/sgidweb/sgidweb/internal/doctor"
	"github.com/sgidweb/sgidweb/internal/keys"
	"github.com/sgidweb/sgidweb/internal/session"
)

// command is one subcommand of sgidweb. Every one is built the same way: it
// parses its own flags with a flag.FlagSet (so -h prints its usage and
// returns flag.ErrHelp), reads the environment only through getenv, and
// writes only to stdout and stderr.
type command struct {
	name    string
	summary string // one line for `sgidweb help`
	run     func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error
}

// commands lists every subcommand, in the order `sgidweb help` shows them.
// Adding one is adding a row.
var commands = []command{
	{"doctor", "check the configuration, the keys, sgID and the session store before the first login", doctor.Command},
	{"keygen", "write a new key pair to register with sgID", keys.Command},
	{"mock-sgid", "serve the mock sgID alone, for several sgidweb instances or another app", app.MockServerCommand},
	{"sessions", "count the live sessions, or end every session of one person (sessions -h)", session.Command},
}

// helpWords ask for the list of commands.
var helpWords = map[string]bool{"help": true, "-h": true, "-help": true, "--help": true}

func findCommand(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func printHelp(w io.Writer) {
	fmt.Fprint(w, `sgidweb serves a website that logs people in with sgID.

Usage:
  sgidweb                serve the website, configured by environment variables (see the README)
  sgidweb COMMAND [-h]   run a command; -h after it lists its flags

Commands:
`)
	width := 0
	for _, c := range commands {
		width = max(width, len(c.name))
	}
	for _, c := range commands {
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.name, c.summary)
	}
	fmt.Fprintf(w, "  %-*s  %s\n", width, "help", "show this list")
}
