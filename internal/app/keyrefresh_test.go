package app

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/sgidweb/sgidweb/internal/sgid"
)

// keepSGIDKeysFresh refreshes once at start, once per tick, logs a failed
// refresh with its reason, and returns when its context ends.
func TestKeepSGIDKeysFreshRefreshesAtStartAndOnEveryTick(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := make(chan struct{})
	fail := make(chan bool, 1)
	refresh := func(context.Context) error {
		calls <- struct{}{}
		if <-fail {
			return &sgid.Error{Reason: sgid.ReasonKeysUnavailable, Err: errors.New("fetch JWKS: status 503")}
		}
		return nil
	}
	ticks := make(chan time.Time)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	done := make(chan struct{})
	go func() {
		defer close(done)
		keepSGIDKeysFresh(ctx, refresh, ticks, log)
	}()

	fail <- false
	select {
	case <-calls:
	case ticks <- time.Now():
		t.Fatal("the loop waited for a tick before its first refresh")
	}
	// The second tick's refresh fails; the third tick is taken only once the
	// loop waits again, so the warning is written by then.
	for i := range 3 {
		ticks <- time.Now()
		fail <- i == 1
		<-calls
	}
	cancel()
	<-done
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 || !strings.Contains(logs.String(), "reason=keys_unavailable") {
		t.Errorf("want one warning naming keys_unavailable for the one failed refresh, got:\n%s", logs.String())
	}
}
