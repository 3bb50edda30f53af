package web

import (
	"log/slog"
	"maps"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/sgidweb/sgidweb/internal/access"
	"github.com/sgidweb/sgidweb/internal/session"
	"github.com/sgidweb/sgidweb/internal/sgid"
	"github.com/sgidweb/sgidweb/views/pages"
)

// reasonAccessDenied is the failed-login reason (metric label and audit
// reason) for a person the access policy refuses. The audit line adds the
// policy's own reason code (access.Reason) as policy_reason.
const reasonAccessDenied = "access_denied_policy"

// Failed-login reasons of the posting picker.
const (
	reasonChoiceExpired   = "posting_choice_expired"
	reasonChoiceCancelled = "posting_choice_cancelled"
)

// postingRoute is the posting picker: GET shows it, POST chooses.
const postingRoute = "/auth/posting"

// The messages the picker leaves on the home page when it has nothing to
// show. A flash and a redirect, not an error page, so that an htmx request
// (which swaps no error page) lands somewhere that explains.
const (
	flashChoiceExpired   = "This login took longer than ten minutes, so we stopped it to keep you safe. Nothing you shared was kept. Please log in again."
	flashNoChoicePending = "There is no login waiting for you to choose a posting. Please log in again."
	flashChoiceCancelled = "You did not choose a posting, so that login did not complete. Nothing it shared was kept."
)

// errChoiceInvalid answers a choice that names no posting on offer: a
// tampered or stale form. The held login stays, so the picker still works.
var errChoiceInvalid = &pageError{status: http.StatusBadRequest, reason: "posting_choice_invalid", title: "That choice didn't work",
	message: "The posting you chose is not one this login offered. Go back and choose again."}

// allowed is the access policy's answer for a logged-in person, by the
// posting they chose at login. Forward auth and the built-in proxy ask it
// on every request, so a session whose posting no longer passes after
// ACCESS_ALLOW changed is refused without logging anybody out.
func (s *Server) allowed(u session.User) access.Decision {
	return s.cfg.Access.Check(u.Posting)
}

// finishLogin decides what happens once sgID has named the person: a
// refusal, the posting picker, or the login itself.
func (s *Server) finishLogin(c echo.Context, user session.User, flow session.Flow) error {
	decision, offered := s.cfg.Access.DecideLogin(access.ParsePostings(user.Fields[access.OfficerScope]))
	switch {
	case !decision.Allowed:
		return s.refuseLogin(c, user.Subject, decision.Reason)
	case len(offered) > 1:
		return s.holdForChoice(c, session.PendingLogin{User: user, Postings: offered, Started: flow.Started, ReturnTo: flow.ReturnTo})
	case len(offered) == 1:
		user = withPosting(user, offered[0])
	}
	return s.completeLogin(c, user, flow.ReturnTo)
}

// withPosting makes posting the one the person logs in under: the session
// keeps it for the policy, and the officer details field holds it alone,
// so the pages and the gateway show the posting chosen and no other.
func withPosting(u session.User, posting access.Posting) session.User {
	u.Posting = &posting
	u.Fields = maps.Clone(u.Fields)
	u.Fields[access.OfficerScope] = posting.FieldValue()
	return u
}

// completeLogin logs the person in under a new session token and sends
// them on. It is counted once saved: a login the store did not keep is a
// failed one.
func (s *Server) completeLogin(c echo.Context, user session.User, returnTo string) error {
	user.LoggedIn = s.now()
	if err := s.sessions.Login(c.Request().Context(), user); err != nil {
		return err
	}
	s.renewCSRF(c)
	target := returnTo
	if target == "" {
		target = s.cfg.Path("/")
	}
	if err := s.redirect(c, target); err != nil {
		return err
	}
	s.metrics.LoginCompleted()
	s.metrics.SessionCreated()
	s.audit(c, auditLoginSucceeded, user.Subject, "")
	return nil
}

// refuseLogin answers a person the access policy does not admit: nobody is
// logged in, nothing they shared is kept (the caller's copy is dropped with
// the request), and the page says what the site requires, from its rules
// alone. The refusal is counted and audited under the subject's hash.
func (s *Server) refuseLogin(c echo.Context, sub string, reason access.Reason) error {
	s.metrics.LoginFailed(reasonAccessDenied)
	s.audit(c, auditLoginFailed, sub, reasonAccessDenied, slog.String("policy_reason", string(reason)))
	s.logger(c).Warn("request refused", "reason", reasonAccessDenied, "policy_reason", string(reason), "status", http.StatusForbidden)
	props := s.refusedProps(c)
	return s.render(c, http.StatusForbidden, pages.Refused(props), pages.Refused(props))
}

// refuseSession answers, with 403 and the refusal page, a logged-in person
// whose chosen posting the policy no longer admits (ACCESS_ALLOW changed
// since they logged in). They stay logged in, so they can log out and in
// again under another posting: the page's header shows who and Log out.
// It is logged
// (a warning with the policy's reason) but not audited: a proxy asks on
// every request, and one line per request would drown the audit trail.
func (s *Server) refuseSession(c echo.Context, user session.User, d access.Decision) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	s.logger(c).Warn("request refused", "reason", reasonAccessDenied, "policy_reason", string(d.Reason), "status", http.StatusForbidden)
	props := s.refusedProps(c)
	props.LoggedIn = true
	props.Page.Account = s.loggedInAccount(c, user)
	return s.render(c, http.StatusForbidden, pages.Refused(props), pages.Refused(props))
}

