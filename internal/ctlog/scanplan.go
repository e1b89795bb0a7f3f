package ctlog

import (
	"context"
	"fmt"
	"net/url"
	"strings"
)

// FindLog returns the log of logs whose URL (or static submission URL) is u, compared
// without case in scheme and host and without a trailing slash, so that `certhunt scan`
// names a log as `serve` does.
func FindLog(logs []LogInfo, u string) (LogInfo, bool) {
	want := normalLogURL(u)
	for _, l := range logs {
		if normalLogURL(l.URL) == want || (l.SubmissionURL != "" && normalLogURL(l.SubmissionURL) == want) {
			return l, true
		}
	}
	return LogInfo{}, false
}

func normalLogURL(s string) string {
	p, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return s
	}
	p.Scheme, p.Host = strings.ToLower(p.Scheme), strings.ToLower(p.Host)
	return strings.TrimRight(p.String(), "/")
}

// RangeError is a scan range that does not fit the log: a usage error, not a failure.
type RangeError struct{ msg string }

func (e *RangeError) Error() string { return e.msg }

// ScanBounds checks [from, to) against the log's current tree head before any reading,
// and returns the end (to < 0: the tree size). A range that does not fit is a *RangeError.
func ScanBounds(ctx context.Context, info LogInfo, from, to int64, opts FollowerOptions) (int64, error) {
	if from < 0 {
		return 0, &RangeError{fmt.Sprintf("-from %d is negative", from)}
	}
	if to >= 0 && to < from {
		return 0, &RangeError{fmt.Sprintf("-to %d is before -from %d", to, from)}
	}
	opts = opts.withDefaults()
	client, err := newClient(info, opts)
	if err != nil {
		return 0, err
	}
	th, err := scanTreeHead(ctx, client, opts)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", info.URL, err)
	}
	if to < 0 {
		to = th.Size
	}
	if to > th.Size {
		return 0, &RangeError{fmt.Sprintf("-to %d is beyond the tree size %d of %s", to, th.Size, info.URL)}
	}
	if from > to {
		return 0, &RangeError{fmt.Sprintf("-from %d is past the end of %s (tree size %d)", from, info.URL, th.Size)}
	}
	return to, nil
}
