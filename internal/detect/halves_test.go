package detect

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestHalvesFilterIsExact: the part-key pre-filter only skips work, it never changes a verdict.
// An index whose filter lets everything through must give the same alerts, on real names and
// on one-edit variants of listed homographs.
func TestHalvesFilterIsExact(t *testing.T) {
	list := syntheticList(100, 40)
	// and homographs far from their asset's label, which only the similarity rule can find
	rng := rand.New(rand.NewPCG(3, 4))
	for a := range 100 {
		var homs []string
		for range 20 {
			b := make([]byte, 5+rng.IntN(10))
			for i := range b {
				b[i] = byte('a' + rng.IntN(26))
			}
			homs = append(homs, string(b))
		}
		list[fmt.Sprintf("zz%dqq.org", a)] = homs
	}
	ix := mustBuild(t, list, Options{})
	open := *ix
	open.homHalves = bitFilter{words: []uint64{^uint64(0)}}
	probe := benchNames(t, list, true)
	for _, homs := range list {
		for _, h := range homs[:min(len(homs), 20)] {
			r := []rune(h)
			i := rng.IntN(len(r))
			c := rune('a' + rng.IntN(26))
			switch rng.IntN(3) {
			case 0:
				r[i] = c
			case 1:
				r = append(r[:i], append([]rune{c}, r[i:]...)...)
			default:
				r = append(r[:i], r[i+1:]...)
			}
			probe = append(probe, string(r), "www."+string(r)+".example.net")
		}
	}
	for _, name := range probe {
		if got, want := ix.Check(name), open.Check(name); !reflect.DeepEqual(got, want) {
			t.Errorf("Check(%q) with the filter = %+v, without = %+v", name, got, want)
		}
	}
}
