package intel

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// A MISP feed (MISP's "feed" export, as served by misp-feed sites and `misp-feed` dirs) is a
// directory with manifest.json, an object keyed by event UUID, and one <uuid>.json per event.

// parseMISPManifest returns the event UUIDs a manifest lists. A key that is not a UUID is an
// error: keys become file names and URLs, so nothing else may pass.
func parseMISPManifest(r io.Reader) ([]string, error) {
	var manifest map[string]json.RawMessage
	if err := decodeJSON(r, &manifest); err != nil {
		return nil, fmt.Errorf("reading MISP manifest.json: %w", err)
	}
	ids := make([]string, 0, len(manifest))
	for id := range manifest {
		if !isUUID(id) {
			return nil, fmt.Errorf("reading MISP manifest.json: key %q is not an event UUID", id)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

type mispAttribute struct {
	Type      string          `json:"type"`
	Value     string          `json:"value"`
	Category  string          `json:"category"`
	Timestamp json.RawMessage `json:"timestamp"` // Unix seconds, as a string or a number
	FirstSeen string          `json:"first_seen"`
	Deleted   bool            `json:"deleted"`
}

type mispEvent struct {
	Event struct {
		Info      string          `json:"info"`
		Date      string          `json:"date"`
		Attribute []mispAttribute `json:"Attribute"`
		Object    []struct {
			Deleted   bool            `json:"deleted"`
			Attribute []mispAttribute `json:"Attribute"`
		} `json:"Object"`
	} `json:"Event"`
}

// parseMISPEvent reads one event file: its attributes and its objects' attributes of type
// domain, hostname, url, and the composites domain|ip and hostname|port.
func parseMISPEvent(r io.Reader, b *builder, id string) error {
	var ev mispEvent
	if err := decodeJSON(r, &ev); err != nil {
		return fmt.Errorf("reading MISP event %s: %w", id, err)
	}
	threat := ev.Event.Info
	if len(threat) > 120 {
		threat = threat[:120]
	}
	eventDate := parseTime(ev.Event.Date)
	add := func(a *mispAttribute) {
		if a.Deleted {
			return
		}
		seen := parseTime(a.FirstSeen)
		if seen.IsZero() {
			seen = unixTime(a.Timestamp)
		}
		if seen.IsZero() {
			seen = eventDate
		}
		switch a.Type {
		case "domain", "hostname":
			b.addHost(a.Value, threat, seen)
		case "domain|ip", "hostname|port":
			host, _, _ := strings.Cut(a.Value, "|")
			b.addHost(host, threat, seen)
		case "url":
			b.addURL(a.Value, threat, seen)
		}
	}
	for i := range ev.Event.Attribute {
		add(&ev.Event.Attribute[i])
	}
	for _, o := range ev.Event.Object {
		if o.Deleted {
			continue
		}
		for i := range o.Attribute {
			add(&o.Attribute[i])
		}
	}
	return nil
}

func unixTime(raw json.RawMessage) time.Time {
	s := strings.Trim(string(raw), `"`)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}
