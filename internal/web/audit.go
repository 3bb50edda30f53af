package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"

	"github.com/labstack/echo/v4"
)

// Audit events: one line each, message "audit".
const (
	auditLoginSucceeded = "login_succeeded"
	auditLoginFailed    = "login_failed"
	auditLogout         = "logout"
)

// SubjectHash names a person in the logs without naming them: an
// HMAC-SHA256 of the sgID sub under the audit key. The same person gets the
// same hash while the key stays the same; without the key the hash cannot be
// turned back into a sub, nor a known sub checked against the logs.
func SubjectHash(key []byte, sub string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(sub))
	return hex.EncodeToString(m.Sum(nil))
}

// audit writes one audit line for this request. sub may be empty when the
// person is unknown (most failures happen before sgID names them). extra
// adds fixed codes, never personal data.
func (s *Server) audit(c echo.Context, event, sub, reason string, extra ...slog.Attr) {
	attrs := []slog.Attr{slog.String("event", event)}
	if sub != "" {
		attrs = append(attrs, slog.String("subject_hash", SubjectHash(s.auditKey, sub)))
	}
	if reason != "" {
		attrs = append(attrs, slog.String("reason", reason))
	}
	attrs = append(attrs, extra...)
	s.logger(c).LogAttrs(c.Request().Context(), slog.LevelInfo, "audit", attrs...)
}
