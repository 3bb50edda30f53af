package sgid

import (
	"context"
	"crypto/rsa"
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// During a key rotation sgID may still encrypt to the old key or already to
// the new one; both must open while both are configured.
func TestUserinfoAcceptsThePreviousKeyDuringRotation(t *testing.T) {
	k := testKeys(t)
	current, previous := k.client, k.other
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
			p := newFakeProvider(t)
			ui := seal(t, familySDK, tc.to, testSub, sampleFields)
			if tc.kid != "" {
				ui.Key = sealKeyWithKID(t, tc.to, ui.sym, tc.kid)
			}
			p.set(func(p *fakeProvider) { p.userinfo = ui })
			c := p.newClient(t, func(cfg *Config) { cfg.PrivateKey = current; cfg.PreviousKeys = []*rsa.PrivateKey{previous} })
			prof, err := c.Userinfo(context.Background(), identity())
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
	k := testKeys(t)
	p := newFakeProvider(t)
	p.set(func(p *fakeProvider) { p.userinfo = seal(t, familySDK, &k.other.PublicKey, testSub, sampleFields) })
	c := p.newClient(t) // only the current key
	_, err := c.Userinfo(context.Background(), identity())
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

type recordingObserver struct{ calls []Call }

func (o *recordingObserver) ObserveCall(c Call) { o.calls = append(o.calls, c) }

func TestObserverSeesEveryCallWithItsStatusAndDate(t *testing.T) {
	p := newFakeProvider(t)
	p.set(func(p *fakeProvider) {
		p.userinfo = seal(t, familySDK, &testKeys(t).client.PublicKey, testSub, sampleFields)
	})
	obs := &recordingObserver{}
	c := p.newClient(t, func(cfg *Config) { cfg.Observer = obs })
	id, err := c.Exchange(context.Background(), testCode, testVerifier, testNonce)
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
	p.srv.Close()
	obs.calls = nil
	c2 := p.newClient(t, func(cfg *Config) { cfg.Observer = obs; cfg.Timeout = time.Second })
	_ = c2.CheckKeys(context.Background())
	if len(obs.calls) != 1 || obs.calls[0].Status != 0 || obs.calls[0].Endpoint != EndpointJWKS {
		t.Errorf("unreachable JWKS: want one jwks call with status 0, got %+v", obs.calls)
	}
}
