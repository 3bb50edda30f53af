package web

import "time"

// Recorder counts what the server does, for metrics. internal/metrics
// implements it; web stays free of Prometheus.
type Recorder interface {
	LoginStarted()
	LoginCompleted()
	// LoginFailed gets a fixed reason code, never free text.
	LoginFailed(reason string)
	SessionCreated()
	SessionDestroyed(cause string)
	// Request gets the route pattern, never the path.
	Request(route, method string, status int, d time.Duration)
}

type noRecorder struct{}

func (noRecorder) LoginStarted()                              {}
func (noRecorder) LoginCompleted()                            {}
func (noRecorder) LoginFailed(string)                         {}
func (noRecorder) SessionCreated()                            {}
func (noRecorder) SessionDestroyed(string)                    {}
func (noRecorder) Request(string, string, int, time.Duration) {}
