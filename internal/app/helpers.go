package app

import (
	"fmt"
	"io"
	"time"

	"github.com/certhunt/certhunt/internal/export"
	"github.com/certhunt/certhunt/internal/incident"
)

func exportIncidents(w io.Writer, format string, incs []incident.Incident) (string, error) {
	switch format {
	case "csv":
		return "text/csv; charset=utf-8", export.CSV(w, incs)
	case "stix":
		return "application/stix+json;version=2.1", export.STIX(w, incs, time.Now())
	}
	return "", fmt.Errorf("format %q is not csv or stix", format)
}
