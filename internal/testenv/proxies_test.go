package testenv

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
)

// listeners returns the local addresses, as the kernel writes them in
// /proc/net/tcp and tcp6 (hex), of the sockets listening on port.
func listeners(t *testing.T, port int) []string {
	t.Helper()
	var out []string
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(table)
		if err != nil {
			Missing(t, table, "Linux's /proc, where this test reads which addresses a server listens on")
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			const listen = "0A"
			if len(f) < 4 || f[3] != listen {
				continue
			}
			addr, hexPort, _ := strings.Cut(f[1], ":")
			if hexPort == fmt.Sprintf("%04X", port) {
				out = append(out, addr)
			}
		}
	}
	return out
}

// Caddy listens on every interface unless told otherwise, whatever address
// the site names; servers in tests listen on 127.0.0.1 only.
func TestCaddyListensOnLoopbackOnly(t *testing.T) {
	port := FreePort(t)
	StartCaddy(t, fmt.Sprintf("http://127.0.0.1:%d {\n\trespond \"ok\"\n}\n", port), port)
	res, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	addrs := listeners(t, port)
	if len(addrs) == 0 {
		t.Fatalf("found no socket listening on port %d", port)
	}
	const loopback = "0100007F" // 127.0.0.1, as /proc/net/tcp writes it
	for _, a := range addrs {
		if a != loopback {
			t.Errorf("Caddy listens on %s (hex, from /proc/net), want 127.0.0.1 only", a)
		}
	}
}
