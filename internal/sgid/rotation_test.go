package sgid

import (
	"context"
	"crypto/rsa"
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/sgidweb/sgidweb/internal/sgidtest"
)

// During a key rotation sgID may still encrypt to the old key or already to
// the new one; both must open while both are configured.
func TestUserinfoAcceptsThePreviousKeyDuringRotation(t *testing.T) {
	k := sgidtest.TestKeys()
	current, previous := k.Client, k.Other
	for _, tc := range []struct {
		name string
		to   *rsa.PublicKey
		kid  string
	}{
		{"to the previous key, no kid", &previous.PublicKey, ""},
		{"to the current key, no kid", &current.PublicKey, ""},
		{"to the previous key, kid names it", &previous.PublicKey, Thumbprint(&previous.PublicKey)},
		{"to the current key, kid of sgID's own making", &current.PublicKey, "sgid-key-7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newProvider(t)
			answerUserinfo(p, func(g *sgidtest.Grant) any {
				ui := sgidtest.Seal(sgidtest.SDKAlgs, tc.to, g.Subject, g.Fields)
				if tc.kid != "" {
					ui.Key = sealKeyWithKID(t, tc.to, ui.Sym, tc.kid)
				}
				return ui
			})
			c := newClient(t, p, func(cfg *Config) { cfg.PrivateKey = current; cfg.PreviousKeys = []*rsa.PrivateKey{previous} })
			g := startLogin(t, p, c, sampleFields).grant
			prof, err := c.Userinfo(context.Background(), identityOf(g))
			if err != nil {
				t.Fatalf("Userinfo: %v", err)
			}
			if !maps.Equal(prof.Fields, sampleFields) {
				t.Errorf("Fields = %q", prof.Fields)
			}
		})
	}
}

func TestUserinfoRefusesAKeyNoLongerConfigured(t *testing.T) {
	p := newProvider(t)
	answerUserinfo(p, func(g *sgidtest.Grant) any {
		return sgidtest.Seal(sgidtest.SDKAlgs, &sgidtest.TestKeys().Other.PublicKey, g.Subject, g.Fields)
	})
	c := newClient(t, p) // only the current key
	_, err := c.Userinfo(context.Background(), identityOf(startLogin(t, p, c, nil).grant))
	if ReasonOf(err) != ReasonDecryptFailed {
		t.Fatalf("want %s, got %v", ReasonDecryptFailed, err)
	}
}

func sealKeyWithKID(t *testing.T, to *rsa.PublicKey, sym []byte, kid string) string {
	t.Helper()
	jwk, err := (&jose.JSONWebKey{Key: sym}).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	e, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.RSA_OAEP_256, Key: to, KeyID: kid}, nil)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := e.Encrypt(jwk)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := obj.CompactSerialize()
	return s
}

type recordingObserver struct {
	calls   []Call
	fetches []FetchResult
}

func (o *recordingObserver) ObserveCall(c Call)         { o.calls = append(o.calls, c) }
func (o *recordingObserver) ObserveFetch(f FetchResult) { o.fetches = append(o.fetches, f) }

// Each JWKS fetch is reported with its outcome: an answer without a usable
// key is a failed fetch, like no answer.
func TestObserverSeesEachJWKSFetchOutcome(t *testing.T) {
	k := sgidtest.TestKeys()
	p := newProvider(t)
	obs := &recordingObserver{}
	c := newClient(t, p, func(cfg *Config) { cfg.Observer = obs })
	if err := c.RefreshKeys(context.Background()); err != nil {
		t.Fatal(err)
	}
	p.SetFaults(sgidtest.Faults{JWKS: func(w http.ResponseWriter, _ *http.Request) {
		sgidtest.WriteJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{sgidtest.JWK(k.Small, "small")}})
	}})
	_ = c.RefreshKeys(context.Background())
	jwksDown(p)
	_ = c.RefreshKeys(context.Background())
	want := []FetchResult{{FetchJWKS, true}, {FetchJWKS, false}, {FetchJWKS, false}}
	if len(obs.fetches) != len(want) || obs.fetches[0] != want[0] || obs.fetches[1] != want[1] || obs.fetches[2] != want[2] {
		t.Errorf("fetches: want %v, got %v", want, obs.fetches)
	}
}

func TestObserverSeesEveryCallWithItsStatusAndDate(t *testing.T) {
	p := newProvider(t)
	obs := &recordingObserver{}
	c := newClient(t, p, func(cfg *Config) { cfg.Observer = obs })
	id, err := startLogin(t, p, c, nil).exchange(t, c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Userinfo(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, call := range obs.calls {
		got = append(got, call.Endpoint)
		if call.Status != http.StatusOK {
			t.Errorf("%s: status %d, want 200", call.Endpoint, call.Status)
		}
		if call.ServerDate.IsZero() || call.Sent.IsZero() {
			t.Errorf("%s: want the Date header and the send time, got %v and %v", call.Endpoint, call.ServerDate, call.Sent)
		}
	}
	want := []string{EndpointToken, EndpointJWKS, EndpointUserinfo}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("endpoints: want %v, got %v", want, got)
	}

	// A call that gets no answer reports status 0.
	p.Close()
	obs.calls = nil
	c2 := newClient(t, p, func(cfg *Config) { cfg.Observer = obs; cfg.Timeout = time.Second })
	_ = c2.RefreshKeys(context.Background())
	if len(obs.calls) != 1 || obs.calls[0].Status != 0 || obs.calls[0].Endpoint != EndpointJWKS {
		t.Errorf("unreachable JWKS: want one jwks call with status 0, got %+v", obs.calls)
	}
}