// refusedProps describes the site's rules for the refusal page.
func (s *Server) refusedProps(c echo.Context) pages.RefusedProps {
	return pages.RefusedProps{
		Page:         s.page("This site is not open to you"),
		Requirements: requirements(s.cfg.Access),
		RequestID:    RequestID(c.Request().Context()),
	}
}

// requirements turns the policy's rules into what the refusal page lists.
func requirements(p access.Policy) []pages.Requirement {
	var out []pages.Requirement
	for _, r := range p.Rules() {
		out = append(out, pages.Requirement{Kind: r.Kind, Values: r.Values})
	}
	return out
}

// holdForChoice keeps the login until the person picks a posting, under a
// new session token, and sends them to the picker.
func (s *Server) holdForChoice(c echo.Context, pending session.PendingLogin) error {
	if err := s.sessions.HoldLogin(c.Request().Context(), pending); err != nil {
		return err
	}
	s.logger(c).Info("login waits for a posting choice", "postings", len(pending.Postings))
	return s.redirect(c, s.cfg.Path(postingRoute))
}

// heldLogin finds the login waiting for a choice. found is false when
// there is none or it expired; the browser has then been sent home with a
// message, and an expiry counted as a failed login.
func (s *Server) heldLogin(c echo.Context) (p session.PendingLogin, found bool, err error) {
	ctx := c.Request().Context()
	p, res := s.sessions.HeldLogin(ctx)
	switch res {
	case session.FlowFound:
		return p, true, nil
	case session.FlowExpired:
		s.metrics.LoginFailed(reasonChoiceExpired)
		s.audit(c, auditLoginFailed, "", reasonChoiceExpired)
		s.sessions.SetFlash(ctx, pages.FlashError, flashChoiceExpired)
	default:
		// Back to the picker after choosing: already logged in, nothing
		// to explain.
		if _, loggedIn := s.sessions.CurrentUser(ctx); !loggedIn {
			s.sessions.SetFlash(ctx, pages.FlashError, flashNoChoicePending)
		}
	}
	return p, false, s.redirect(c, s.cfg.Path("/"))
}

// postingPicker shows the postings on offer.
func (s *Server) postingPicker(c echo.Context) error {
	p, found, err := s.heldLogin(c)
	if !found {
		return err
	}
	props := pages.PickerProps{
		Page:      s.page("Choose a posting"),
		CSRFToken: s.csrfToken(c),
		Postings:  postingChoices(p.Postings),
		Minutes:   int(session.FlowMaxAge.Minutes()),
	}
	return s.render(c, http.StatusOK, pages.Picker(props), nil)
}

// choosePosting completes the held login under the posting chosen, or
// drops it when the person cancels.
func (s *Server) choosePosting(c echo.Context) error {
	p, found, err := s.heldLogin(c)
	if !found {
		return err
	}
	ctx := c.Request().Context()
	if c.FormValue("cancel") != "" {
		s.sessions.DropHeldLogin(ctx)
		s.metrics.LoginFailed(reasonChoiceCancelled)
		s.audit(c, auditLoginFailed, p.User.Subject, reasonChoiceCancelled)
		s.sessions.SetFlash(ctx, pages.FlashInfo, flashChoiceCancelled)
		return s.redirect(c, s.cfg.Path("/"))
	}
	i, err := strconv.Atoi(c.FormValue("posting"))
	if err != nil || i < 0 || i >= len(p.Postings) {
		return errChoiceInvalid
	}
	chosen := p.Postings[i]
	// The offer was made under the policy of the instance that held the
	// login; another instance, or a restart in between, may have a new one.
	if d := s.cfg.Access.Check(&chosen); !d.Allowed {
		s.sessions.DropHeldLogin(ctx)
		return s.refuseLogin(c, p.User.Subject, d.Reason)
	}
	return s.completeLogin(c, withPosting(p.User, chosen), p.ReturnTo)
}

// postingChoices is what the picker shows of each posting: sgID's "NA"
// becomes "not provided", and every value is cut to the display bounds.
func postingChoices(postings []access.Posting) []pages.PostingChoice {
	out := make([]pages.PostingChoice, len(postings))
	for i, p := range postings {
		out[i] = pages.PostingChoice{
			Value:          strconv.Itoa(i),
			Title:          shown(p.EmploymentTitle),
			Agency:         shown(p.AgencyName),
			Department:     shown(p.DepartmentName),
			EmploymentType: shown(p.EmploymentType),
			WorkEmail:      shown(p.WorkEmail),
		}
	}
	return out
}

// shown is a posting value as the picker shows it: "" when sgID did not
// provide it, otherwise cut to the profile's bounds.
func shown(v string) string {
	if !access.Provided(v) {
		return ""
	}
	return sgid.Format("", v).Text
}
