package web

import (
	"cmp"
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/sgidweb/sgidweb/internal/session"
	"github.com/sgidweb/sgidweb/internal/sgid"
	"github.com/sgidweb/sgidweb/views/pages"
)

// pageError is a failure the person should read about: a status, plain
// words, and a reason code for the logs.
type pageError struct {
	status  int
	reason  string
	title   string
	message string
	// retryURL is where "Try again" leads; the home page when empty.
	retryURL string
}

func (e *pageError) Error() string { return "web: " + e.reason }

// retryAt is e with "Try again" leading to uri: the 502 page of the guard
// retries the address that failed, and the gallery shows the same.
func (e *pageError) retryAt(uri string) *pageError {
	again := *e
	again.retryURL = uri
	return &again
}

// statusClientGone is what the access log and metrics record for a
// request whose client went away before the answer (nginx's code for it):
// the client's doing, not a failure of ours. Nobody receives it.
const statusClientGone = 499

// errClientClosed is the "page" for a client that has gone: nobody reads
// it, so it has no words.
var errClientClosed = &pageError{status: statusClientGone, reason: "client_closed"}

// clientClosedError is errClientClosed with the error that showed it.
type clientClosedError struct{ err error }

func (e *clientClosedError) Error() string { return "web: client closed: " + e.err.Error() }
func (e *clientClosedError) Unwrap() error { return e.err }

// clientClosed marks err as the client going away (its body stopped, or it
// left before the guarded application answered).
func clientClosed(err error) error { return &clientClosedError{err: err} }

// handleError is the one place errors become pages. Nothing from the error
// itself is shown: only the words chosen here and the request id.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	req := c.Request()
	pe := classify(err)
	// A failure after the client went away (the request's context is
	// canceled) followed from its leaving: a store call or an sgID call
	// cut short, or a page whose rendering stopped.
	if pe.status >= 500 && errors.Is(req.Context().Err(), context.Canceled) {
		pe = errClientClosed
	}
	// The answer is made with a context that outlives the client's, so a
	// page decided on before the client left still renders, and the
	// session is still committed (a spent login flow stays spent).
	c.SetRequest(req.WithContext(context.WithoutCancel(req.Context())))
	log := s.logger(c)
	switch {
	case pe == errClientClosed:
		log.Info("client went away", "reason", pe.reason, "error", err.Error())
	case pe.status >= 500:
		log.Error("request failed", "reason", pe.reason, "status", pe.status, "error", err.Error())
	case pe.status != http.StatusNotFound && pe.status != http.StatusMethodNotAllowed:
		log.Warn("request refused", "reason", pe.reason, "status", pe.status)
	}
	// Only sgID's GET is a login attempt; a HEAD or POST there (a probe, a
	// scanner) answers 405 and is not counted as a failed login.
	if c.Path() == s.cfg.Path(callbackRoute) && c.Request().Method == http.MethodGet {
		s.metrics.LoginFailed(pe.reason)
		s.audit(c, auditLoginFailed, "", pe.reason)
	}
	props := pages.ErrorProps{
		Page:      s.page(pe.title),
		Status:    pe.status,
		Title:     pe.title,
		Message:   pe.message,
		RetryURL:  cmp.Or(pe.retryURL, s.cfg.Path("/")),
		RequestID: RequestID(c.Request().Context()),
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	if pe == errClientClosed || c.Request().Method == http.MethodHead {
		_ = c.NoContent(pe.status)
		return
	}
	if rerr := s.render(c, pe.status, pages.ErrorPage(props), pages.ErrorPage(props)); rerr != nil {
		log.Error("render error page", "error", rerr.Error())
		_ = c.String(http.StatusInternalServerError, "Something went wrong. Reference: "+props.RequestID)
	}
}

// classify maps any error to what the person sees.
func classify(err error) *pageError {
	var pe *pageError
	var he *echo.HTTPError
	var closed *clientClosedError
	switch {
	case errors.As(err, &pe):
		return pe
	case errors.As(err, &closed):
		return errClientClosed
	case errors.Is(err, session.ErrUnavailable):
		return &pageError{status: http.StatusServiceUnavailable, reason: "session_store_unavailable",
			title: "We can't log anyone in right now", message: "Our session storage is not answering. Please try again in a minute."}
	case errors.Is(err, context.DeadlineExceeded):
		return &pageError{status: http.StatusGatewayTimeout, reason: "timeout",
			title: "That took too long", message: "Please try again in a minute."}
	case errors.As(err, &he):
		switch he.Code {
		case http.StatusNotFound:
			return &pageError{status: he.Code, reason: "not_found", title: "Page not found", message: "There is no page at this address."}
		case http.StatusMethodNotAllowed:
			return &pageError{status: he.Code, reason: "method_not_allowed", title: "Not allowed", message: "This address does not accept that kind of request."}
		case http.StatusRequestEntityTooLarge:
			return &pageError{status: he.Code, reason: "body_too_large", title: "Request too large", message: "The request was larger than this site accepts."}
		}
		if he.Code >= 400 && he.Code < 500 {
			return &pageError{status: he.Code, reason: "bad_request", title: "Something was wrong with that request", message: "Go back to the home page and try again."}
		}
	}
	if reason := sgid.ReasonOf(err); reason != "" {
		return loginError(reason)
	}
	return &pageError{status: http.StatusInternalServerError, reason: "internal",
		title: "Something went wrong on our side", message: "Please try again. If it keeps happening, contact us with the reference below."}
}

// loginError explains a failed login by its sgid reason code.
func loginError(reason sgid.Reason) *pageError {
	pe := &pageError{status: http.StatusBadRequest, reason: string(reason), title: "Login didn't complete"}
	switch reason {
	case sgid.ReasonTimeout:
		pe.status = http.StatusGatewayTimeout
		pe.message = "sgID took too long to answer. Please try logging in again."
	case sgid.ReasonKeysUnavailable:
		pe.status = http.StatusServiceUnavailable
		pe.message = "We could not reach sgID to check your login. Please try again in a minute."
	case sgid.ReasonSigningKeyUnknown:
		// sgID signed with a key its published key set did not hold yet
		// (a rotation on its way), so a second try usually works.
		pe.status = http.StatusServiceUnavailable
		pe.message = "We could not check sgID's signature on your login just now, so nobody was logged in. Please try again."
	case sgid.ReasonDecryptFailed, sgid.ReasonUserinfoRejected:
		// sgID answered, but with data sealed to a key that is not ours or
		// a refusal of the access token it just issued: a registration or
		// upstream fault the person cannot fix by trying again.
		pe.status = http.StatusBadGateway
		pe.message = "This site could not read sgID's answer, so nobody was logged in. " +
			"The problem is on our side or sgID's, not yours; please try again later."
	default:
		if reason.Upstream() {
			pe.status = http.StatusBadGateway
			pe.message = "sgID did not answer as expected. Please try logging in again in a minute."
		} else {
			pe.message = "We could not confirm your login with sgID, so nobody was logged in. Please try again."
		}
	}
	return pe
}
