package app

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sgidweb/sgidweb/internal/config"
)

// Without CSRF_KEY, instances that share the client secret (every instance
// of one site does) share the CSRF key, so a form one served another
// accepts; CSRF_KEY, when set, is the key.
func TestCSRFKeyFollowsTheClientSecretUnlessSet(t *testing.T) {
	key := func(secret, setting string) []byte {
		t.Helper()
		k, err := csrfKey(config.Config{ClientSecret: secret, CSRFKey: []byte(setting)})
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	one, again, other := key("secret-one", ""), key("secret-one", ""), key("secret-two", "")
	if len(one) != 32 || !bytes.Equal(one, again) {
		t.Errorf("the same secret must give the same 32-byte key: %x, %x", one, again)
	}
	if bytes.Equal(one, other) {
		t.Error("different secrets gave the same key")
	}
	if bytes.Contains(one, []byte("secret-one")) {
		t.Error("the key holds the secret")
	}
	set := strings.Repeat("k", 32)
	if got := key("secret-one", set); string(got) != set {
		t.Errorf("CSRF_KEY set: want it used, got %x", got)
	}
}
