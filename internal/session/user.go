package session

import (
	"encoding/binary"
	"math"
	"slices"
	"time"

	"github.com/sgidweb/sgidweb/internal/access"
)

// User is the person logged in: the sgID subject and the data they shared.
type User struct {
	Subject  string
	Fields   map[string]string
	Scopes   []string
	LoggedIn time.Time
	// Posting is the public officer posting the person logs in under
	// (chosen on the picker, or their only one that passes ACCESS_ALLOW);
	// nil when they have none. The access policy checks it on every
	// guarded request.
	Posting *access.Posting
}

// Name is the person's name when they shared it, for greetings.
func (u User) Name() string {
	if n := u.Fields["myinfo.name"]; n != "NA" {
		return n
	}
	return ""
}

// Layouts of an encoded User. Version 2 adds the chosen posting after the
// fields; a User without one is still written as version 1, which instances
// of the previous release read too (a rolling deploy logs nobody out).
const (
	userVersion        = 1
	userVersionPosting = 2
)

// encodeUser stores the logged-in person compactly: it is decoded on every
// logged-in page view, where JSON was 15% of the CPU. Fields are written in
// key order so equal users encode to equal bytes.
func encodeUser(u User) []byte {
	b := make([]byte, 0, 64+len(u.Subject)+48*len(u.Fields))
	if u.Posting != nil {
		b = append(b, userVersionPosting)
	} else {
		b = append(b, userVersion)
	}
	b = appendField(b, []byte(u.Subject))
	b = binary.BigEndian.AppendUint64(b, uint64(u.LoggedIn.UnixNano()))
	b = binary.AppendUvarint(b, uint64(len(u.Scopes)))
	for _, s := range u.Scopes {
		b = appendField(b, []byte(s))
	}
	keys := make([]string, 0, len(u.Fields))
	for k := range u.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = appendField(b, []byte(k))
		b = appendField(b, []byte(u.Fields[k]))
	}
	if p := u.Posting; p != nil {
		for _, v := range []string{p.WorkEmail, p.AgencyName, p.DepartmentName, p.EmploymentType, p.EmploymentTitle} {
			b = appendField(b, []byte(v))
		}
	}
	return b
}

func decodeUser(b []byte) (User, bool) {
	if len(b) < 1 || (b[0] != userVersion && b[0] != userVersionPosting) {
		return User{}, false
	}
	withPosting := b[0] == userVersionPosting
	b = b[1:]
	sub, b, ok := readField(b)
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
		if s, b, ok = readField(b); !ok {
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
		if k, b, ok = readField(b); !ok {
			return User{}, false
		}
		if v, b, ok = readField(b); !ok {
			return User{}, false
		}
		u.Fields[string(k)] = string(v)
	}
	if withPosting {
		var vals [5]string
		for i := range vals {
			var v []byte
			if v, b, ok = readField(b); !ok {
				return User{}, false
			}
			vals[i] = string(v)
		}
		u.Posting = &access.Posting{WorkEmail: vals[0], AgencyName: vals[1], DepartmentName: vals[2], EmploymentType: vals[3], EmploymentTitle: vals[4]}
	}
	return u, len(b) == 0 && u.Subject != ""
}

// appendField and readField frame a string as its length (uvarint) and its
// bytes. The session codec in package store frames its values the same
// way, but the two formats are versioned apart: a change to one must not
// make the other unreadable.
func appendField(b, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

func readField(b []byte) (v, rest []byte, ok bool) {
	n, size := binary.Uvarint(b)
	if size <= 0 || n > math.MaxInt32 || uint64(len(b)-size) < n {
		return nil, nil, false
	}
	return b[size : size+int(n)], b[size+int(n):], true
}
