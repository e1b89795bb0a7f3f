package app

import (
	"encoding/base64"
	"fmt"
	"io"
	"time"

	"github.com/certhunt/certhunt/internal/export"
	"github.com/certhunt/certhunt/internal/incident"
)

// decodeKey reads a base64 DER public key from the config; an empty or unreadable key yields
// nil (NewLogInfo then reports a bad key, or follows without verification when none is given).
func decodeKey(b64 string) []byte {
	if b64 == "" {
		return nil
	}
	der, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return []byte(b64) // let NewLogInfo name the bad key
	}
	return der
}

func exportIncidents(w io.Writer, format string, incs []incident.Incident) (string, error) {
	switch format {
	case "csv":
		return "text/csv; charset=utf-8", export.CSV(w, incs)
	case "stix":
		return "application/stix+json;version=2.1", export.STIX(w, incs, time.Now())
	}
	return "", fmt.Errorf("format %q is not csv or stix", format)
}
