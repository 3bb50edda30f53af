package web

import (
	"strconv"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/sgidweb/sgidweb/internal/testkit"
)

// The limiter's memory is bounded: a bucket unused until it would be full
// again is forgotten, and however many addresses arrive at once, no more
// than maxClients are kept.
func TestRateStoreForgetsIdleClientsAndStaysBounded(t *testing.T) {
	clock := testkit.NewClock(time.Now())
	s := newRateStore(rate.Limit(10.0/60), 10, 100, clock.Now)
	for i := range 50 {
		s.Allow("192.0.2." + strconv.Itoa(i))
	}
	if n := s.clients(); n != 50 {
		t.Fatalf("want 50 clients remembered, got %d", n)
	}
	clock.Advance(time.Minute) // 10 tokens at 10 a minute: every bucket is full again
	s.Allow("198.51.100.1")
	if n := s.clients(); n != 1 {
		t.Errorf("after a minute unused: want only the new client remembered, got %d", n)
	}
	for i := range 1000 {
		s.Allow("203.0.113." + strconv.Itoa(i))
		if n := s.clients(); n > 100 {
			t.Fatalf("after %d new addresses: %d clients remembered, want at most 100", i+1, n)
		}
	}
}
