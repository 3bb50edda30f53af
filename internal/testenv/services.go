package testenv

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// PostgresBin is where Debian's postgresql package puts PostgreSQL 15.
const PostgresBin = "/usr/lib/postgresql/15/bin"

// Service is a store server a test started on loopback, with its own port
// and data folder. Stop and Start make an outage; cleanup stops it by PID.
type Service struct {
	// URL is the SESSION_STORE value that reaches it.
	URL   string
	t     testing.TB
	start func() error
	stop  func() error
	up    bool
}

// Stop stops the server and waits until it has exited.
func (s *Service) Stop() {
	s.t.Helper()
	if !s.up {
		return
	}
	if err := s.stop(); err != nil {
		s.t.Fatalf("stop store: %v", err)
	}
	s.up = false
}

// Start starts the server again on the same port and data, and waits until
// it answers.
func (s *Service) Start() {
	s.t.Helper()
	if s.up {
		return
	}
	if err := s.start(); err != nil {
		s.t.Fatalf("start store: %v", err)
	}
	s.up = true
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// StartRedis starts redis-server without persistence on a free loopback
// port, or skips (fails in CI) when it is not installed.
func StartRedis(t testing.TB) *Service {
	t.Helper()
	bin := LookPath(t, "redis-server", "apt-get install redis-server")
	port := FreePort(t)
	dir := t.TempDir()
	var cmd *exec.Cmd
	s := &Service{URL: fmt.Sprintf("redis://127.0.0.1:%d/0", port), t: t}
	s.start = func() error {
		cmd = exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", dir)
		log, err := os.Create(filepath.Join(dir, "redis.log"))
		if err != nil {
			return err
		}
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			return err
		}
		return waitFor(func() error { return redisPing(port) }, dir+"/redis.log")
	}
	s.stop = func() error {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		return nil
	}
	s.Start()
	t.Cleanup(func() {
		if s.up {
			_ = s.stop()
		}
	})
	return s
}

func redisPing(port int) error {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("redis answered %q", line)
	}
	return nil
}

// waitFor polls ready for up to ten seconds; the log file is quoted when the
// server never comes up.
func waitFor(ready func() error, logFile string) error {
	var err error
	for range 200 {
		if err = ready(); err == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	out, _ := os.ReadFile(logFile)
	return fmt.Errorf("not ready: %v\n%s", err, out)
}

// runuser finds runuser(1) even when sbin is not on PATH.
func runuser() string {
	if p, err := exec.LookPath("runuser"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/runuser", "/sbin/runuser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "runuser"
}

// StartPostgres initialises a fresh PostgreSQL 15 cluster in a temporary
// folder and starts it on a free loopback port with trust authentication.
// As root it runs the binaries as the postgres user, as they demand.
func StartPostgres(t testing.TB) *Service {
	t.Helper()
	if _, err := os.Stat(filepath.Join(PostgresBin, "postgres")); err != nil {
		Missing(t, PostgresBin+"/postgres", "apt-get install postgresql")
	}
	port := FreePort(t)
	base := t.TempDir()
	dir := filepath.Join(base, "pgdata")
	run := func(name string, args ...string) *exec.Cmd {
		bin := filepath.Join(PostgresBin, name)
		if os.Geteuid() == 0 {
			return exec.Command(runuser(), append([]string{"-u", "postgres", "--", bin}, args...)...)
		}
		return exec.Command(bin, args...)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			Missing(t, "the postgres user", "apt-get install postgresql")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		// The postgres user must be able to reach its folder through the
		// test's private temporary folders.
		for d := base; d != os.TempDir() && d != "/" && strings.HasPrefix(d, os.TempDir()); d = filepath.Dir(d) {
			if err := os.Chmod(d, 0o711); err != nil {
				t.Fatal(err)
			}
		}
	}
	if out, err := run("initdb", "-D", dir, "-A", "trust", "-U", "postgres", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	s := &Service{URL: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port), t: t}
	s.start = func() error {
		opts := fmt.Sprintf("-k %s -p %d -c listen_addresses=127.0.0.1 -c fsync=off", dir, port)
		if out, err := run("pg_ctl", "-D", dir, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "start").CombinedOutput(); err != nil {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			return fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, log)
		}
		return nil
	}
	s.stop = func() error {
		if out, err := run("pg_ctl", "-D", dir, "-m", "fast", "-w", "stop").CombinedOutput(); err != nil {
			return fmt.Errorf("pg_ctl stop: %v\n%s", err, out)
		}
		return nil
	}
	s.Start()
	t.Cleanup(func() {
		if s.up {
			_ = s.stop()
		}
	})
	return s
}
