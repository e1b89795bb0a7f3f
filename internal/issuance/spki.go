package issuance

import "github.com/certhunt/certhunt/internal/certs"

// SPKISHA256 is certs.SPKISHA256, kept here for the issuance checks that name it; the
// implementation lives in certs so that incident's campaign links can use it too.
func SPKISHA256(der []byte) (string, error) { return certs.SPKISHA256(der) }
