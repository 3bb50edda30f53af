package session

import (
	"reflect"
	"testing"
	"time"
)

func TestUserRoundTrip(t *testing.T) {
	u := User{
		Subject:  "sub-1",
		Fields:   map[string]string{"myinfo.name": "TAN <b>", "myinfo.email": "", "x": "NA"},
		Scopes:   []string{"openid", "myinfo.name"},
		LoggedIn: time.Unix(1_800_000_000, 5),
	}
	got, ok := decodeUser(encodeUser(u))
	if !ok || got.Subject != u.Subject || !got.LoggedIn.Equal(u.LoggedIn) || !reflect.DeepEqual(got.Fields, u.Fields) || !reflect.DeepEqual(got.Scopes, u.Scopes) {
		t.Fatalf("round trip: want %+v, got %+v (ok=%v)", u, got, ok)
	}
	enc := encodeUser(u)
	for name, data := range map[string][]byte{
		"json from before": []byte(`{"sub":"sub-1"}`),
		"truncated":        enc[:len(enc)-1],
		"trailing bytes":   append(append([]byte{}, enc...), 0),
		"no subject":       encodeUser(User{}),
	} {
		if _, ok := decodeUser(data); ok {
			t.Errorf("%s: want refused", name)
		}
	}
}

func FuzzDecodeUser(f *testing.F) {
	f.Add(encodeUser(User{Subject: "s", Fields: map[string]string{"a": "b"}, Scopes: []string{"openid"}}))
	f.Add([]byte{userVersion})
	f.Fuzz(func(t *testing.T, data []byte) {
		u, ok := decodeUser(data)
		if !ok {
			return
		}
		if again, ok := decodeUser(encodeUser(u)); !ok || again.Subject != u.Subject || !reflect.DeepEqual(again.Fields, u.Fields) {
			t.Fatalf("decoded user does not survive a round trip")
		}
	})
}
