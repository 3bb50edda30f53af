// Package htmx reads and writes the headers htmx uses, so handlers never
// spell them out.
package htmx

import "net/http"

// IsRequest reports whether htmx made the request.
func IsRequest(r *http.Request) bool { return r.Header.Get("HX-Request") == "true" }

// IsFragmentRequest reports whether the request wants a region alone: an htmx
// swap, not a boosted navigation that needs the whole page.
func IsFragmentRequest(r *http.Request) bool {
	return IsRequest(r) && r.Header.Get("HX-Boosted") != "true"
}

// Redirect sends the browser to target. htmx does not follow 3xx answers to
// its own requests as page navigations, so for htmx the answer is 204 with
// HX-Redirect; every other client gets a plain 303 See Other.
func Redirect(w http.ResponseWriter, r *http.Request, target string) {
	if IsRequest(r) {
		w.Header().Set("HX-Redirect", target)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Location", target)
	w.WriteHeader(http.StatusSeeOther)
}
