package config_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/sgidweb/sgidweb/internal/testenv"
)

// Config is read by every command, doctor and the tests of most packages:
// it must not drag the session stores' database drivers in with it. It
// checks SESSION_STORE with the driver-free parser in
// internal/session/store/spec; opening the store is package store's job.
func TestConfigCompilesNoDatabaseDriver(t *testing.T) {
	goTool := testenv.LookPath(t, "go", "install Go from https://go.dev/dl")
	out, err := exec.Command(goTool, "list", "-deps", "github.com/sgidweb/sgidweb/internal/config").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	drivers := []string{"modernc.org/sqlite", "github.com/jackc/pgx", "github.com/gomodule/redigo"}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "github.com/sgidweb/sgidweb/internal/session/store" {
			t.Errorf("internal/config depends on %s, which links in every store's driver; check SESSION_STORE with internal/session/store/spec", pkg)
		}
		for _, d := range drivers {
			if strings.HasPrefix(pkg, d) {
				t.Errorf("internal/config depends on %s; check SESSION_STORE with internal/session/store/spec and leave opening it to internal/session/store", pkg)
			}
		}
	}
}
