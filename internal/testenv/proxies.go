package testenv

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Example returns a proxy config shipped in cmd/sgidweb/examples with each
// {{NAME}} placeholder replaced from vars, so the tests run the very file
// people copy. A placeholder without a value fails the test.
func Example(t testing.TB, name string, vars map[string]string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ModuleRoot(), "cmd", "sgidweb", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for k, v := range vars {
		text = strings.ReplaceAll(text, "{{"+k+"}}", v)
	}
	if left := regexp.MustCompile(`\{\{[A-Z_]+\}\}`).FindString(text); left != "" {
		t.Fatalf("%s: no value for %s", name, left)
	}
	return text
}

// lookSbin finds a program that Debian installs in /usr/sbin, which is not
// on every user's PATH.
func lookSbin(t testing.TB, program, howToGet string) string {
	t.Helper()
	if p, err := exec.LookPath(program); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/sbin"} {
		if p := filepath.Join(dir, program); isExecutable(p) {
			return p
		}
	}
	Missing(t, program, howToGet)
	return ""
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// Process is a server a test started; it is stopped by its PID when the
// test ends.
type Process struct {
	cmd *exec.Cmd
	log string
}

// Log returns what the server logged so far.
func (p *Process) Log() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// startProcess runs cmd with its output in logFile and waits until port
// accepts connections on 127.0.0.1.
func startProcess(t testing.TB, cmd *exec.Cmd, logFile string, port int) *Process {
	t.Helper()
	log, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	p := &Process{cmd: cmd, log: logFile}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for range 200 {
		select {
		case err := <-exited:
			exited <- err // for the cleanup
			t.Fatalf("%s exited at start (%v):\n%s", filepath.Base(cmd.Path), err, p.Log())
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return p
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s does not answer on %s after ten seconds:\n%s", filepath.Base(cmd.Path), addr, p.Log())
	return nil
}

// StartNginx runs nginx with site (text for its http block, such as the
// example) in the foreground, with every file it writes in a temporary
// folder, and waits until it answers on port.
func StartNginx(t testing.TB, site string, port int) *Process {
	t.Helper()
	bin := lookSbin(t, "nginx", "apt-get install nginx, or `task deps:system`")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "site.conf"), []byte(site), 0o600); err != nil {
		t.Fatal(err)
	}
	user := ""
	if os.Geteuid() == 0 {
		// Workers would otherwise drop to nobody, who cannot reach the
		// test's private temporary folder.
		user = "user root;\n"
	}
	main := user + fmt.Sprintf(`worker_processes 1;
daemon off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
events { worker_connections 128; }
http {
    access_log %[1]s/access.log;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    include %[1]s/site.conf;
}
`, dir)
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(main), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", conf, "-e", filepath.Join(dir, "error.log"))
	return startProcess(t, cmd, filepath.Join(dir, "error.log"), port)
}

// StartCaddy runs Caddy with site (a Caddyfile, such as the example), its
// admin endpoint off, listening on 127.0.0.1 only and its data in a
// temporary folder, and waits until it answers on port.
func StartCaddy(t testing.TB, site string, port int) *Process {
	t.Helper()
	bin := lookSbin(t, "caddy", "apt-get install caddy, or `task deps:system`")
	dir := t.TempDir()
	sitePath := filepath.Join(dir, "site.Caddyfile")
	if err := os.WriteFile(sitePath, []byte(site), 0o600); err != nil {
		t.Fatal(err)
	}
	// admin off: parallel tests would fight over port 2019. default_bind:
	// Caddy listens on every interface whatever address the site names.
	main := "{\n\tadmin off\n\tdefault_bind 127.0.0.1\n}\n\nimport " + sitePath + "\n"
	conf := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(conf, []byte(main), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "--config", conf, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	return startProcess(t, cmd, filepath.Join(dir, "caddy.log"), port)
}
