package server

import (
	"errors"
	"net/http"
)

var errNoHunts = errors.New("no hunts: this node is not in a cluster (certhunt hunt needs cluster.nats_url)")

// listHunts is GET /api/v1/hunts: the newest hunts first, with their progress.
func (s *Server) listHunts(w http.ResponseWriter, r *http.Request) {
	if s.Hunts == nil {
		writeError(w, http.StatusNotFound, errNoHunts)
		return
	}
	hunts, err := s.Hunts(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"hunts": hunts})
}

// getHunt is GET /api/v1/hunts/{id}: one hunt's progress.
func (s *Server) getHunt(w http.ResponseWriter, r *http.Request) {
	if s.Hunt == nil {
		writeError(w, http.StatusNotFound, errNoHunts)
		return
	}
	h, err := s.Hunt(r.Context(), r.PathValue("id"))
	switch {
	case err != nil:
		s.internalError(w, r, err)
	case h == nil:
		writeError(w, http.StatusNotFound, errors.New("hunt not found"))
	default:
		writeJSON(w, http.StatusOK, h)
	}
}
