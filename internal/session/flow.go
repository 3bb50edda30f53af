package session

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"sort"
	"time"
)

// Flow is one login in progress: what the callback needs to finish it. It
// lives only in the server-side session and is usable once.
type Flow struct {
	State    string    `json:"state"`
	Nonce    string    `json:"nonce"`
	Verifier string    `json:"verifier"`
	Started  time.Time `json:"started"`
	// ReturnTo is the same-site path to land on after login; "" is home.
	ReturnTo string `json:"return_to,omitempty"`
}

// Flow limits: several tabs may log in at once, but a flow is good for ten
// minutes and a browser cannot pile up flows without bound.
const (
	FlowMaxAge   = 10 * time.Minute
	maxOpenFlows = 5
)

// AddFlow remembers a new login flow, dropping expired ones and, past the
// limit, the oldest.
func (m *Manager) AddFlow(ctx context.Context, f Flow) {
	flows := m.liveFlows(ctx)
	flows = append(flows, f)
	if len(flows) > maxOpenFlows {
		sort.Slice(flows, func(i, j int) bool { return flows[i].Started.Before(flows[j].Started) })
		flows = flows[len(flows)-maxOpenFlows:]
	}
	m.putFlows(ctx, flows)
	m.touch(ctx)
}

// FlowResult says why TakeFlow found no usable flow.
type FlowResult int

// Outcomes of TakeFlow.
const (
	FlowFound   FlowResult = iota
	FlowNone               // no login was started in this browser
	FlowUnknown            // logins exist but none with this state (altered, replayed or another browser's)
	FlowExpired            // the matching flow is older than FlowMaxAge
)

// TakeFlow finds the flow for a callback's state and removes it, so a
// replayed callback finds nothing. States are compared in constant time.
func (m *Manager) TakeFlow(ctx context.Context, state string) (Flow, FlowResult) {
	all := m.allFlows(ctx)
	if len(all) == 0 {
		return Flow{}, FlowNone
	}
	for i, f := range all {
		if state == "" || subtle.ConstantTimeCompare([]byte(f.State), []byte(state)) != 1 {
			continue
		}
		rest := append(all[:i:i], all[i+1:]...)
		m.putFlows(ctx, rest)
		if m.now().Sub(f.Started) > FlowMaxAge {
			return Flow{}, FlowExpired
		}
		return f, FlowFound
	}
	return Flow{}, FlowUnknown
}

func (m *Manager) allFlows(ctx context.Context) []Flow {
	b := m.scs.GetBytes(ctx, keyFlows)
	if b == nil {
		return nil
	}
	var flows []Flow
	if err := json.Unmarshal(b, &flows); err != nil {
		return nil
	}
	return flows
}

func (m *Manager) liveFlows(ctx context.Context) []Flow {
	var live []Flow
	for _, f := range m.allFlows(ctx) {
		if m.now().Sub(f.Started) <= FlowMaxAge {
			live = append(live, f)
		}
	}
	return live
}

func (m *Manager) putFlows(ctx context.Context, flows []Flow) {
	if len(flows) == 0 {
		m.scs.Remove(ctx, keyFlows)
		return
	}
	b, err := json.Marshal(flows)
	if err != nil {
		// Flow holds only strings and a time: this cannot fail.
		panic("session: encode flows: " + err.Error())
	}
	m.scs.Put(ctx, keyFlows, b)
}
