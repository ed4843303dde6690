package web

func (s *Server) exportCSV(q *req)  { s.export(q, "csv", "text/csv") }
func (s *Server) exportJSON(q *req) { s.export(q, "json", "application/json") }

// export answers the filtered host list as a download in format.
func (s *Server) export(q *req, format, mediaType string) {
	x, err := s.app.Export(q.R.Context(), parseFilter(q.R), q.L.Lang, format, q.User.Email)
	if err != nil {
		s.fail(q, err)
		return
	}
	q.W.Header().Set("Content-Type", mediaType+"; charset=utf-8")
	q.W.Header().Set("Content-Disposition", `attachment; filename="vigie-export.`+format+`"`)
	if format == "json" {
		x.WriteJSON(q.W)
	} else {
		x.WriteCSV(q.W)
	}
}
