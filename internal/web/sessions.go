package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sgidweb/sgidweb/internal/session"
	"github.com/sgidweb/sgidweb/views/pages"
)

// sessionsRoute is the page where a logged-in person sees and ends their
// sessions (OWASP ASVS 5.0 V7.5: see and terminate active sessions).
const sessionsRoute = "/sessions"

// Audit events of the sessions page.
const (
	auditSessionEnded        = "session_ended"
	auditOtherSessionsEnded  = "other_sessions_ended"
	sessionCauseEndedByOwner = "ended_by_owner"
)

// The messages the sessions page leaves for itself.
const (
	flashSessionEnded      = "That session is ended: the browser is logged out."
	flashSessionGone       = "That session had already ended."
	flashNoOtherSessions   = "There were no other sessions to end."
	flashOtherSessionEnded = "Your other session is ended: that browser is logged out."
)

func flashOthersEnded(n int) string {
	return fmt.Sprintf("Your %d other sessions are ended: those browsers are logged out.", n)
}

// sessionTimeZone is where the times on the page are told: sgID's people
// are in Singapore, and the server's own zone says nothing to them.
var sessionTimeZone = time.FixedZone("SGT", 8*60*60)

// sessionsPage lists the person's sessions; someone not logged in is sent
// home, where the login is.
func (s *Server) sessionsPage(c echo.Context) error {
	ctx := c.Request().Context()
	user, ok := s.sessions.CurrentUser(ctx)
	if !ok {
		return s.redirect(c, s.cfg.Path("/"))
	}
	list, err := s.sessions.Sessions(ctx)
	if err != nil {
		return err
	}
	props := pages.SessionsProps{Page: s.page("Your sessions"), CSRFToken: s.csrfToken(c), Sessions: sessionItems(list, s.now())}
	props.Page.Account = s.loggedInAccount(c, user)
	// A HEAD shows nothing, so it must not spend the one-off message.
	if c.Request().Method == http.MethodGet {
		if kind, msg, ok := s.sessions.PopFlash(ctx); ok {
			props.Flash = &pages.Flash{Kind: kind, Message: msg}
		}
	}
	return s.render(c, http.StatusOK, pages.Sessions(props), nil)
}

// sessionItems formats the list for the page. This browser's session is
// being used now, whatever its entry recorded minutes ago.
func sessionItems(list []session.SessionInfo, now time.Time) []pages.SessionItem {
	items := make([]pages.SessionItem, 0, len(list))
	for _, si := range list {
		lastSeen := si.LastSeen
		if si.Current {
			lastSeen = now
		}
		items = append(items, pages.SessionItem{ID: si.ID, Browser: si.Browser, Current: si.Current,
			Started: moment(si.Started), LastSeen: moment(lastSeen)})
	}
	return items
}

func moment(t time.Time) pages.Moment {
	t = t.In(sessionTimeZone)
	return pages.Moment{Text: t.Format("2 Jan 2006, 3:04 pm"), DateTime: t.Format(time.RFC3339)}
}

// endSession ends one of the person's other sessions. The store forgets
// it, so that browser is logged out on its next request, on any instance.
func (s *Server) endSession(c echo.Context) error {
	ctx := c.Request().Context()
	user, ok := s.sessions.CurrentUser(ctx)
	if !ok {
		return s.redirect(c, s.cfg.Path("/"))
	}
	ended, err := s.sessions.EndSession(ctx, c.FormValue("session"))
	if err != nil {
		return err
	}
	if ended {
		s.metrics.SessionDestroyed(sessionCauseEndedByOwner)
		s.audit(c, auditSessionEnded, user.Subject, "")
		s.sessions.SetFlash(ctx, pages.FlashSuccess, flashSessionEnded)
	} else {
		s.sessions.SetFlash(ctx, pages.FlashInfo, flashSessionGone)
	}
	return s.redirect(c, s.cfg.Path(sessionsRoute))
}

// endOtherSessions ends every session of the person but this one.
func (s *Server) endOtherSessions(c echo.Context) error {
	ctx := c.Request().Context()
	user, ok := s.sessions.CurrentUser(ctx)
	if !ok {
		return s.redirect(c, s.cfg.Path("/"))
	}
	n, err := s.sessions.EndOtherSessions(ctx)
	if err != nil {
		return err
	}
	for range n {
		s.metrics.SessionDestroyed(sessionCauseEndedByOwner)
	}
	switch n {
	case 0:
		s.sessions.SetFlash(ctx, pages.FlashInfo, flashNoOtherSessions)
	case 1:
		s.audit(c, auditOtherSessionsEnded, user.Subject, "")
		s.sessions.SetFlash(ctx, pages.FlashSuccess, flashOtherSessionEnded)
	default:
		s.audit(c, auditOtherSessionsEnded, user.Subject, "")
		s.sessions.SetFlash(ctx, pages.FlashSuccess, flashOthersEnded(n))
	}
	return s.redirect(c, s.cfg.Path(sessionsRoute))
}
