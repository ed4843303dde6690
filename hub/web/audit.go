package web

import (
	"net/http"
	"strconv"

	"github.com/vigie-cyber/vigie/hub/store"
)

// AuditPageSize is how many entries one page of the audit log shows.
const AuditPageSize = 100

type auditData struct {
	Entries []store.AuditEntry
	Older   int64 // ?before= of the next page; 0 when this is the last
}

// audit shows the audit log, newest first, AuditPageSize entries a page
// (?before=ID continues after entry ID).
func (s *Server) audit(q *req) {
	s.flushThrottled(q.R.Context(), true)
	var before int64
	if v := q.R.URL.Query().Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			s.message(q, http.StatusBadRequest, q.L.F("badinput", "before"))
			return
		}
		before = n
	}
	log, err := s.cfg.Store.AuditPage(q.R.Context(), before, AuditPageSize+1)
	if err != nil {
		s.fail(q, err)
		return
	}
	d := auditData{Entries: log}
	if len(log) > AuditPageSize {
		d.Entries = log[:AuditPageSize]
		d.Older = d.Entries[AuditPageSize-1].ID
	}
	s.render(q, http.StatusOK, "audit", q.L.T("audit"), d)
}
