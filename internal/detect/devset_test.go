package detect

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/certhunt/certhunt/internal/homograph"
)

// TestDevSet writes check output for a labelled development set, for scoring with its
// evaluate.py. It runs only when CERTHUNT_DEVSET names the set's folder; the output goes to
// CERTHUNT_DEVSET_OUT (default dev.jsonl in the test's temporary directory);
// CERTHUNT_DEVSET_WEIGHTS ("rule=points,...") tries other weights.
func TestDevSet(t *testing.T) {
	dir := os.Getenv("CERTHUNT_DEVSET")
	if dir == "" {
		t.Skip("CERTHUNT_DEVSET is not set")
	}
	raw, err := os.ReadFile(filepath.Join(dir, "watchlist-empty.json"))
	if err != nil {
		t.Fatal(err)
	}
	var list homograph.List
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatal(err)
	}
	weights := map[string]int{}
	for kv := range strings.SplitSeq(os.Getenv("CERTHUNT_DEVSET_WEIGHTS"), ",") {
		if rule, points, ok := strings.Cut(kv, "="); ok {
			weights[rule], _ = strconv.Atoi(points)
		}
	}
	ix, err := Build(list, Options{Weights: weights})
	if err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(filepath.Join(dir, "domains.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	outPath := os.Getenv("CERTHUNT_DEVSET_OUT")
	if outPath == "" {
		outPath = filepath.Join(t.TempDir(), "dev.jsonl")
	}
	out, err := os.Create(outPath)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	w := bufio.NewWriter(out)
	enc := json.NewEncoder(w)
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		a := ix.Evaluate(sc.Text())
		line := struct {
			Domain   string   `json:"domain"`
			Score    int      `json:"score"`
			Severity string   `json:"severity"`
			Incident bool     `json:"incident"`
			Asset    string   `json:"asset"`
			Matched  Matched  `json:"matched"`
			Reasons  []Reason `json:"reasons"`
		}{sc.Text(), a.Score, a.Severity, a.Incident, a.Asset, a.Matched, a.Reasons}
		if err := enc.Encode(line); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}
