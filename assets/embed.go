// Package assets holds the site's static files (CSS and the vendored htmx) and
// gives each one a content-hashed URL, so the server can send them with a
// long-lived cache header and a change to a file is a change to its URL.
package assets

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
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
	nameByHashed = map[string]string{} // "css/app.3f2a9c1b.css" -> "css/app.css"
	// pathByName is what Path returns for each embedded file, made once:
	// every page asks for the stylesheet and the script.
	pathByName = map[string]string{} // "css/app.css" -> "/assets/css/app.3f2a9c1b.css"

	// disk is the folder UseDir chose, nil when the embedded files are served.
	disk fs.FS
)

// UseDir serves the files in dir (the assets folder of a checkout) instead
// of the embedded ones, under their plain names and read afresh on every
// request, so an edit to the CSS shows on the next reload without a
// rebuild. It is for the development loop: call it once, before serving.
// Files cannot escape dir, not even through symbolic links.
func UseDir(dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("assets: open %s: %w", dir, err)
	}
	disk = root.FS()
	return nil
}

// UseEmbedded goes back to the files built into the binary.
func UseEmbedded() { disk = nil }

// FromDisk reports whether UseDir is in effect.
func FromDisk() bool { return disk != nil }

// Files is the file system Lookup's names open in: the embedded files, or
// the folder given to UseDir.
func Files() fs.FS {
	if disk != nil {
		return disk
	}
	return FS
}

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
		nameByHashed[hashed] = name
		pathByName[name] = Prefix + hashed
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
// 404 in the browser rather than a crash while rendering. After UseDir every
// name is unhashed: the files on disk change without the binary knowing.
func Path(name string) string {
	name = strings.TrimPrefix(name, "/")
	if disk != nil {
		return Prefix + name
	}
	if p, ok := pathByName[name]; ok {
		return p
	}
	return Prefix + name
}

// Lookup maps a path as Path returns it back to the file name to open in
// Files. It accepts the full URL path ("/assets/css/app.3f2a9c1b.css") or
// the part after the prefix ("css/app.3f2a9c1b.css"), as a router's
// wildcard parameter gives it. ok is false for anything Path did not
// produce, including unhashed and stale names; after UseDir, for any name
// that is not a file in the folder.
func Lookup(hashedPath string) (name string, ok bool) {
	p := strings.TrimPrefix(hashedPath, Prefix)
	if p == hashedPath {
		p = strings.TrimPrefix(p, "/")
	}
	if disk != nil {
		if !fs.ValidPath(p) {
			return "", false
		}
		fi, err := fs.Stat(disk, p)
		return p, err == nil && fi.Mode().IsRegular()
	}
	name, ok = nameByHashed[p]
	return name, ok
}
