package buildinfo

import "testing"

func TestUserAgent(t *testing.T) {
	Version = "v1.2.3"
	defer func() { Version = "" }()
	if got := UserAgent(""); got != "certhunt/v1.2.3" {
		t.Errorf("UserAgent() = %q", got)
	}
	if got := UserAgent("https://example.org/ct"); got != "certhunt/v1.2.3 (+https://example.org/ct)" {
		t.Errorf("UserAgent(contact) = %q", got)
	}
}
