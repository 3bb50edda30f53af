package web

import (
	"errors"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"
)

// errRateLimited is the page for a client over its limit.
var errRateLimited = &pageError{status: http.StatusTooManyRequests, reason: "rate_limited", title: "Too many attempts",
	message: "There have been many logins from your network in a short while. Please wait a minute and try again."}

// maxLimitedClients bounds the client addresses one limit remembers (about
// 200 bytes each): a flood from more addresses than this costs no more
// memory, only the forgetting of some of them.
const maxLimitedClients = 50_000

// perMinuteLimit is Echo's rate limiter allowing perMinute requests a
// minute from each client address, all at once or spread out, with a 429
// page that says when to come back. The address is the one the access log
// shows (Echo's IPExtractor, set from TRUSTED_PROXIES), so a client cannot
// pick its own with X-Forwarded-For unless it is a trusted proxy.
func (s *Server) perMinuteLimit(perMinute int) echo.MiddlewareFunc {
	store := newRateStore(rate.Limit(float64(perMinute)/60), perMinute, maxLimitedClients, s.now)
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store:               store,
		IdentifierExtractor: func(c echo.Context) (string, error) { return clientKey(c.RealIP()), nil },
		DenyHandler: func(c echo.Context, _ string, err error) error {
			var limited *limitedError
			if errors.As(err, &limited) {
				c.Response().Header().Set("Retry-After", strconv.Itoa(limited.retryAfterSeconds()))
			}
			return errRateLimited
		},
	})
}

// clientKey is the limit's key for a client address. An IPv6 client
// usually holds a whole /64, so the /64 is one client; otherwise changing
// the last bits of its address would give it a fresh limit each time.
func clientKey(addr string) string {
	ip := net.ParseIP(addr)
	if ip == nil || ip.To4() != nil {
		return addr
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// rateStore is a token bucket per client, in memory, on the server's
// clock. Echo's own memory store reads the wall clock and grows with every
// new address until its next sweep; this one is bounded in time (a bucket
// unused for as long as it takes to fill up again is forgotten, since a new
// one would be the same) and in size (maxClients).
type rateStore struct {
	mu         sync.Mutex
	limit      rate.Limit
	burst      int
	idle       time.Duration
	maxClients int
	now        func() time.Time
	buckets    map[string]*bucket
	lastSweep  time.Time
}

type bucket struct {
	tokens *rate.Limiter
	seen   time.Time
}

func newRateStore(limit rate.Limit, burst, maxClients int, now func() time.Time) *rateStore {
	idle := time.Duration(float64(burst) / float64(limit) * float64(time.Second))
	return &rateStore{limit: limit, burst: burst, idle: idle, maxClients: maxClients, now: now,
		buckets: map[string]*bucket{}, lastSweep: now()}
}

// limitedError says how long until the client may try again.
type limitedError struct{ wait time.Duration }

func (e *limitedError) Error() string { return "web: rate limited" }

func (e *limitedError) retryAfterSeconds() int {
	return max(1, int(math.Ceil(e.wait.Seconds())))
}

// Allow takes a token from the client's bucket; Echo's RateLimiter calls it.
func (s *rateStore) Allow(client string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if now.Sub(s.lastSweep) >= s.idle {
		s.sweep(now)
	}
	b, ok := s.buckets[client]
	if !ok {
		if len(s.buckets) >= s.maxClients {
			// Full of clients seen within the idle time: forget any one
			// (Go's map order is random), which at worst refills its bucket.
			for other := range s.buckets {
				delete(s.buckets, other)
				break
			}
		}
		b = &bucket{tokens: rate.NewLimiter(s.limit, s.burst)}
		s.buckets[client] = b
	}
	b.seen = now
	if b.tokens.AllowN(now, 1) {
		return true, nil
	}
	missing := 1 - b.tokens.TokensAt(now)
	return false, &limitedError{wait: time.Duration(missing / float64(s.limit) * float64(time.Second))}
}

// sweep forgets the buckets unused for the idle time: they are full again.
func (s *rateStore) sweep(now time.Time) {
	for client, b := range s.buckets {
		if now.Sub(b.seen) >= s.idle {
			delete(s.buckets, client)
		}
	}
	s.lastSweep = now
}

// clients is how many clients the store remembers.
func (s *rateStore) clients() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.buckets)
}
