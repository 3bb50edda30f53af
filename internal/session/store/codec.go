package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// Codec stores session values in a small binary form. scs's default gob
// codec builds its decoder anew for every load, which was 40% of the CPU
// of a logged-in page view; sessions hold only strings, bytes, int64 and
// bools, so a fixed format does the job without reflection.
//
// Layout: version byte, deadline (unix nanoseconds, 8 bytes), then for each
// value: key length (uvarint), key, type tag (1 byte), value.
//
// It lives beside the stores, not in package session, because the memory
// store and the SQLite cache rely on Decode: they hand it the slices they
// hold, and Decode copies everything it keeps. The values are opaque here;
// package session encodes its own types (the logged-in User) to bytes.
type Codec struct{}

const codecVersion = 1

const (
	tagString byte = iota + 1
	tagBytes
	tagInt64
	tagBool
)

// errCodec marks data this codec cannot read; the middleware treats such a
// record as no session at all.
var errCodec = errors.New("session: unreadable session record")

func (Codec) Encode(deadline time.Time, values map[string]interface{}) ([]byte, error) {
	b := make([]byte, 0, 64+32*len(values))
	b = append(b, codecVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(deadline.UnixNano()))
	for k, v := range values {
		b = appendBytes(b, []byte(k))
		switch v := v.(type) {
		case string:
			b = append(b, tagString)
			b = appendBytes(b, []byte(v))
		case []byte:
			b = append(b, tagBytes)
			b = appendBytes(b, v)
		case int64:
			b = append(b, tagInt64)
			b = binary.BigEndian.AppendUint64(b, uint64(v))
		case bool:
			b = append(b, tagBool)
			if v {
				b = append(b, 1)
			} else {
				b = append(b, 0)
			}
		default:
			return nil, fmt.Errorf("session: cannot store %T under %q", v, k)
		}
	}
	return b, nil
}

// Decode copies everything it keeps and never writes to b: the memory
// store and the SQLite cache hand it the slices they hold.
func (Codec) Decode(b []byte) (time.Time, map[string]interface{}, error) {
	if len(b) < 9 || b[0] != codecVersion {
		return time.Time{}, nil, errCodec
	}
	deadline := time.Unix(0, int64(binary.BigEndian.Uint64(b[1:9])))
	b = b[9:]
	values := make(map[string]interface{})
	for len(b) > 0 {
		key, rest, ok := readBytes(b)
		if !ok || len(rest) < 1 {
			return time.Time{}, nil, errCodec
		}
		tag := rest[0]
		rest = rest[1:]
		switch tag {
		case tagString, tagBytes:
			v, r, ok := readBytes(rest)
			if !ok {
				return time.Time{}, nil, errCodec
			}
			if tag == tagString {
				values[string(key)] = string(v)
			} else {
				values[string(key)] = append([]byte(nil), v...)
			}
			rest = r
		case tagInt64:
			if len(rest) < 8 {
				return time.Time{}, nil, errCodec
			}
			values[string(key)] = int64(binary.BigEndian.Uint64(rest))
			rest = rest[8:]
		case tagBool:
			if len(rest) < 1 || rest[0] > 1 {
				return time.Time{}, nil, errCodec
			}
			values[string(key)] = rest[0] == 1
			rest = rest[1:]
		default:
			return time.Time{}, nil, errCodec
		}
		b = rest
	}
	return deadline, values, nil
}

func appendBytes(b, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

func readBytes(b []byte) (v, rest []byte, ok bool) {
	n, size := binary.Uvarint(b)
	if size <= 0 || n > math.MaxInt32 || uint64(len(b)-size) < n {
		return nil, nil, false
	}
	return b[size : size+int(n)], b[size+int(n):], true
}
