package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = cli(context.Background(), args, func(string) string { return "" }, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestHelpListsEveryCommandOnOneLine(t *testing.T) {
	for _, word := range []string{"help", "-h", "--help"} {
		code, out, errOut := runCLI(word)
		if code != 0 {
			t.Errorf("sgidweb %s: want exit 0, got %d (%s)", word, code, errOut)
		}
		lines := strings.Split(out, "\n")
		for _, c := range commands {
			n := 0
			for _, l := range lines {
				if f := strings.Fields(l); len(f) > 1 && f[0] == c.name && strings.Contains(l, c.summary) {
					n++
				}
			}
			if n != 1 {
				t.Errorf("sgidweb %s: want one line naming %s with its summary, got %d in:\n%s", word, c.name, n, out)
			}
		}
	}
}

func TestUnknownCommandPointsToHelp(t *testing.T) {
	code, out, errOut := runCLI("serve-please")
	if code == 0 {
		t.Fatal("an unknown command: want a non-zero exit")
	}
	if !strings.Contains(errOut, `unknown command "serve-please"`) || !strings.Contains(errOut, "sgidweb help") {
		t.Errorf("want the unknown command named and sgidweb help suggested, got %q", errOut)
	}
	if out != "" {
		t.Errorf("want nothing on stdout, got %q", out)
	}
}

// Every subcommand parses its own flags: -h prints its usage and exits 0.
func TestEverySubcommandAnswersDashH(t *testing.T) {
	for _, c := range commands {
		code, _, errOut := runCLI(c.name, "-h")
		if code != 0 {
			t.Errorf("sgidweb %s -h: want exit 0, got %d (%s)", c.name, code, errOut)
		}
		if !strings.Contains(errOut, "sgidweb "+c.name) || !strings.Contains(errOut, "-") {
			t.Errorf("sgidweb %s -h: want its usage with flags, got %q", c.name, errOut)
		}
	}
}
