package auth

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MinTokenLength is the shortest token accepted. A blank or short token is a configuration
// error, never silently dropped: dropping it once turned an empty token into an open server.
const MinTokenLength = 16

// Roles a token can have. Viewers only read; analysts also triage (incidents, allow list,
// checks); admins also change the watchlist.
const (
	RoleAdmin   = "admin"
	RoleAnalyst = "analyst"
	RoleViewer  = "viewer"
)

// Token is one accepted credential as auth.tokens lists it: a bare string, or
// {name, token, role}. Instead of token, token_file names a file holding it (first line)
// and token_env an environment variable, so that secrets stay out of the config file and of
// the process list (flags show in ps).
type Token struct {
	Name      string `yaml:"name"`
	Token     string `yaml:"token"`
	TokenFile string `yaml:"token_file"`
	TokenEnv  string `yaml:"token_env"`
	// Role is admin, analyst or viewer; empty means admin, as a bare string token is.
	Role string `yaml:"role"`
}

// UnmarshalYAML accepts a bare string as well as the mapping, rejecting unknown keys.
func (t *Token) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*t = Token{Token: n.Value}
		return nil
	}
	type plain Token
	var p plain
	known := map[string]bool{"name": true, "token": true, "token_file": true, "token_env": true, "role": true}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i].Value; !known[k] {
				return fmt.Errorf("line %d: unknown key %q in an auth token", n.Content[i].Line, k)
			}
		}
	}
	if err := n.Decode(&p); err != nil {
		return err
	}
	*t = Token(p)
	return nil
}

// StringTokens makes bare tokens (as a flag or CERTHUNT_AUTH_TOKENS lists them).
func StringTokens(ss []string) []Token {
	out := make([]Token, len(ss))
	for i, s := range ss {
		out[i] = Token{Token: s}
	}
	return out
}

// ResolveTokens reads token_file and token_env, fills default names and roles, and checks
// every token: exactly one source, at least MinTokenLength characters, a known role, unique
// names and values. Each error names the token by its position (never its value).
func ResolveTokens(tokens []Token) ([]Token, error) {
	var errs []error
	out := make([]Token, 0, len(tokens))
	names, values := map[string]bool{}, map[string]bool{}
	for i, t := range tokens {
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("auth.tokens[%d]: %s", i, fmt.Sprintf(format, args...)))
		}
		sources := 0
		for _, s := range []string{t.Token, t.TokenFile, t.TokenEnv} {
			if s != "" {
				sources++
			}
		}
		if sources > 1 {
			bad("set only one of token, token_file and token_env")
			continue
		}
		switch {
		case t.TokenFile != "":
			data, err := os.ReadFile(t.TokenFile)
			if err != nil {
				bad("token_file: %v", err)
				continue
			}
			first, _, _ := strings.Cut(string(data), "\n")
			t.Token = first
		case t.TokenEnv != "":
			v, ok := os.LookupEnv(t.TokenEnv)
			if !ok {
				bad("token_env: %s is not set", t.TokenEnv)
				continue
			}
			t.Token = v
		}
		t.Token = strings.TrimSpace(t.Token)
		t.TokenFile, t.TokenEnv = "", ""
		switch {
		case t.Token == "":
			bad("empty token")
			continue
		case len(t.Token) < MinTokenLength:
			bad("token is %d characters, shorter than %d", len(t.Token), MinTokenLength)
			continue
		case strings.ContainsFunc(t.Token, func(r rune) bool { return r <= ' ' || r == 0x7f }):
			bad("token contains spaces or control characters")
			continue
		}
		switch t.Role {
		case "":
			t.Role = RoleAdmin
		case RoleAdmin, RoleAnalyst, RoleViewer:
		default:
			bad("role %q is not admin, analyst or viewer", t.Role)
			continue
		}
		if t.Name == "" {
			t.Name = fmt.Sprintf("token%d", i+1)
		}
		if names[t.Name] {
			bad("name %q is used twice", t.Name)
		}
		if values[t.Token] {
			bad("the same token is listed twice")
		}
		names[t.Name], values[t.Token] = true, true
		out = append(out, t)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// ValidateTokens reports what ResolveTokens would refuse (config check and config validation).
func ValidateTokens(tokens []Token) error {
	_, err := ResolveTokens(tokens)
	return err
}
