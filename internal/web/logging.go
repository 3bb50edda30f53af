package web

import (
	"context"
	"log/slog"
)

// LogHandler wraps h so that every record logged with a request's context
// carries that request's id, whoever logs it (handlers, the session layer,
// the embedded mock). Loggers that already carry a request_id attribute
// (Server.logger), and records that carry one themselves (the access log),
// are left alone, so the id is never written twice.
func LogHandler(h slog.Handler) slog.Handler { return requestIDHandler{next: h} }

type requestIDHandler struct {
	next  slog.Handler
	hasID bool
}

func (h requestIDHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if !h.hasID && !hasRequestID(r) {
		if id := RequestID(ctx); id != "" {
			r = r.Clone()
			r.AddAttrs(slog.String("request_id", id))
		}
	}
	return h.next.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	has := h.hasID
	for _, a := range attrs {
		has = has || a.Key == "request_id"
	}
	return requestIDHandler{next: h.next.WithAttrs(attrs), hasID: has}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{next: h.next.WithGroup(name), hasID: h.hasID}
}

// hasRequestID reports whether the record itself carries a request_id.
func hasRequestID(r slog.Record) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		found = a.Key == "request_id"
		return !found
	})
	return found
}
