// Package testkit is the support every test shares: a clock the test sets,
// and a browser that keeps cookies. It imports nothing from this module, so
// the tests of any package (internal/sgid's included) can use it without
// an import cycle.
package testkit

import (
	"sync"
	"time"
)

// Clock is a time source a test moves by hand; its Now goes where the code
// under test takes a func() time.Time. It is safe for concurrent use,
// because servers under test read it from their own goroutines.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts a clock at start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
