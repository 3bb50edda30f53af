package mocksgid

import "time"

// ttlMap is a size-bounded map whose entries expire. It has no lock of its
// own: the provider's mutex guards it together with the other maps, because
// redeeming a code and issuing its token must happen as one step.
type ttlMap[V any] struct {
	max       int
	items     map[string]ttlEntry[V]
	lastPurge time.Time
}

type ttlEntry[V any] struct {
	val V
	exp time.Time
}

// purgeInterval bounds how often put scans the whole map for expired entries.
const purgeInterval = time.Minute

func newTTLMap[V any](max int) *ttlMap[V] {
	return &ttlMap[V]{max: max, items: make(map[string]ttlEntry[V])}
}

// get returns a live entry; an expired one is dropped and reported missing.
func (t *ttlMap[V]) get(key string, now time.Time) (V, bool) {
	e, ok := t.items[key]
	if !ok || !now.Before(e.exp) {
		delete(t.items, key)
		var zero V
		return zero, false
	}
	return e.val, true
}

// put stores an entry. When the map is full it first drops expired entries
// and then, if still full, the entry closest to expiry, so a flood of
// abandoned logins can never grow memory without bound.
func (t *ttlMap[V]) put(key string, val V, exp, now time.Time) {
	if len(t.items) >= t.max || now.Sub(t.lastPurge) >= purgeInterval {
		t.purge(now)
	}
	if _, exists := t.items[key]; !exists && len(t.items) >= t.max {
		t.evictOldest()
	}
	t.items[key] = ttlEntry[V]{val: val, exp: exp}
}

// setExpiry moves an entry's expiry, e.g. to keep a spent code around long
// enough to detect its reuse.
func (t *ttlMap[V]) setExpiry(key string, exp time.Time) {
	if e, ok := t.items[key]; ok {
		e.exp = exp
		t.items[key] = e
	}
}

func (t *ttlMap[V]) delete(key string) { delete(t.items, key) }

func (t *ttlMap[V]) len() int { return len(t.items) }

func (t *ttlMap[V]) purge(now time.Time) {
	for k, e := range t.items {
		if !now.Before(e.exp) {
			delete(t.items, k)
		}
	}
	t.lastPurge = now
}

func (t *ttlMap[V]) evictOldest() {
	var oldest string
	var oldestExp time.Time
	first := true
	for k, e := range t.items {
		if first || e.exp.Before(oldestExp) {
			oldest, oldestExp, first = k, e.exp, false
		}
	}
	if !first {
		delete(t.items, oldest)
	}
}
