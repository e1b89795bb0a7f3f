package detect

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/certhunt/certhunt/internal/homograph"
)

// wellKnownBrands is a watchlist of 50 widely imitated brands, for the corpus test.
var wellKnownBrands = []string{
	"paypal.com", "google.com", "apple.com", "microsoft.com", "amazon.com", "facebook.com",
	"instagram.com", "whatsapp.com", "netflix.com", "linkedin.com", "twitter.com", "x.com",
	"yahoo.com", "outlook.com", "office.com", "live.com", "dropbox.com", "adobe.com", "docusign.com",
	"chase.com", "wellsfargo.com", "bankofamerica.com", "citi.com", "hsbc.com", "barclays.co.uk",
	"santander.com", "ing.com", "americanexpress.com", "visa.com", "mastercard.com", "coinbase.com",
	"binance.com", "kraken.com", "blockchain.com", "metamask.io", "ledger.com", "dhl.com", "fedex.com",
	"ups.com", "usps.com", "ebay.com", "walmart.com", "alibaba.com", "steampowered.com", "discord.com",
	"telegram.org", "spotify.com", "irs.gov", "hmrc.gov.uk", "booking.com",
}

// acceptedCorpusAlerts are the incidents on the real CT names, by registered domain: none is a
// false positive a person would dismiss, each for the reason given.
var acceptedCorpusAlerts = map[string]string{
	"backname.io": "a third party's proxy hostnames named after brands (microsoftteams, googledocs): " +
		"brand names inside labels of someone else's domain, exactly what combosquat watching is for",
	"cynova.dev":  `"microsoftp" is one edit from microsoft: the XSOAR similarity rule must alert on it`,
	"gamen.net":   `"facebook" as a label under someone else's domain: a subdomain squat by SPEC.md`,
	"gtag.club":   `"sblbkmicrosoft" glues the brand to random letters on a TLD much used for phishing`,
	"chixbbq.org": `"appie" differs from apple by i for l, a classic homoglyph swap`,
}

// TestCorpusNavigli checks the names of 1,024 real certificates (the navigli 2025h2 log's own
// names tiles) against 50 well-known brands, with empty homograph lists and with the lists
// `homographs generate` makes for them: none of them is a lookalike, so none may open an
// incident, and the generated lists may not add any.
func TestCorpusNavigli(t *testing.T) {
	empty := homograph.List{}
	for _, b := range wellKnownBrands {
		empty[b] = nil
	}
	generated, err := homograph.Generate(wellKnownBrands, nil, homograph.GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, style := range []struct {
		name string
		list homograph.List
	}{{"empty lists", empty}, {"generated lists", generated}} {
		t.Run(style.name, func(t *testing.T) {
			ix := mustBuild(t, style.list, Options{})
			checked := 0
			for _, name := range corpusNames(t) {
				checked++
				for _, a := range ix.Check(name) {
					if a.Incident && acceptedCorpusAlerts[a.RegisteredDomain] == "" {
						t.Errorf("incident on real name %q: asset %s score %d %+v", name, a.Asset, a.Score, a.Reasons)
					}
				}
			}
			if checked < 1024 {
				t.Errorf("checked only %d names", checked)
			}
		})
	}
}

// corpusNames is every SAN and CN of the real names tiles in testdata.
func corpusNames(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/navigli-names/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no names tiles: %v", err)
	}
	var out []string
	for _, file := range files {
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var entry struct {
				Subject struct{ CommonName string }
				DNS     []string
			}
			if err := json.Unmarshal(sc.Bytes(), &entry); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			for _, name := range append(entry.DNS, entry.Subject.CommonName) {
				if name != "" {
					out = append(out, name)
				}
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}
