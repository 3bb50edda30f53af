package session

import (
	"reflect"
	"testing"
	"time"

	"github.com/sgidweb/sgidweb/internal/access"
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

func TestUserWithAPostingRoundTrips(t *testing.T) {
	p := access.Posting{WorkEmail: "a@mma.gov.sg", AgencyName: "Ministry of Mock Affairs", DepartmentName: "NA", EmploymentType: "", EmploymentTitle: "Director"}
	u := User{Subject: "sub-1", Fields: map[string]string{"myinfo.name": "TAN"}, Scopes: []string{"openid"}, LoggedIn: time.Unix(1_800_000_000, 0), Posting: &p}
	enc := encodeUser(u)
	got, ok := decodeUser(enc)
	if !ok || got.Posting == nil || *got.Posting != p || !reflect.DeepEqual(got.Fields, u.Fields) {
		t.Fatalf("round trip with a posting: want %+v, got %+v (ok=%v)", p, got.Posting, ok)
	}
	if _, ok := decodeUser(enc[:len(enc)-1]); ok {
		t.Error("a truncated posting decoded")
	}
	if enc := encodeUser(User{Subject: "s"}); enc[0] != userVersion {
		t.Errorf("a user without a posting: want the version-1 layout the previous release reads, got version %d", enc[0])
	}
}

// A session stored by the release before postings existed still decodes.
func TestUserFromThePreviousReleaseDecodes(t *testing.T) {
	v1 := []byte("\x01\x05sub-1\x18\xfa\xe2v\x93\xb4\x00\x00\x02\x06openid\vmyinfo.name\x01\vmyinfo.name\x03TAN")
	u, ok := decodeUser(v1)
	if !ok || u.Subject != "sub-1" || u.Fields["myinfo.name"] != "TAN" || u.Posting != nil || !u.LoggedIn.Equal(time.Unix(1_800_000_000, 0)) {
		t.Fatalf("version-1 user: got %+v (ok=%v)", u, ok)
	}
}

func FuzzDecodeUser(f *testing.F) {
	f.Add(encodeUser(User{Subject: "s", Fields: map[string]string{"a": "b"}, Scopes: []string{"openid"}}))
	f.Add([]byte{userVersion})
	f.Add(encodeUser(User{Subject: "s", Posting: &access.Posting{AgencyName: "A"}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		u, ok := decodeUser(data)
		if !ok {
			return
		}
		if again, ok := decodeUser(encodeUser(u)); !ok || again.Subject != u.Subject || !reflect.DeepEqual(again.Fields, u.Fields) || !reflect.DeepEqual(again.Posting, u.Posting) {
			t.Fatalf("decoded user does not survive a round trip")
		}
	})
}
