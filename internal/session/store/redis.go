package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gomodule/redigo/redis"

	storespec "github.com/sgidweb/sgidweb/internal/session/store/spec"
)

// Redis keys. Sessions keep the prefix scs's redisstore used, so sessions
// written by earlier versions stay valid.
const (
	redisSessionPrefix = "scs:session:"
	// An entry of the index, under the session's key, expiring at its
	// until; and each subject's sorted set of session keys, scored by
	// until, expiring with its last member.
	redisEntryPrefix   = "sgidweb:index:entry:"
	redisSubjectPrefix = "sgidweb:index:subject:"
	redisKeyPrefix     = "sgidweb:key:"
)

func openRedis(ctx context.Context, spec string, lim limits) (Store, error) {
	if _, err := url.Parse(spec); err != nil {
		return nil, fmt.Errorf("session: SESSION_STORE=%s is not a valid URL", storespec.Redacted(spec))
	}
	var generation atomic.Uint64
	pool := &redis.Pool{
		MaxIdle:     32,
		MaxActive:   lim.redisConns,
		Wait:        true, // within each call's deadline: GetContext
		IdleTimeout: 5 * time.Minute,
		DialContext: func(ctx context.Context) (redis.Conn, error) {
			// The read and write timeouts bound what redigo does without
			// a context (AUTH and SELECT while dialling).
			c, err := redis.DialURLContext(ctx, spec,
				redis.DialConnectTimeout(min(connectTimeout, lim.timeout)),
				redis.DialReadTimeout(lim.timeout),
				redis.DialWriteTimeout(lim.timeout))
			if err != nil {
				return nil, err
			}
			return &redisConn{Conn: c, generation: &generation, born: generation.Load()}, nil
		},
		TestOnBorrowContext: func(ctx context.Context, c redis.Conn, lastUsed time.Time) error {
			if rc, ok := c.(*redisConn); ok && rc.born != rc.generation.Load() {
				return errors.New("session: connection predates a redis failure")
			}
			if time.Since(lastUsed) < pingIdleAfter {
				return nil
			}
			_, err := redis.DoContext(c, ctx, "PING")
			return err
		},
	}
	st := &redisStore{pool: pool}
	startCtx, cancel := context.WithTimeout(ctx, startupTimeout)
	defer cancel()
	if err := st.ping(startCtx); err != nil {
		pool.Close()
		return nil, unreachable(spec, err)
	}
	return &guarded{backend: st, kind: "redis", timeout: lim.timeout}, nil
}

// redisConn drops every pooled connection after a connection failure: when
// Redis restarts, all idle connections are dead, and without this each of
// them would fail one request before the pool noticed.
type redisConn struct {
	redis.Conn
	generation *atomic.Uint64
	born       uint64
}

func (c *redisConn) Do(cmd string, args ...any) (any, error) {
	reply, err := c.Conn.Do(cmd, args...)
	c.observe(err)
	return reply, err
}

// DoContext and ReceiveContext keep every call bounded by its context
// through the wrapper: redigo ends a call when its context does.
func (c *redisConn) DoContext(ctx context.Context, cmd string, args ...any) (any, error) {
	reply, err := redis.DoContext(c.Conn, ctx, cmd, args...)
	c.observe(err)
	return reply, err
}

func (c *redisConn) ReceiveContext(ctx context.Context) (any, error) {
	reply, err := redis.ReceiveContext(c.Conn, ctx)
	c.observe(err)
	return reply, err
}

// observe counts a failure of the connection itself; an error reply from
// Redis says nothing about the other connections.
func (c *redisConn) observe(err error) {
	var replyErr redis.Error
	if err != nil && !errors.As(err, &replyErr) && !errors.Is(err, redis.ErrNil) {
		c.generation.Add(1)
	}
}

// redisStore keeps sessions in Redis, each expiring by its own TTL, so
// there is nothing to sweep. It replaces scs's redisstore, whose calls take
// no context: a Redis that stopped answering held a request for the read
// timeout twice over (a health check, then the command).
type redisStore struct {
	pool *redis.Pool
}

