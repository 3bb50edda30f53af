package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// profileSeconds is how long each CPU profile runs.
const profileSeconds = 10

// profileServer takes a CPU profile of the server through its DEBUG_ADDR
// listener while 8 clients log in, then another while they view pages.
func profileServer(ctx context.Context, opts options, debugAddr, site, store string, transport http.RoundTripper) error {
	if err := os.MkdirAll(opts.profileDir, 0o755); err != nil {
		return err
	}
	clients := make([]*client, 8)
	for i := range clients {
		clients[i] = newClient(site, persona, transport)
	}
	loads := []struct {
		name string
		op   func(ctx context.Context, c *client) error
	}{
		{"login", func(ctx context.Context, c *client) error { return c.login(ctx) }},
		{"page", func(ctx context.Context, c *client) error {
			_, _, err := c.do(ctx, http.MethodGet, c.site+"/", nil, http.StatusOK)
			return err
		}},
	}
	for _, load := range loads {
		path := filepath.Join(opts.profileDir, fmt.Sprintf("cpu-%s-%s.pprof", store, load.name))
		if err := profileDuring(ctx, debugAddr, path, clients, load.op); err != nil {
			return fmt.Errorf("profile %s: %w", load.name, err)
		}
		fmt.Fprintln(os.Stderr, "wrote", path)
	}
	return nil
}

// profileDuring keeps the clients busy with op until the profile is taken.
func profileDuring(ctx context.Context, debugAddr, path string, clients []*client, op func(context.Context, *client) error) error {
	ctx, cancel := context.WithTimeout(ctx, (profileSeconds+20)*time.Second)
	defer cancel()
	loadCtx, stopLoad := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for loadCtx.Err() == nil {
				_ = op(loadCtx, c)
			}
		}()
	}
	defer func() { stopLoad(); wg.Wait() }()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", debugAddr, profileSeconds), nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("pprof answered %d", res.StatusCode)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
