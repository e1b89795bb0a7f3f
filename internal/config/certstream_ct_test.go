package config

import (
	"strings"
	"testing"
	"time"
)

// The heartbeat defaults to 10 s (clients time out after 15 s) and the contact is empty;
// bad values name their key.
func TestHeartbeatAndContact(t *testing.T) {
	c := Default()
	if c.CertstreamServer.Heartbeat != 10*time.Second || c.Sources.CT.Contact != "" {
		t.Fatalf("defaults: heartbeat %v, contact %q", c.CertstreamServer.Heartbeat, c.Sources.CT.Contact)
	}
	for yaml, key := range map[string]string{
		"certstream_server: {heartbeat: 1ms}":     "certstream_server.heartbeat",
		"sources: {ct: {contact: \"me (at) x\"}}": "sources.ct.contact",
	} {
		c, err := Parse([]byte(yaml), "test.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s: %v", yaml, err)
		}
	}
	c, err := Parse([]byte("certstream_server: {heartbeat: 5s}\nsources: {ct: {contact: https://example.org/ct}}"), "test.yaml")
	if err != nil || c.Validate() != nil || c.CertstreamServer.Heartbeat != 5*time.Second || c.Sources.CT.Contact != "https://example.org/ct" {
		t.Errorf("valid values: %v %+v", err, c)
	}
}
