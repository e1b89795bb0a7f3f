package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/certhunt/certhunt/internal/incident"
)

// Campaigns: incidents grouped by shared infrastructure (incident.Campaign), listed, shown
// and closed together.

// campaignRoutes registers the routes of this file on mux.
func (s *Server) campaignRoutes(mux *router) {
	mux.HandleFunc("GET /api/v1/campaigns", s.listCampaigns)
	mux.HandleFunc("GET /api/v1/campaigns/{id}", s.getCampaign)
	mux.HandleFunc("POST /api/v1/campaigns/{id}/close", s.closeCampaign)
}

func (s *Server) listCampaigns(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := incident.CampaignFilter{Status: q.Get("status"), Asset: q.Get("asset")}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			writeError(w, http.StatusBadRequest, fmt.Errorf("limit %q is not a number from 1 to 500", v))
			return
		}
		f.Limit = n
	}
	list, err := s.Store.Campaigns(r.Context(), f)
	switch {
	case errors.Is(err, incident.ErrBadFilter):
		writeError(w, http.StatusBadRequest, err)
	case err != nil:
		s.internalError(w, r, err)
	default:
		writeJSON(w, http.StatusOK, map[string]any{"campaigns": list})
	}
}

func (s *Server) getCampaign(w http.ResponseWriter, r *http.Request) {
	c, err := s.Store.Campaign(r.Context(), r.PathValue("id"))
	switch {
	case errors.Is(err, incident.ErrCampaignNotFound):
		writeError(w, http.StatusNotFound, fmt.Errorf("campaign %q not found", r.PathValue("id")))
	case err != nil:
		s.internalError(w, r, err)
	default:
		writeJSON(w, http.StatusOK, c)
	}
}

// closeCampaign closes every open incident of a campaign with one verdict: body
// {"verdict": "...", "note": "..."}. Each incident's history records the change and its
// author, as a PATCH does; the log records the whole action.
func (s *Server) closeCampaign(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Verdict string `json:"verdict"`
		Note    string `json:"note"`
	}
	if !readJSON(w, r, 128<<10, &req) {
		return
	}
	c, closed, err := s.Store.CloseCampaign(r.Context(), r.PathValue("id"), req.Verdict, req.Note, author(r))
	switch {
	case errors.Is(err, incident.ErrCampaignNotFound):
		writeError(w, http.StatusNotFound, fmt.Errorf("campaign %q not found", r.PathValue("id")))
		return
	case errors.Is(err, incident.ErrBadFilter):
		writeError(w, http.StatusBadRequest, err)
		return
	case err != nil:
		if len(closed) > 0 {
			s.audit(r, "campaign partly closed", "campaign", r.PathValue("id"), "verdict", req.Verdict, "incidents", closed)
		}
		s.internalError(w, r, err)
		return
	}
	s.audit(r, "campaign closed", "campaign", c.ID, "verdict", req.Verdict, "incidents", closed)
	writeJSON(w, http.StatusOK, map[string]any{"campaign": c, "closed": closed})
}

// withCampaigns fills the incidents' campaign field. A failure leaves it empty and is
// logged: the incidents are still worth answering.
func (s *Server) withCampaigns(ctx context.Context, incs ...*incident.Incident) {
	if len(incs) == 0 {
		return
	}
	ids := make([]string, len(incs))
	for i, inc := range incs {
		ids[i] = inc.ID
	}
	of, err := s.Store.CampaignOf(ctx, ids...)
	if err != nil {
		if s.Logger != nil && ctx.Err() == nil {
			s.Logger.Warn("reading campaigns", "err", err)
		}
		return
	}
	for _, inc := range incs {
		inc.Campaign = of[inc.ID]
	}
}
