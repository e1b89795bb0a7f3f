// Package redact hides the secrets a URL can carry (user:password@ and token-like query
// values) wherever certhunt shows, logs or exports the URL: API answers, the UI, metric labels,
// log lines and error texts. The URL itself is still used, unredacted, to connect.
package redact

import (
	"net/url"
	"strings"
)

// Mask replaces each secret.
const Mask = "REDACTED"

// secretWords mark query parameters whose values are secrets (token=, api_key=, sig=...).
var secretWords = []string{"token", "key", "secret", "pass", "pwd", "auth", "sig", "session", "credential", "jwt", "code"}

func secretParam(name string) bool {
	name = strings.ToLower(name)
	for _, w := range secretWords {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}

// URL returns raw with its user information and secret query values masked. A string that
// does not parse as a URL is returned masked whole when it could hold a secret.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if strings.ContainsAny(raw, "@?") {
			return Mask
		}
		return raw
	}
	changed := false
	if u.User != nil {
		u.User = url.User(Mask)
		changed = true
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k, vs := range q {
			if secretParam(k) {
				for i := range vs {
					vs[i] = Mask
				}
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
	if !changed {
		return raw // as given: re-encoding could change what the user wrote
	}
	return u.String()
}

// secrets lists the secret parts of raw, in the forms they can appear in a text.
func secrets(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	var out []string
	add := func(s string) {
		if len(s) >= 3 { // shorter ones would mask common text, and are no secret
			out = append(out, s, url.QueryEscape(s), url.PathEscape(s))
		}
	}
	if u.User != nil {
		add(u.User.Username())
		if p, ok := u.User.Password(); ok {
			add(p)
		}
	}
	for k, vs := range u.Query() {
		if secretParam(k) {
			for _, v := range vs {
				add(v)
			}
		}
	}
	return out
}

// Text masks in s every secret of the given URLs, for error texts that quote a URL.
func Text(s string, urls ...string) string {
	for _, raw := range urls {
		for _, secret := range secrets(raw) {
			s = strings.ReplaceAll(s, secret, Mask)
		}
	}
	return s
}

// Error wraps err so that its text has the secrets of urls masked; errors.Is and As still see
// err. A nil err stays nil.
func Error(err error, urls ...string) error {
	if err == nil {
		return nil
	}
	return &redacted{err: err, text: Text(err.Error(), urls...)}
}

type redacted struct {
	err  error
	text string
}

func (r *redacted) Error() string { return r.text }
func (r *redacted) Unwrap() error { return r.err }
