package session

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"github.com/sgidweb/sgidweb/internal/access"
)

// keyPending holds a login that waits for the person to choose a posting.
const keyPending = "pending_login"

// PendingLogin is a login sgID has answered and the access policy admits,
// held until the person chooses which of their postings to use. It holds
// their decrypted data, so it lives no longer than the login flow it came
// from: FlowMaxAge after Started.
type PendingLogin struct {
	User     User
	Postings []access.Posting // the postings on offer: those the policy admits
	Started  time.Time        // the login flow's start
	ReturnTo string           // the flow's return_to
}

// pendingRecord is a PendingLogin as stored: the User in its own encoding.
type pendingRecord struct {
	User     []byte           `json:"user"`
	Postings []access.Posting `json:"postings"`
	Started  time.Time        `json:"started"`
	ReturnTo string           `json:"return_to,omitempty"`
}

// HoldLogin keeps a login until the person chooses a posting, replacing any
// other held login. The session gets a new token first: the held login can
// be completed by whoever holds the cookie, so a token planted before the
// login (session fixation) must not be that cookie.
func (m *Manager) HoldLogin(ctx context.Context, p PendingLogin) error {
	b, err := json.Marshal(pendingRecord{User: encodeUser(p.User), Postings: p.Postings, Started: p.Started, ReturnTo: p.ReturnTo})
	if err != nil {
		// Bytes, strings and a time: this cannot fail.
		panic("session: encode pending login: " + err.Error())
	}
	if err := m.renewToken(ctx); err != nil {
		return err
	}
	m.scs.Put(ctx, keyPending, b)
	m.touch(ctx)
	return nil
}

// HeldLogin returns the login waiting for a choice: FlowFound, FlowNone
// when there is none (or it does not decode), or FlowExpired when its flow
// is older than FlowMaxAge, in which case it is dropped.
func (m *Manager) HeldLogin(ctx context.Context) (PendingLogin, FlowResult) {
	b := m.scs.GetBytes(ctx, keyPending)
	if b == nil {
		return PendingLogin{}, FlowNone
	}
	var rec pendingRecord
	if json.Unmarshal(b, &rec) != nil {
		m.scs.Remove(ctx, keyPending)
		return PendingLogin{}, FlowNone
	}
	if m.pendingExpired(rec.Started) {
		m.scs.Remove(ctx, keyPending)
		return PendingLogin{}, FlowExpired
	}
	user, ok := decodeUser(rec.User)
	if !ok {
		m.scs.Remove(ctx, keyPending)
		return PendingLogin{}, FlowNone
	}
	return PendingLogin{User: user, Postings: rec.Postings, Started: rec.Started, ReturnTo: rec.ReturnTo}, FlowFound
}

// forgetExpiredHeldLogin drops the data of a held login whose flow has
// expired and keeps only when it started, so that the picker can still say
// the login expired rather than that there was none.
func (m *Manager) forgetExpiredHeldLogin(ctx context.Context) {
	end := m.pendingEnd(ctx)
	if end.IsZero() || !m.now().After(end) {
		return
	}
	b, err := json.Marshal(pendingRecord{Started: end.Add(-FlowMaxAge)})
	if err != nil {
		panic("session: encode expired pending login: " + err.Error())
	}
	if !bytes.Equal(b, m.scs.GetBytes(ctx, keyPending)) {
		m.scs.Put(ctx, keyPending, b)
	}
}

// DropHeldLogin forgets the login waiting for a choice, if any.
func (m *Manager) DropHeldLogin(ctx context.Context) {
	m.scs.Remove(ctx, keyPending)
}

func (m *Manager) pendingExpired(started time.Time) bool {
	return m.now().Sub(started) > FlowMaxAge
}

// pendingEnd is when the held login expires, zero when there is none.
func (m *Manager) pendingEnd(ctx context.Context) time.Time {
	b := m.scs.GetBytes(ctx, keyPending)
	if b == nil {
		return time.Time{}
	}
	var rec struct {
		Started time.Time `json:"started"`
	}
	if json.Unmarshal(b, &rec) != nil {
		return time.Time{}
	}
	return rec.Started.Add(FlowMaxAge)
}
