package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/sgidweb/sgidweb/internal/testenv"
)

// The real binary, stopped the way an orchestrator stops it, exits 0.
func TestSIGTERMExitsZero(t *testing.T) {
	goTool := testenv.LookPath(t, "go", "install Go from https://go.dev/dl")
	dir := t.TempDir()
	bin := filepath.Join(dir, "sgidweb")
	build := exec.Command(goTool, "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	cmd.Dir = dir // no .env from the source tree
	cmd.Env = append(os.Environ(), "ADDR=127.0.0.1:0", "SESSION_STORE=sqlite:"+filepath.Join(dir, "sessions.db"),
		"LOG_FORMAT=json", "METRICS_ADDR=127.0.0.1:0", "SGID_CLIENT_ID=", "SGID_CLIENT_SECRET=", "SGID_PRIVATE_KEY=", "SGID_PRIVATE_KEY_FILE=", "SGID_HOSTNAME=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	lines := bufio.NewScanner(stderr)
	var addr string
	var messages []string
	for lines.Scan() {
		var l struct{ Msg, Addr string }
		if json.Unmarshal(lines.Bytes(), &l) != nil {
			t.Fatalf("log line is not JSON: %s", lines.Text())
		}
		messages = append(messages, l.Msg)
		if l.Msg == "serving" {
			addr = l.Addr
			break
		}
	}
	if addr == "" {
		t.Fatalf("the server never said where it serves; logged %v", messages)
	}
	res, err := http.Get("http://" + addr + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("healthz before SIGTERM: %v %v", res, err)
	}
	res.Body.Close()

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for lines.Scan() {
		var l struct{ Msg string }
		_ = json.Unmarshal(lines.Bytes(), &l)
		messages = append(messages, l.Msg)
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		t.Fatalf("after SIGTERM: want exit code 0, got %d; logged %v", exit.ExitCode(), messages)
	}
	if err != nil {
		t.Fatal(err)
	}
	if messages[len(messages)-1] != "shutting down" {
		t.Errorf("want the last log line to be the shutdown, got %v", messages)
	}
	// Access lines are written in batches; the one for /healthz must not
	// be lost when the server stops.
	if !slices.Contains(messages, "request") {
		t.Errorf("the access line for /healthz is missing; logged %v", messages)
	}
}
