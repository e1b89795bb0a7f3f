package incident

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/certs"
)

func TestInventory(t *testing.T) {
	eachBackend(t, func(t *testing.T, open opener) {
		ctx := context.Background()
		s := open(t)
		day := 24 * time.Hour
		now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		pre := OwnCertificate{Asset: "example.com", SHA256: "aa", EntryType: certs.Precert, Serial: "01",
			Issuer: certs.Name{CN: "R10", O: "Let's Encrypt"}, SPKISHA256: "k1", Names: []string{"example.com", "www.example.com"},
			NotBefore: now.Add(-80 * day), NotAfter: now.Add(10 * day), Verdict: "allowed",
			Log: LogPosition{Name: "l", URL: "http://l/", Index: 1}, SeenAt: now.Add(-80 * day)}
		got, err := s.RecordOwn(ctx, pre)
		if err != nil || !slices.Equal(got, []string{"example.com", "www.example.com"}) {
			t.Fatalf("first sighting: new names %v, %v", got, err)
		}
		// a replay reports the same names: the alert made from them is recorded again, harmlessly
		if got, err = s.RecordOwn(ctx, pre); err != nil || len(got) != 2 {
			t.Fatalf("replay: new names %v, %v", got, err)
		}
		final := pre
		final.SHA256, final.EntryType, final.Log.Index = "bb", certs.X509, 2
		if got, err = s.RecordOwn(ctx, final); err != nil || len(got) != 0 {
			t.Fatalf("final certificate: new names %v, %v", got, err)
		}
		fresh := OwnCertificate{Asset: "example.com", SHA256: "cc", EntryType: certs.X509, Issuer: certs.Name{O: "Evil CA"},
			Names: []string{"login.example.com"}, NotAfter: now.Add(60 * day), Verdict: "unauthorized-issuer",
			Detail: "not allowed", Log: LogPosition{URL: "http://l/", Index: 3}, SeenAt: now.Add(-day)}
		if got, err = s.RecordOwn(ctx, fresh); err != nil || !slices.Equal(got, []string{"login.example.com"}) {
			t.Fatalf("fresh: new names %v, %v", got, err)
		}
		other := fresh
		other.Asset, other.SHA256, other.Names = "example.org", "dd", []string{"example.org"}
		if _, err := s.RecordOwn(ctx, other); err != nil {
			t.Fatal(err)
		}
		inv, err := s.Inventory(ctx, InventoryQuery{Asset: "example.com", Now: now, ExpiryWindow: 30 * day, NewWindow: 7 * day})
		if err != nil {
			t.Fatal(err)
		}
		if len(inv.Certificates) != 3 || inv.Certificates[0].SHA256 != "cc" || inv.Certificates[0].Issuer.O != "Evil CA" ||
			inv.Certificates[1].EntryType != certs.Precert || !inv.Certificates[1].Expiring || inv.Certificates[0].Expiring {
			t.Fatalf("certificates = %+v", inv.Certificates)
		}
		want := map[string][2]bool{"example.com": {false, true}, "www.example.com": {false, true}, "login.example.com": {true, false}}
		if len(inv.Names) != 3 {
			t.Fatalf("names = %+v", inv.Names)
		}
		for _, n := range inv.Names {
			if w := want[n.Name]; n.New != w[0] || n.Expiring != w[1] || n.Asset != "example.com" {
				t.Errorf("name %+v, want new=%v expiring=%v", n, w[0], w[1])
			}
		}
		exp, err := s.ExpiringOwn(ctx, now, 30*day)
		if err != nil || len(exp) != 1 || exp[0].SHA256 != "bb" || len(exp[0].Names) != 2 || exp[0].Issuer.O != "Let's Encrypt" {
			t.Fatalf("expiring: %+v, %v", exp, err)
		}
		if exp, err := s.ExpiringOwn(ctx, now.Add(20*day), 30*day); err != nil || len(exp) != 0 {
			t.Fatalf("expired names are not expiring: %+v, %v", exp, err)
		}
		all, err := s.Inventory(ctx, InventoryQuery{Now: now, Limit: 2})
		if err != nil || len(all.Names) != 4 || len(all.Certificates) != 2 || !all.Truncated {
			t.Fatalf("all: %+v, %v", all, err)
		}
	})
}
