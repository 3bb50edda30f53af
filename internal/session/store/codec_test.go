package store

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
	data, err := Codec{}.Encode(deadline, values)
	if err != nil {
		t.Fatal(err)
	}
	gotDeadline, gotValues, err := Codec{}.Decode(data)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if !gotDeadline.Equal(deadline) || !reflect.DeepEqual(gotValues, values) {
		t.Fatalf("round trip: want %v %v, got %v %v", deadline, values, gotDeadline, gotValues)
	}
}

func TestCodecRefusesWhatItCannotStoreOrRead(t *testing.T) {
	if _, err := (Codec{}).Encode(time.Now(), map[string]interface{}{"x": 1.5}); err == nil {
		t.Error("encode of an unsupported type: want an error")
	}
	good, _ := Codec{}.Encode(time.Now(), map[string]interface{}{"key": "value"})
	for name, data := range map[string][]byte{
		"empty":           nil,
		"gob from before": []byte("\x0f\xff\x81\x03\x01\x01\x04"),
		"truncated":       good[:len(good)-2],
		"unknown tag":     append(append([]byte{}, good[:9]...), 1, 'k', 99),
		"huge length":     append(append([]byte{}, good[:9]...), 0xff, 0xff, 0xff, 0xff, 0x0f),
	} {
		if _, _, err := (Codec{}).Decode(data); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

func FuzzCodecDecode(f *testing.F) {
	good, _ := Codec{}.Encode(time.Now(), map[string]interface{}{"k": "v", "n": int64(1), "b": []byte("x"), "t": true})
	f.Add(good)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		deadline, values, err := Codec{}.Decode(data)
		if err != nil {
			return
		}
		again, err := Codec{}.Encode(deadline, values)
		if err != nil {
			t.Fatalf("decoded values do not encode: %v", err)
		}
		if _, v2, err := (Codec{}).Decode(again); err != nil || !reflect.DeepEqual(values, v2) {
			t.Fatalf("re-encoded record differs: %v", err)
		}
	})
}
