package certs

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// The log operator's own names tiles are the ground truth for the 1,024 real entries.
func TestParseMatchesLogNamesTiles(t *testing.T) {
	entries := allTileEntries(t)
	var want []tileNames
	for _, tile := range []string{"000", "001", "002", "003"} {
		want = append(want, readTileNames(t, "testdata/navigli/names/"+tile)...)
	}
	if len(entries) != 1024 || len(want) != 1024 {
		t.Fatalf("got %d entries and %d names lines, want 1024 of each", len(entries), len(want))
	}
	for i := range entries {
		e := &entries[i]
		c, err := Parse(e)
		if err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		if _, defect, _ := walkCertificate(e.DER); defect != "" || c.Lax {
			t.Errorf("entry %d: walk forgave %q (lax %v); real certificates should need no forgiving", i, defect, c.Lax)
		}
		checkAgainstX509(t, c, e.DER)
		if c.SeenAt.UnixMilli() != want[i].Timestamp {
			t.Errorf("entry %d: timestamp %d, names tile says %d", i, c.SeenAt.UnixMilli(), want[i].Timestamp)
		}
		if c.Subject.CN != want[i].Subject.CommonName {
			t.Errorf("entry %d: subject CN %q, names tile says %q", i, c.Subject.CN, want[i].Subject.CommonName)
		}
		expected := DNSNames(want[i].DNS, want[i].Subject.CommonName)
		if !slices.Equal(c.DNSNames, expected) {
			t.Errorf("entry %d: names %q, names tile implies %q", i, c.DNSNames, expected)
		}
		if len(c.DNSNames) == 0 {
			t.Errorf("entry %d: no names", i)
		}
		if c.EntryType != e.Type {
			t.Errorf("entry %d: type %s, want %s", i, c.EntryType, e.Type)
		}
		if c.Issuer.CN == "" || c.Serial == "" || c.NotAfter.Before(c.NotBefore) || len(c.SHA256) != 64 || len(c.SHA1) != 40 {
			t.Errorf("entry %d: incomplete certificate %+v", i, c)
		}
		if c.Index != e.Index || c.Log != e.Log {
			t.Errorf("entry %d: log/index %v/%d, want %v/%d", i, c.Log, c.Index, e.Log, e.Index)
		}
	}
}

// A precert parsed from its TBSCertificate alone carries the same fields as from its
// pre_certificate, with the hashes of the TBS.
func TestParsePrecertTBSMatchesPreCertificate(t *testing.T) {
	for _, e := range allTileEntries(t) {
		if e.Type != Precert {
			continue
		}
		fromDER, err := Parse(&e)
		if err != nil {
			t.Fatal(err)
		}
		tbsOnly := e
		tbsOnly.DER = nil
		fromTBS, err := Parse(&tbsOnly)
		if err != nil {
			t.Fatalf("entry %d from TBS: %v", e.Index, err)
		}
		if !slices.Equal(fromTBS.DNSNames, fromDER.DNSNames) || fromTBS.Subject != fromDER.Subject ||
			fromTBS.Issuer != fromDER.Issuer || !fromTBS.NotAfter.Equal(fromDER.NotAfter) {
			t.Errorf("entry %d: TBS parse %+v differs from pre_certificate parse %+v", e.Index, fromTBS, fromDER)
		}
		// The log's TBS has the poison removed, so its serial is the same but its hash is not.
		if fromTBS.Serial != fromDER.Serial || fromTBS.SHA256 == fromDER.SHA256 {
			t.Errorf("entry %d: serial %s/%s sha256 %s/%s", e.Index, fromTBS.Serial, fromDER.Serial, fromTBS.SHA256, fromDER.SHA256)
		}
		wantSHA, _ := hashes(e.TBS)
		if fromTBS.SHA256 != wantSHA {
			t.Errorf("entry %d: TBS-only sha256 %s, want the TBS's %s", e.Index, fromTBS.SHA256, wantSHA)
		}
	}
}

func TestParseRFC6962Fixture(t *testing.T) {
	e := rfc6962Entry(t, "testdata/get-entries-x509-letsencrypt-2018.json")
	c, err := Parse(&e)
	if err != nil {
		t.Fatal(err)
	}
	checkAgainstX509(t, c, e.DER)
	if c.Lax || c.EntryType != X509 {
		t.Errorf("lax=%v type=%s", c.Lax, c.EntryType)
	}
	if c.Subject.CN != "danadjs.ch" || !slices.Contains(c.DNSNames, "danadjs.ch") {
		t.Errorf("subject %q names %q", c.Subject.CN, c.DNSNames)
	}
	if c.Issuer.CN != "Let's Encrypt Authority X3" || c.Issuer.O != "Let's Encrypt" || c.Issuer.C != "US" {
		t.Errorf("issuer %+v", c.Issuer)
	}
	if c.Issuer.Raw != "CN=Let's Encrypt Authority X3,O=Let's Encrypt,C=US" {
		t.Errorf("issuer raw %q", c.Issuer.Raw)
	}
	if c.Serial != "0338fa0c623b247a12e1c0c9dbfd47502ecc" {
		t.Errorf("serial %q", c.Serial)
	}
	if want := time.Date(2018, 5, 22, 7, 55, 35, 0, time.UTC); !c.NotAfter.Equal(want) {
		t.Errorf("not after %v, want %v", c.NotAfter, want)
	}
	if c.SignatureAlgorithm != "SHA256-RSA" || c.IsCA {
		t.Errorf("signature %q isCA %v", c.SignatureAlgorithm, c.IsCA)
	}
	if c.Index != 42 || c.Log.Name != "letsencrypt" || !c.SeenAt.Equal(e.Timestamp) {
		t.Errorf("provenance %v %d %v", c.Log, c.Index, c.SeenAt)
	}
	if pem := PEM(c.DER); !strings.HasPrefix(pem, "-----BEGIN CERTIFICATE-----\n") {
		t.Errorf("PEM %q", pem[:40])
	}
}
