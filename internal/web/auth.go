package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/sgidweb/sgidweb/internal/gateway"
	"github.com/sgidweb/sgidweb/internal/session"
	"github.com/sgidweb/sgidweb/views/pages"
)

// The messages a login or logout leaves for the next page.
const (
	flashDenied    = "You chose not to share your data, so you are not logged in. Nothing was shared with this site."
	flashLoggedOut = "You have logged out."
)

// login starts a login from the "Login with sgID" form. An optional
// return_to form field names the page to land on afterwards.
func (s *Server) login(c echo.Context) error {
	return s.startLogin(c, c.FormValue("return_to"))
}

// loginLink starts a login from a link, GET {BASE_PATH}auth/login?return_to=,
// where a guarded page sends a person who is not logged in. Someone who is
// logged in already goes straight to return_to.
func (s *Server) loginLink(c echo.Context) error {
	if _, loggedIn := s.sessions.CurrentUser(c.Request().Context()); loggedIn {
		returnTo := s.returnTo(c, c.QueryParam("return_to"))
		if returnTo == "" {
			returnTo = s.cfg.Path("/")
		}
		return s.redirect(c, returnTo)
	}
	return s.startLogin(c, c.QueryParam("return_to"))
}

// returnTo keeps a return_to only when it is a path on this site.
func (s *Server) returnTo(c echo.Context, raw string) string {
	returnTo, ok := gateway.SafeReturnTo(raw)
	if !ok {
		s.logger(c).Warn("request refused", "reason", "return_to_not_local")
	}
	return returnTo
}

// startLogin keeps a fresh state, nonce and PKCE verifier in the session
// and sends the browser to sgID's authorize page.
func (s *Server) startLogin(c echo.Context, rawReturnTo string) error {
	ctx := c.Request().Context()
	req, err := s.sgid.NewAuthRequest()
	if err != nil {
		return err
	}
	returnTo := s.returnTo(c, rawReturnTo)
	s.sessions.AddFlow(ctx, session.Flow{State: req.State, Nonce: req.Nonce, Verifier: req.Verifier, Started: s.now(), ReturnTo: returnTo})
	if err := s.redirect(c, req.URL); err != nil {
		return err
	}
	s.logger(c).Info("login started")
	s.metrics.LoginStarted()
	return nil
}

// callbackQuery is what sgID sends back, capped so that a hostile link
// cannot make us hold or log large values.
type callbackQuery struct {
	code, state, errorCode string
}

const maxCallbackParam = 2048

// errCallbackMalformed answers a callback whose query is not one sgID
// sends: a value too long, code or state repeated, or no code with a
// state that matched.
var errCallbackMalformed = &pageError{status: http.StatusBadRequest, reason: "callback_malformed", title: "Login didn't complete",
	message: "The answer from sgID was not in a form we accept. Please try logging in again."}

func readCallback(c echo.Context) (callbackQuery, error) {
	q := c.QueryParams()
	cq := callbackQuery{code: q.Get("code"), state: q.Get("state"), errorCode: q.Get("error")}
	for _, v := range []string{cq.code, cq.state, cq.errorCode, q.Get("error_description")} {
		if len(v) > maxCallbackParam {
			return cq, errCallbackMalformed
		}
	}
	if len(q["code"]) > 1 || len(q["state"]) > 1 {
		return cq, errCallbackMalformed
	}
	return cq, nil
}

// callback finishes a login: it checks the state against a flow this
// browser started, exchanges the code, fetches the person's data and only
// then, if the access policy admits them, logs them in under a new session
// token (or first asks which of their postings to use).
func (s *Server) callback(c echo.Context) error {
	ctx := c.Request().Context()
	q, err := readCallback(c)
	if err != nil {
		return err
	}

	// The flow is taken (and so spent) whatever happens next: a callback
	// cannot be replayed, not even one that reports an error.
	flow, found := s.sessions.TakeFlow(ctx, q.state)

	// Back or reload after a finished login opens this address again, its
	// flow spent. Someone already logged in has nothing to fix: the home
	// page, still logged in, not an error. Nothing is exchanged, so a
	// forged callback gains nothing either. An anonymous person still
	// gets the explanation below.
	if found == session.FlowNone || found == session.FlowUnknown {
		if _, loggedIn := s.sessions.CurrentUser(ctx); loggedIn {
			s.logger(c).Info("callback opened again while logged in")
			return s.redirect(c, s.cfg.Path("/"))
		}
	}

	if q.errorCode != "" {
		if found != session.FlowFound {
			return flowError(found)
		}
		if q.errorCode == "access_denied" {
			s.metrics.LoginFailed("access_denied")
			s.audit(c, auditLoginFailed, "", "access_denied")
			s.sessions.SetFlash(ctx, pages.FlashInfo, flashDenied)
			return s.redirect(c, s.cfg.Path("/"))
		}
		// error_description is never shown or logged: it is the provider's
		// (or an attacker's) free text.
		return &pageError{status: http.StatusBadRequest, reason: "provider_error", title: "Login didn't complete",
			message: "sgID could not complete the login. Please try again."}
	}
	if found != session.FlowFound {
		return flowError(found)
	}
	if q.code == "" {
		return errCallbackMalformed
	}

	id, err := s.sgid.Exchange(ctx, q.code, flow.Verifier, flow.Nonce)
	if err != nil {
		return err
	}
	profile, err := s.sgid.Userinfo(ctx, id)
	if err != nil {
		return err
	}
	return s.finishLogin(c, session.User{Subject: profile.Subject, Fields: profile.Fields, Scopes: s.sgid.Scopes()}, flow)
}

func flowError(r session.FlowResult) *pageError {
	pe := &pageError{status: http.StatusBadRequest, title: "Login didn't complete"}
	switch r {
	case session.FlowNone:
		pe.reason = "no_login_in_progress"
		pe.message = "There is no login in progress in this browser. It may have been started in another browser, or you already finished it. Please start again."
	case session.FlowExpired:
		pe.reason = "flow_expired"
		pe.message = "This login took longer than ten minutes, so we stopped it to keep you safe. Please start again."
	default:
		pe.reason = "state_mismatch"
		pe.message = "This login answer does not match a login started in this browser, or it was already used. Please start again."
	}
	return pe
}

// logout ends the session on the server (the old cookie becomes worthless)
// and starts a fresh one for the goodbye message.
func (s *Server) logout(c echo.Context) error {
	ctx := c.Request().Context()
	user, loggedIn := s.sessions.CurrentUser(ctx)
	if err := s.sessions.Logout(ctx); err != nil {
		return err
	}
	if loggedIn {
		s.metrics.SessionDestroyed("logout")
		s.audit(c, auditLogout, user.Subject, "")
	}
	s.sessions.SetFlash(ctx, pages.FlashSuccess, flashLoggedOut)
	return s.redirect(c, s.cfg.Path("/"))
}
