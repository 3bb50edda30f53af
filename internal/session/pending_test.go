package session

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/sgidweb/sgidweb/internal/access"
)

var twoPostings = []access.Posting{
	{WorkEmail: "a@mma.gov.sg", AgencyName: "Ministry of Mock Affairs", DepartmentName: "Digital", EmploymentType: "Permanent", EmploymentTitle: "Director"},
	{WorkEmail: "a@sandbox.gov.sg", AgencyName: "Sandbox Statutory Board", DepartmentName: "NA", EmploymentType: "Secondment", EmploymentTitle: "Adviser"},
}

func heldLogin(started time.Time) PendingLogin {
	return PendingLogin{
		User:     User{Subject: "sub-1", Fields: map[string]string{"myinfo.name": "TAN"}, Scopes: []string{"openid", "myinfo.name"}},
		Postings: twoPostings,
		Started:  started,
		ReturnTo: "/app",
	}
}

func TestHeldLoginRoundTripsAndRenewsTheToken(t *testing.T) {
	now := time.Now()
	m := newManager(t, &now)
	before := request(t, m, "", func(ctx context.Context) { m.AddFlow(ctx, Flow{State: "s", Started: now}) })
	after := request(t, m, before, func(ctx context.Context) {
		if err := m.HoldLogin(ctx, heldLogin(now)); err != nil {
			t.Fatal(err)
		}
	})
	if after == before {
		t.Fatal("holding a login kept the session token: a token planted before the login could complete it")
	}
	request(t, m, before, func(ctx context.Context) {
		if _, res := m.HeldLogin(ctx); res != FlowNone {
			t.Errorf("the token from before the held login sees it: %v", res)
		}
	})
	request(t, m, after, func(ctx context.Context) {
		got, res := m.HeldLogin(ctx)
		want := heldLogin(now)
		if res != FlowFound || got.User.Subject != want.User.Subject || !reflect.DeepEqual(got.User.Fields, want.User.Fields) ||
			!reflect.DeepEqual(got.Postings, want.Postings) || !got.Started.Equal(want.Started) || got.ReturnTo != want.ReturnTo {
			t.Errorf("held login: want %+v, got %v %+v", want, res, got)
		}
		if _, loggedIn := m.CurrentUser(ctx); loggedIn {
			t.Error("a held login counts as logged in")
		}
	})
}

func TestHeldLoginExpiresWithItsFlow(t *testing.T) {
	start := time.Now()
	now := start
	m := newManager(t, &now)
	cookie := request(t, m, "", func(ctx context.Context) {
		if err := m.HoldLogin(ctx, heldLogin(start.Add(-time.Minute))); err != nil {
			t.Fatal(err)
		}
	})
	now = start.Add(FlowMaxAge - time.Minute)
	request(t, m, cookie, func(ctx context.Context) {
		if _, res := m.HeldLogin(ctx); res != FlowFound {
			t.Errorf("just inside the flow's ten minutes: want found, got %v", res)
		}
	})
	now = start.Add(FlowMaxAge - time.Minute + time.Second)
	request(t, m, cookie, func(ctx context.Context) {
		if _, res := m.HeldLogin(ctx); res != FlowExpired {
			t.Errorf("past the flow's ten minutes: want FlowExpired, got %v", res)
		}
	})
	request(t, m, cookie, func(ctx context.Context) {
		if _, res := m.HeldLogin(ctx); res != FlowNone {
			t.Errorf("an expired held login is dropped once found: got %v", res)
		}
	})
}

// The expired choice goes from the store even when the person never asks
// for it again: the store forgets the anonymous session when the choice
// expires, and any request after that drops it.
func TestHeldLoginLeavesTheStoreWithItsFlow(t *testing.T) {
	start := time.Now().Truncate(time.Second)
	now := start
	st := newRecordingStore(t)
	m := New(Options{Store: st, IdleTimeout: 30 * time.Minute, Lifetime: 12 * time.Hour, Now: func() time.Time { return now }})
	request(t, m, "", func(ctx context.Context) {
		if err := m.HoldLogin(ctx, heldLogin(start)); err != nil {
			t.Fatal(err)
		}
	})
	if got := st.commits(); len(got) != 1 || !got[0].Equal(start.Add(FlowMaxAge)) {
		t.Fatalf("anonymous session holding a login: want it stored until %v, got %v", start.Add(FlowMaxAge), got)
	}

	// Logged in already, the session keeps its own expiry; the next
	// request after the choice expired drops it.
	loggedIn := request(t, m, "", func(ctx context.Context) {
		if err := m.Login(ctx, User{Subject: "sub-2"}); err != nil {
			t.Fatal(err)
		}
	})
	loggedIn = request(t, m, loggedIn, func(ctx context.Context) {
		if err := m.HoldLogin(ctx, heldLogin(start)); err != nil {
			t.Fatal(err)
		}
	})
	got := st.commits()
	if last := got[len(got)-1]; !last.Equal(start.Add(30 * time.Minute)) {
		t.Errorf("logged-in session holding a login: want its idle expiry %v, got %v", start.Add(30*time.Minute), last)
	}
	now = start.Add(FlowMaxAge + time.Second)
	request(t, m, loggedIn, func(ctx context.Context) {
		if _, loggedIn := m.CurrentUser(ctx); !loggedIn {
			t.Error("walking away from the picker logged the earlier login out")
		}
		var rec pendingRecord
		if b := m.scs.GetBytes(ctx, keyPending); json.Unmarshal(b, &rec) != nil || rec.User != nil || rec.Postings != nil {
			t.Errorf("the expired held login's data is still in the session after a request: %s", b)
		}
		if _, res := m.HeldLogin(ctx); res != FlowExpired {
			t.Errorf("after its data was dropped the held login must still read as expired, got %v", res)
		}
	})
}

func TestLoginDropsTheHeldLogin(t *testing.T) {
	now := time.Now()
	m := newManager(t, &now)
	cookie := request(t, m, "", func(ctx context.Context) {
		if err := m.HoldLogin(ctx, heldLogin(now)); err != nil {
			t.Fatal(err)
		}
	})
	cookie = request(t, m, cookie, func(ctx context.Context) {
		p, _ := m.HeldLogin(ctx)
		u := p.User
		u.Posting = &p.Postings[1]
		if err := m.Login(ctx, u); err != nil {
			t.Fatal(err)
		}
	})
	request(t, m, cookie, func(ctx context.Context) {
		if _, res := m.HeldLogin(ctx); res != FlowNone {
			t.Errorf("after login the held login remains: %v", res)
		}
		u, ok := m.CurrentUser(ctx)
		if !ok || u.Posting == nil || *u.Posting != twoPostings[1] {
			t.Errorf("logged in: want the chosen posting, got %+v", u.Posting)
		}
	})
}
