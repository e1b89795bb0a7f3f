package testcert

import (
	"bytes"
	"crypto/x509"
	"testing"
)

func TestPairSharesSerialAndChains(t *testing.T) {
	ca, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	p, err := ca.Pair([]string{"paypa1.com", "www.paypa1.com"}, Options{Organization: "Evil"})
	if err != nil {
		t.Fatal(err)
	}
	pre, err := x509.ParseCertificate(p.Precert)
	if err != nil {
		t.Fatal(err)
	}
	final, err := x509.ParseCertificate(p.Final)
	if err != nil {
		t.Fatal(err)
	}
	if pre.SerialNumber.Cmp(final.SerialNumber) != 0 {
		t.Errorf("serials differ: %v vs %v", pre.SerialNumber, final.SerialNumber)
	}
	poisoned := false
	for _, e := range pre.Extensions {
		if e.Id.Equal(PoisonOID) && e.Critical {
			poisoned = true
		}
	}
	if !poisoned {
		t.Error("precertificate lacks the critical poison extension")
	}
	for _, e := range final.Extensions {
		if e.Id.Equal(PoisonOID) {
			t.Error("final certificate carries the poison extension")
		}
	}
	// Without SCTs embedded, the final TBS equals the precert TBS minus poison.
	if !bytes.Equal(p.TBS, final.RawTBSCertificate) {
		t.Error("TBS without poison differs from the final certificate's TBS")
	}
	if bytes.Equal(p.TBS, pre.RawTBSCertificate) {
		t.Error("TBS still equals the poisoned TBS")
	}
	inter, _ := x509.ParseCertificate(ca.IntermediateDER)
	root, _ := x509.ParseCertificate(ca.RootDER)
	roots, inters := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(root)
	inters.AddCert(inter)
	if _, err := final.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inters, DNSName: "paypa1.com", CurrentTime: final.NotBefore}); err != nil {
		t.Errorf("final certificate does not verify: %v", err)
	}
	if got := final.Subject.CommonName; got != "paypa1.com" {
		t.Errorf("CN = %q", got)
	}
}

func TestRemovePoisonRejectsGarbage(t *testing.T) {
	if _, err := RemovePoison([]byte{1, 2, 3}); err == nil {
		t.Error("want an error for non-DER input")
	}
	ca, _ := Default()
	der, err := ca.Issue([]string{"a.example"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RemovePoison(der); err == nil {
		t.Error("want an error for a certificate without poison")
	}
}

func TestIssueNeedsAName(t *testing.T) {
	ca, _ := Default()
	if _, err := ca.Issue(nil, Options{}); err == nil {
		t.Error("want an error without names")
	}
}

func BenchmarkIssue(b *testing.B) {
	ca, _ := Default()
	for b.Loop() {
		if _, err := ca.Issue([]string{"bench.example"}, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
