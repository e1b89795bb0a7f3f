package redact

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"wss://certstream.example/full-stream", "wss://certstream.example/full-stream"},
		{"wss://alice:s3cret@certstream.example/full-stream", "wss://REDACTED@certstream.example/full-stream"},
		{"https://TOKENVALUE@feeds.example/x", "https://REDACTED@feeds.example/x"},
		{"https://feeds.example/list.json?token=abc123&format=json", "https://feeds.example/list.json?format=json&token=REDACTED"},
		{"https://feeds.example/x?api_key=abc123", "https://feeds.example/x?api_key=REDACTED"},
		{"https://feeds.example/x?page=2", "https://feeds.example/x?page=2"},
		{"ht tp://bad@x", "REDACTED"},
	} {
		if got := URL(tc.in); got != tc.want {
			t.Errorf("URL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTextAndError(t *testing.T) {
	raw := "wss://alice:p%40ss@h.example/s?token=tok-123"
	err := Error(fmt.Errorf("dial %s: %w", raw, io.EOF), raw)
	if s := err.Error(); strings.Contains(s, "tok-123") || strings.Contains(s, "p%40ss") || strings.Contains(s, "alice") {
		t.Errorf("secret left in %q", s)
	}
	if !errors.Is(err, io.EOF) {
		t.Error("the wrapped error is lost")
	}
	if Error(nil, raw) != nil {
		t.Error("nil error wrapped")
	}
}
