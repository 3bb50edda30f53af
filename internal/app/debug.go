package app

import (
	"net/http"
	"net/http/pprof"
)

// debugHandler serves Go's profiler. It is mounted only on DEBUG_ADDR, a
// loopback listener of its own, never on the public one: profiles reveal
// the program's internals and cost CPU to take.
func debugHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	return mux
}