// do runs one command on a pooled connection, both bounded by ctx.
func (s *redisStore) do(ctx context.Context, cmd string, args ...any) (any, error) {
	c, err := s.pool.GetContext(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return redis.DoContext(c, ctx, cmd, args...)
}

func (s *redisStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

func (s *redisStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

func (s *redisStore) Delete(token string) error { return s.DeleteCtx(context.Background(), token) }

func (s *redisStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	b, err := redis.Bytes(s.do(ctx, "GET", redisSessionPrefix+token))
	if errors.Is(err, redis.ErrNil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return b, true, nil
}

// commitScript sets a value with an absolute expiry in one step that every
// Redis version runs (SET's PXAT needs 6.2).
var commitScript = redis.NewScript(1, `
redis.call('SET', KEYS[1], ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return 1`)

func (s *redisStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	c, err := s.pool.GetContext(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = commitScript.DoContext(ctx, c, redisSessionPrefix+token, b, expiry.UnixMilli())
	return err
}

// commitExistingScript is commitScript for a key that exists (an expired
// one does not): the check and the write are one step, so nothing can
// delete the key in between.
var commitExistingScript = redis.NewScript(1, `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return 1`)

func (s *redisStore) commitExisting(ctx context.Context, token string, b []byte, expiry time.Time) (bool, error) {
	c, err := s.pool.GetContext(ctx)
	if err != nil {
		return false, err
	}
	defer c.Close()
	n, err := redis.Int(commitExistingScript.DoContext(ctx, c, redisSessionPrefix+token, b, expiry.UnixMilli()))
	return n == 1, err
}

// DeleteCtx deletes the session and its index entry together; the member
// left in the subject's set is dropped when the set is next read.
func (s *redisStore) DeleteCtx(ctx context.Context, token string) error {
	_, err := s.do(ctx, "DEL", redisSessionPrefix+token, redisEntryPrefix+token)
	return err
}

// redisEntry is an index entry as Redis holds it.
type redisEntry struct {
	Subject  string `json:"s"`
	Started  int64  `json:"t"` // unix seconds
	LastSeen int64  `json:"l"`
	Browser  string `json:"b"`
	// Written is when the entry was written (unix milliseconds): a list
	// leaves alone an entry written in the last minute whose session is
	// not there yet, because the session is committed just after it.
	Written int64 `json:"w"`
}

// indexScript writes an entry and adds its key to the subject's set, whose
// TTL follows its latest member so the set goes when its last entry does.
var indexScript = redis.NewScript(2, `
redis.call('SET', KEYS[1], ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[2], last[2])
return 1`)

func (s *redisStore) addEntry(ctx context.Context, subject string, e Entry, until time.Time) error {
	value, err := json.Marshal(redisEntry{Subject: subject, Started: e.Started.Unix(), LastSeen: e.LastSeen.Unix(),
		Browser: e.Browser, Written: time.Now().UnixMilli()})
	if err != nil {
		return err
	}
	c, err := s.pool.GetContext(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = indexScript.DoContext(ctx, c, redisEntryPrefix+e.Key, redisSubjectPrefix+subject, value, until.UnixMilli(), e.Key)
	return err
}

// sessions reads the subject's set, drops the members past their end and
// those whose entry is gone (deleted with its session), and lists the
// entries whose session is still there. An entry whose session expired by
// its TTL is deleted here, unless it was written a moment ago.
func (s *redisStore) listEntries(ctx context.Context, subject string) ([]Entry, error) {
	c, err := s.pool.GetContext(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	set := redisSubjectPrefix + subject
	now := time.Now()
	if _, err := redis.DoContext(c, ctx, "ZREMRANGEBYSCORE", set, "-inf", "("+strconv.FormatInt(now.UnixMilli(), 10)); err != nil {
		return nil, err
	}
	keys, err := redis.Strings(redis.DoContext(c, ctx, "ZRANGE", set, 0, -1))
	if err != nil || len(keys) == 0 {
		return nil, err
	}
	entryKeys := make([]any, len(keys))
	sessionKeys := make([]any, len(keys))
	for i, k := range keys {
		entryKeys[i] = redisEntryPrefix + k
		sessionKeys[i] = redisSessionPrefix + k
	}
	values, err := redis.ByteSlices(redis.DoContext(c, ctx, "MGET", entryKeys...))
	if err != nil {
		return nil, err
	}
	live, err := redis.Values(redis.DoContext(c, ctx, "MGET", sessionKeys...))
	if err != nil {
		return nil, err
	}
	var list []Entry
	var stale []any
	for i, k := range keys {
		var re redisEntry
		if values[i] == nil || json.Unmarshal(values[i], &re) != nil || re.Subject != subject {
			stale = append(stale, k)
			continue
		}
		if live[i] == nil {
			if now.Sub(time.UnixMilli(re.Written)) > time.Minute {
				stale = append(stale, k)
				if _, err := redis.DoContext(c, ctx, "DEL", redisEntryPrefix+k); err != nil {
					return nil, err
				}
			}
			continue
		}
		list = append(list, Entry{Key: k, Started: time.Unix(re.Started, 0), LastSeen: time.Unix(re.LastSeen, 0), Browser: re.Browser})
	}
	if len(stale) > 0 {
		if _, err := redis.DoContext(c, ctx, "ZREM", append([]any{set}, stale...)...); err != nil {
			return nil, err
		}
	}
	return list, nil
}

// count scans the keys in batches: a command for an operator, so it may
// take a while on a large store, but it never blocks Redis as KEYS would.
func (s *redisStore) countSessions(ctx context.Context) (Counts, error) {
	c, err := s.pool.GetContext(ctx)
	if err != nil {
		return Counts{}, err
	}
	defer c.Close()
	var counts Counts
	scan := func(pattern string, each func(keys []string) error) error {
		cursor := "0"
		for {
			reply, err := redis.Values(redis.DoContext(c, ctx, "SCAN", cursor, "MATCH", pattern, "COUNT", 1000))
			if err != nil {
				return err
			}
			if len(reply) != 2 {
				return errors.New("unexpected SCAN reply")
			}
			if cursor, err = redis.String(reply[0], nil); err != nil {
				return err
			}
			keys, err := redis.Strings(reply[1], nil)
			if err != nil {
				return err
			}
			if len(keys) > 0 {
				if err := each(keys); err != nil {
					return err
				}
			}
			if cursor == "0" {
				return nil
			}
		}
	}
	err = scan(redisSessionPrefix+"*", func(keys []string) error {
		counts.Sessions += len(keys)
		return nil
	})
	if err != nil {
		return Counts{}, err
	}
	err = scan(redisEntryPrefix+"*", func(keys []string) error {
		sessions := make([]any, len(keys))
		for i, k := range keys {
			sessions[i] = redisSessionPrefix + k[len(redisEntryPrefix):]
		}
		n, err := redis.Int(redis.DoContext(c, ctx, "EXISTS", sessions...))
		counts.LoggedIn += n
		return err
	})
	if err != nil {
		return Counts{}, err
	}
	return counts, nil
}

func (s *redisStore) sharedKey(ctx context.Context, name string, fresh []byte) ([]byte, error) {
	c, err := s.pool.GetContext(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if _, err := redis.DoContext(c, ctx, "SET", redisKeyPrefix+name, fresh, "NX"); err != nil {
		return nil, err
	}
	return redis.Bytes(redis.DoContext(c, ctx, "GET", redisKeyPrefix+name))
}

func (s *redisStore) ping(ctx context.Context) error {
	_, err := s.do(ctx, "PING")
	return err
}

func (s *redisStore) close() error { return s.pool.Close() }
