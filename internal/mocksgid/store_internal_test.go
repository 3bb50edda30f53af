package mocksgid

import (
	"strconv"
	"testing"
	"time"
)

func TestTTLMapIsBoundedAndExpires(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	m := newTTLMap[int](3)
	for i := range 10 {
		// Later keys live longer, so eviction must drop the earliest ones.
		m.put(strconv.Itoa(i), i, now.Add(time.Duration(i+1)*time.Minute), now)
		if m.len() > 3 {
			t.Fatalf("after %d puts the map holds %d entries, bound is 3", i+1, m.len())
		}
	}
	for _, k := range []string{"7", "8", "9"} {
		if _, ok := m.get(k, now); !ok {
			t.Errorf("newest entry %s was evicted", k)
		}
	}
	if _, ok := m.get("0", now); ok {
		t.Error("oldest entry survived eviction")
	}

	later := now.Add(9*time.Minute + time.Second)
	if _, ok := m.get("8", later); ok {
		t.Error("expired entry returned")
	}
	// An expired entry is purged on the next put even when lookups never
	// touch it again.
	m.put("fresh", 1, later.Add(time.Hour), later.Add(purgeInterval))
	if _, still := m.items["7"]; still {
		t.Error("expired entry not purged")
	}
}

func TestPendingRequestsAreBounded(t *testing.T) {
	// A full provider is not needed: the maps are what must stay bounded.
	p := &Provider{now: time.Now, pending: newTTLMap[*authRequest](maxPending)}
	for range maxPending + 50 {
		p.storePending(&authRequest{})
	}
	if n := p.pending.len(); n != maxPending {
		t.Fatalf("pending holds %d requests, bound is %d", n, maxPending)
	}
}
