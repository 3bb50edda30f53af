package session

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// codec stores session values in a small binary form. scs's default gob
// codec builds its decoder anew for every load, which was 40% of the CPU
// of a logged-in page view; sessions hold only strings, bytes, int64 and
// bools, so a fixed format does the job without reflection.
//
// Layout: version byte, deadline (unix nanoseconds, 8 bytes), then for each
// value: key length (uvarint), key, type tag (1 byte), value.
type codec struct{}

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

func (codec) Encode(deadline time.Time, values map[string]interface{}) ([]byte, error) {
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
func (codec) Decode(b []byte) (time.Time, map[string]interface{}, error) {
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

// userVersion marks the layout of an encoded User.
const userVersion = 1

// encodeUser stores the logged-in person compactly: it is decoded on every
// logged-in page view, where JSON was 15% of the CPU. Fields are written in
// key order so equal users encode to equal bytes.
func encodeUser(u User) []byte {
	b := make([]byte, 0, 64+len(u.Subject)+48*len(u.Fields))
	b = append(b, userVersion)
	b = appendBytes(b, []byte(u.Subject))
	b = binary.BigEndian.AppendUint64(b, uint64(u.LoggedIn.UnixNano()))
	b = binary.AppendUvarint(b, uint64(len(u.Scopes)))
	for _, s := range u.Scopes {
		b = appendBytes(b, []byte(s))
	}
	keys := make([]string, 0, len(u.Fields))
	for k := range u.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = appendBytes(b, []byte(k))
		b = appendBytes(b, []byte(u.Fields[k]))
	}
	return b
}

func decodeUser(b []byte) (User, bool) {
	if len(b) < 1 || b[0] != userVersion {
		return User{}, false
	}
	b = b[1:]
	sub, b, ok := readBytes(b)
	if !ok || len(b) < 8 {
		return User{}, false
	}
	u := User{Subject: string(sub), LoggedIn: time.Unix(0, int64(binary.BigEndian.Uint64(b)))}
	b = b[8:]
	n, size := binary.Uvarint(b)
	if size <= 0 || n > uint64(len(b)) {
		return User{}, false
	}
	b = b[size:]
	u.Scopes = make([]string, 0, n)
	for range n {
		var s []byte
		if s, b, ok = readBytes(b); !ok {
			return User{}, false
		}
		u.Scopes = append(u.Scopes, string(s))
	}
	n, size = binary.Uvarint(b)
	if size <= 0 || n > uint64(len(b)) {
		return User{}, false
	}
	b = b[size:]
	u.Fields = make(map[string]string, n)
	for range n {
		var k, v []byte
		if k, b, ok = readBytes(b); !ok {
			return User{}, false
		}
		if v, b, ok = readBytes(b); !ok {
			return User{}, false
		}
		u.Fields[string(k)] = string(v)
	}
	return u, len(b) == 0 && u.Subject != ""
}
