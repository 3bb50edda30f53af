package session

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/sgidweb/sgidweb/internal/config"
	"github.com/sgidweb/sgidweb/internal/session/store"
	storespec "github.com/sgidweb/sgidweb/internal/session/store/spec"
)

// commandUsage is what `sgidweb sessions` and `sgidweb sessions -h` print.
const commandUsage = `Usage:
  sgidweb sessions count                      print how many sessions are live, and how many are logged in
  sgidweb sessions revoke -subject-hash HASH  end every session of one person, on every instance

Both act on the store SESSION_STORE names (default ` + config.DefaultSessionStore + `).
HASH is the subject_hash of the person's audit lines (login_succeeded, logout).
`

// Command runs `sgidweb sessions count` and `sgidweb sessions revoke`.
func Command(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, commandUsage)
		if len(args) == 0 {
			return errors.New("sessions: say count or revoke")
		}
		return flag.ErrHelp
	}
	spec := strings.TrimSpace(getenv("SESSION_STORE"))
	if spec == "" {
		spec = config.DefaultSessionStore
	}
	switch args[0] {
	case "count":
		return countCommand(ctx, spec, args[1:], stdout, stderr)
	case "revoke":
		return revokeCommand(ctx, spec, args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, commandUsage)
	return fmt.Errorf("sessions: unknown subcommand %q (count or revoke)", args[0])
}

func countCommand(ctx context.Context, spec string, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sgidweb sessions count", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("sessions count: unexpected argument %q", fs.Arg(0))
	}
	st, _, err := store.OpenForCommand(ctx, spec)
	if err != nil {
		return err
	}
	defer st.Close()
	counts, err := st.Count(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s in %s, %d of them logged in\n", plural(counts.Sessions, "live session"), storespec.Kind(spec), counts.LoggedIn)
	return nil
}

func revokeCommand(ctx context.Context, spec string, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sgidweb sessions revoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	hash := fs.String("subject-hash", "", "the subject_hash of the person's audit lines (64 hex digits)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("sessions revoke: unexpected argument %q", fs.Arg(0))
	}
	subject := strings.ToLower(strings.TrimSpace(*hash))
	if b, err := hex.DecodeString(subject); err != nil || len(b) != 32 {
		return errors.New("sessions revoke: -subject-hash must be the 64 hex digits audit lines carry as subject_hash")
	}
	st, beside, err := store.OpenForCommand(ctx, spec)
	if err != nil {
		return err
	}
	defer st.Close()
	if beside {
		fmt.Fprintln(stderr, "a running server owns the SQLite file; ending the sessions beside it (it notices within a second)")
	}
	n, err := st.Revoke(ctx, subject, "")
	if err != nil {
		return fmt.Errorf("sessions revoke: ended %d sessions, then: %w", n, err)
	}
	switch n {
	case 0:
		fmt.Fprintln(stdout, "no live session of that person; nothing ended")
	case 1:
		fmt.Fprintln(stdout, "ended 1 session")
	default:
		fmt.Fprintf(stdout, "ended %d sessions\n", n)
	}
	return nil
}

// plural is "1 live session" or "3 live sessions".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
