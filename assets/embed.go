// Package assets holds the site's static files (CSS and the vendored htmx) and
// gives each one a content-hashed URL, so the server can send them with a
// long-lived cache header and a change to a file is a change to its URL.
package assets

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"path"
	"strings"
)

// FS holds every file under css/ and js/, named relative to this directory,
// e.g. "css/app.css".
//
//go:embed css js
var FS embed.FS

// Prefix is the URL path under which the server serves assets.
const Prefix = "/assets/"

// hashLen is how many hex digits of the SHA-256 go into a hashed name:
// 32 bits is plenty to tell two versions of one file apart.
const hashLen = 8

var (
	hashedByName = map[string]string{} // "css/app.css" -> "css/app.3f2a9c1b.css"
	nameByHashed = map[string]string{} // the reverse
)

func init() {
	err := fs.WalkDir(FS, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := FS.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		hashed := hashedName(name, hex.EncodeToString(sum[:])[:hashLen])
		hashedByName[name] = hashed
		nameByHashed[hashed] = name
		return nil
	})
	if err != nil {
		// The files are compiled into the binary; failing to read them is a
		// build defect, not a runtime condition.
		panic("assets: index embedded files: " + err.Error())
	}
}

// hashedName puts the hash before the last extension, so the file keeps its
// type: "js/htmx-2.0.8.min.js" -> "js/htmx-2.0.8.min.<hash>.js".
func hashedName(name, hash string) string {
	ext := path.Ext(name)
	return strings.TrimSuffix(name, ext) + "." + hash + ext
}

// Path returns the URL path of the embedded file name (e.g. "css/app.css"),
// with a content hash: "/assets/css/app.3f2a9c1b.css". For a name that is not
// embedded it returns the unhashed "/assets/"+name, so a typo shows up as a
// 404 in the browser rather than a crash while rendering.
func Path(name string) string {
	name = strings.TrimPrefix(name, "/")
	if hashed, ok := hashedByName[name]; ok {
		return Prefix + hashed
	}
	return Prefix + name
}

// Lookup maps a hashed path back to the embedded file name to open in FS.
// It accepts the full URL path as Path returns it ("/assets/css/app.3f2a9c1b.css")
// or the part after the prefix ("css/app.3f2a9c1b.css"), as a router's
// wildcard parameter gives it. ok is false for anything Path did not produce,
// including unhashed and stale names.
func Lookup(hashedPath string) (name string, ok bool) {
	p := strings.TrimPrefix(hashedPath, Prefix)
	if p == hashedPath {
		p = strings.TrimPrefix(p, "/")
	}
	name, ok = nameByHashed[p]
	return name, ok
}
