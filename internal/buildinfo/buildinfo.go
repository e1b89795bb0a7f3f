// Package buildinfo says which certhunt this is, for the User-Agent and `certhunt version`.
package buildinfo

import "runtime/debug"

// Version may be set with -ldflags "-X github.com/certhunt/certhunt/internal/buildinfo.Version=v1.2.3";
// otherwise the module version is used, or "devel".
var Version = ""

// String returns the version.
func String() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// UserAgent is "certhunt/VERSION", with " (+CONTACT)" when a contact is given: log
// operators rate-limit anonymous clients, and a contact lets them write instead.
func UserAgent(contact string) string {
	ua := "certhunt/" + String()
	if contact != "" {
		ua += " (+" + contact + ")"
	}
	return ua
}
