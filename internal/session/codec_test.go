package session

import (
	"reflect"
	"testing"
	"time"
)

func TestCodecRoundTrip(t *testing.T) {
	deadline := time.Unix(1_800_000_000, 123)
	values := map[string]interface{}{
		"s": "héllo", "empty": "", "b": []byte{0, 1, 2}, "i": int64(-42), "t": true, "f": false,
	}
	data, err := codec{}.Encode(deadline, values)
	if err != nil {
		t.Fatal(err)
	}
	gotDeadline, gotValues, err := codec{}.Decode(data)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if !gotDeadline.Equal(deadline) || !reflect.DeepEqual(gotValues, values) {
		t.Fatalf("round trip: want %v %v, got %v %v", deadline, values, gotDeadline, gotValues)
	}
}

func TestCodecRefusesWhatItCannotStoreOrRead(t *testing.T) {
	if _, err := (codec{}).Encode(time.Now(), map[string]interface{}{"x": 1.5}); err == nil {
		t.Error("encode of an unsupported type: want an error")
	}
	good, _ := codec{}.Encode(time.Now(), map[string]interface{}{"key": "value"})
	for name, data := range map[string][]byte{
		"empty":           nil,
		"gob from before": []byte("\x0f\xff\x81\x03\x01\x01\x04"),
		"truncated":       good[:len(good)-2],
		"unknown tag":     append(append([]byte{}, good[:9]...), 1, 'k', 99),
		"huge length":     append(append([]byte{}, good[:9]...), 0xff, 0xff, 0xff, 0xff, 0x0f),
	} {
		if _, _, err := (codec{}).Decode(data); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

func FuzzCodecDecode(f *testing.F) {
	good, _ := codec{}.Encode(time.Now(), map[string]interface{}{"k": "v", "n": int64(1), "b": []byte("x"), "t": true})
	f.Add(good)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		deadline, values, err := codec{}.Decode(data)
		if err != nil {
			return
		}
		again, err := codec{}.Encode(deadline, values)
		if err != nil {
			t.Fatalf("decoded values do not encode: %v", err)
		}
		if _, v2, err := (codec{}).Decode(again); err != nil || !reflect.DeepEqual(values, v2) {
			t.Fatalf("re-encoded record differs: %v", err)
		}
	})
}

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
