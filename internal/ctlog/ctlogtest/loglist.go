package ctlogtest

import (
	"encoding/base64"
	"encoding/json"

	"github.com/certhunt/certhunt/internal/ctlog"
)

// LogListJSON is a v3 log list naming logs as usable, for pointing sources.ct.log_list at
// loopback logs.
func LogListJSON(logs ...ctlog.LogInfo) []byte {
	rfc, tiled := []any{}, []any{}
	for _, l := range logs {
		e := map[string]any{"description": l.Name, "log_id": base64.StdEncoding.EncodeToString(l.LogID),
			"key": base64.StdEncoding.EncodeToString(l.KeyDER), "mmd": 86400,
			"state": map[string]any{"usable": map[string]any{"timestamp": "2026-01-01T00:00:00Z"}}}
		if l.Type == ctlog.TypeStatic {
			e["submission_url"], e["monitoring_url"] = l.SubmissionURL, l.URL
			tiled = append(tiled, e)
		} else {
			e["url"] = l.URL
			rfc = append(rfc, e)
		}
	}
	data, _ := json.Marshal(map[string]any{"version": "test", "log_list_timestamp": "2026-01-01T00:00:00Z",
		"operators": []any{map[string]any{"name": "test", "email": []string{}, "logs": rfc, "tiled_logs": tiled}}})
	return data
}
