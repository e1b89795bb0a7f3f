package server

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/certhunt/certhunt/internal/incident"
)

// getEnrichment answers the incident's evidence alone; {} until it is first gathered.
func (s *Server) getEnrichment(w http.ResponseWriter, r *http.Request) {
	inc, ok := s.incident(w, r)
	if !ok {
		return
	}
	if inc.Enrichment == nil {
		writeJSON(w, http.StatusOK, struct{}{})
		return
	}
	writeJSON(w, http.StatusOK, inc.Enrichment)
}

// enrich asks for a look at the incident now: 202 once queued, 503 when the queue is full
// or enrichment is off.
func (s *Server) enrich(w http.ResponseWriter, r *http.Request) {
	inc, ok := s.incident(w, r)
	if !ok {
		return
	}
	if s.Enrich == nil {
		writeError(w, http.StatusServiceUnavailable, errors.New("enrichment is off (enrich.enabled)"))
		return
	}
	if !s.Enrich(incident.EnrichTarget{ID: inc.ID, Domain: inc.Domain, RegisteredDomain: inc.RegisteredDomain}) {
		w.Header().Set("Retry-After", "60")
		writeError(w, http.StatusServiceUnavailable, errors.New("the enrichment queue is full; try again later"))
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"queued": true, "id": inc.ID})
}

func (s *Server) incident(w http.ResponseWriter, r *http.Request) (*incident.Incident, bool) {
	inc, err := s.Store.Get(r.Context(), r.PathValue("id"))
	if errors.Is(err, incident.ErrNotFound) {
		writeError(w, http.StatusNotFound, fmt.Errorf("incident %q not found", r.PathValue("id")))
		return nil, false
	}
	if err != nil {
		s.internalError(w, r, err)
		return nil, false
	}
	return inc, true
}
