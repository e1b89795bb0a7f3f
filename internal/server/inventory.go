package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/names"
)

// InventoryOptions shape the inventory's flags: names whose newest certificate expires within
// ExpiryWindow, and names first seen within NewWindow.
type InventoryOptions struct {
	ExpiryWindow, NewWindow time.Duration
}

// inventory answers GET /api/v1/inventory?domain=&limit=: the protected domains' own
// certificates seen in CT (all of them when domain is empty).
func (s *Server) inventory(w http.ResponseWriter, r *http.Request) {
	q := incident.InventoryQuery{ExpiryWindow: s.Inventory.ExpiryWindow, NewWindow: s.Inventory.NewWindow}
	if d := r.URL.Query().Get("domain"); d != "" {
		n, err := names.Parse(d)
		if err != nil || n.Wildcard {
			writeError(w, http.StatusBadRequest, fmt.Errorf("domain: %q is not a domain name", truncateRunes(d, 64)))
			return
		}
		q.Asset = n.ASCII
	}
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, http.StatusBadRequest, errors.New("limit: must be a number from 1 to 1000"))
			return
		}
		q.Limit = n
	}
	inv, err := s.Store.Inventory(r.Context(), q)
	switch {
	case errors.Is(err, incident.ErrBadFilter):
		writeError(w, http.StatusBadRequest, err)
		return
	case err != nil:
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"domain": inv.Domain, "names": inv.Names,
		"certificates": inv.Certificates, "truncated": inv.Truncated,
		"expiry_window": s.Inventory.ExpiryWindow.String(), "new_name_window": s.Inventory.NewWindow.String()})
}

// truncateRunes cuts s to at most n runes, for echoing client input in errors.
func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
