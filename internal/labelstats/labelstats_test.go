package labelstats

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/certhunt/certhunt/internal/names"
)

func observe(t *testing.T, s *Sketch, name string) {
	t.Helper()
	n, err := names.Parse(name)
	if err != nil {
		t.Fatal(err)
	}
	s.Observe(n)
}

func TestCountsDistinctRegisteredDomains(t *testing.T) {
	s := New()
	base := s.Domains("img")
	for i := range 50 {
		// the same domain many times counts once; each other domain once more
		observe(t, s, "img.example.com")
		observe(t, s, fmt.Sprintf("img.cdn.site%d.co.uk", i))
	}
	if got := s.Domains("img") - base; got != 51 {
		t.Errorf("img: %d new domains counted, want 51", got)
	}
	if got := s.Domains("cdn"); got < 50 {
		t.Errorf("cdn: %d, want at least 50", got)
	}
	if got := s.Domains("example"); got != 0 {
		t.Errorf("the registered label itself is not a host label, counted %d", got)
	}
}

func TestSeedAndSaveLoad(t *testing.T) {
	s := New()
	if s.Domains("www") == 0 {
		t.Error("the seed table gives www no domains")
	}
	observe(t, s, "paypa1.evil.example")
	dir := t.TempDir()
	if err := s.Save(dir); err != nil {
		t.Fatal(err)
	}
	back, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if back.Domains("paypa1") != s.Domains("paypa1") || back.Domains("www") != s.Domains("www") {
		t.Errorf("loaded counts differ: %d/%d, %d/%d", back.Domains("paypa1"), s.Domains("paypa1"), back.Domains("www"), s.Domains("www"))
	}
	observe(t, back, "paypa1.evil.example") // the pair filter came back too
	if back.Domains("paypa1") != s.Domains("paypa1") {
		t.Error("a pair counted before the save was counted again after it")
	}
}

func TestLoadDamaged(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(magic+"short"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Load(dir)
	if err == nil {
		t.Fatal("a truncated file loaded without error")
	}
	if s == nil || s.Domains("www") == 0 {
		t.Error("a damaged file must still leave the seeded sketch")
	}
	if _, err := Load(t.TempDir()); err != nil {
		t.Errorf("no file yet: %v", err)
	}
}

func BenchmarkObserve(b *testing.B) {
	s := New()
	ns := make([]names.Name, 1000)
	for i := range ns {
		ns[i], _ = names.Parse(fmt.Sprintf("www.api%d.site%d.com", i%7, i))
	}
	for i := 0; b.Loop(); i++ {
		s.Observe(ns[i%len(ns)])
	}
}
