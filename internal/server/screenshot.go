package server

import (
	"errors"
	"fmt"
	"net/http"
	"os"

	"github.com/certhunt/certhunt/internal/enrich"
)

// screenshot serves an incident's suspect-site PNG (protected: the protected site's, as
// compared), 404 when none was taken. The file is named by the stored incident's ID alone.
func (s *Server) screenshot(protected bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		inc, ok := s.incident(w, r)
		if !ok {
			return
		}
		file := ""
		if s.Screenshots != "" {
			file = enrich.File(s.Screenshots, inc.ID, protected)
		}
		f, err := os.Open(file)
		if file == "" || errors.Is(err, os.ErrNotExist) {
			writeError(w, http.StatusNotFound, fmt.Errorf("incident %s has no screenshot", inc.ID))
			return
		}
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "private, no-cache")
		http.ServeContent(w, r, "", fi.ModTime(), f)
	}
}
