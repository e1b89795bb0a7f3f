package incident

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/certhunt/certhunt/internal/certs"
)

func TestAllowEntriesCarryAuthorAndHistory(t *testing.T) { eachBackend(t, testAllowEntries) }

func testAllowEntries(t *testing.T, open opener) {
	s := open(t)
	ctx := context.Background()
	ch, err := s.Record(ctx, alert("paypal.com", "paypa1.com", 80, "high"), cert("aaaa0000", 1, certs.X509))
	if err != nil {
		t.Fatal(err)
	}
	id := ch.Incident.ID
	added, err := s.AddAllow(ctx, AllowEntry{Domain: "paypa1.com", Reason: "our own", Author: "alice", Incident: id})
	if err != nil || !added {
		t.Fatalf("AddAllow: %v %v", added, err)
	}
	if added, err := s.AddAllow(ctx, AllowEntry{Domain: "paypa1.com", Author: "bob"}); err != nil || added {
		t.Fatalf("adding again: %v %v, want not added", added, err)
	}
	list, err := s.AllowList(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("AllowList: %+v %v", list, err)
	}
	if e := list[0]; e.Domain != "paypa1.com" || e.Author != "alice" || e.Incident != id || e.Reason != "our own" || e.AddedAt.IsZero() {
		t.Fatalf("entry %+v", e)
	}
	if _, err := s.RemoveAllow(ctx, "paypa1.com", "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RemoveAllow(ctx, "paypa1.com", "bob"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removing twice: %v, want ErrNotFound", err)
	}
	inc, err := s.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range inc.History {
		got = append(got, e.Field+"="+e.Value+" by "+e.Author)
	}
	if fmt.Sprint(got) != "[allowed=paypa1.com by alice unallowed=paypa1.com by bob]" {
		t.Fatalf("history %q", got)
	}
	if allowed, err := s.Allowed(ctx); err != nil || len(allowed) != 0 {
		t.Fatalf("allowed after removal: %v %v", allowed, err)
	}
}

func TestListFiltersByVerdict(t *testing.T) { eachBackend(t, testListFiltersByVerdict) }

func testListFiltersByVerdict(t *testing.T, open opener) {
	s := open(t)
	ctx := context.Background()
	ids := map[string]string{}
	for i, v := range []string{VerdictNone, VerdictTruePositive, VerdictFalsePositive, VerdictBenign} {
		ch, err := s.Record(ctx, alert("paypal.com", fmt.Sprintf("paypa%d.com", i), 80, "high"), cert(fmt.Sprintf("bbbb000%d", i), int64(i), certs.X509))
		if err != nil {
			t.Fatal(err)
		}
		if v != VerdictNone {
			if _, err := s.Update(ctx, ch.Incident.ID, Patch{Verdict: &v}); err != nil {
				t.Fatal(err)
			}
		}
		ids[ch.Incident.ID] = v
	}
	for _, tc := range []struct{ filter, want string }{
		{"true_positive", "[true_positive]"},
		{"none,true_positive", "[ true_positive]"},
		{"false_positive, benign", "[false_positive benign]"},
		{"", "[ true_positive false_positive benign]"},
	} {
		incs, _, err := s.List(ctx, Filter{Verdict: tc.filter})
		if err != nil {
			t.Fatalf("%q: %v", tc.filter, err)
		}
		var got []string
		for i := len(incs) - 1; i >= 0; i-- {
			got = append(got, incs[i].Verdict)
		}
		if fmt.Sprint(got) != tc.want {
			t.Errorf("verdict=%q: %q, want %s", tc.filter, got, tc.want)
		}
	}
	if _, _, err := s.List(ctx, Filter{Verdict: "maybe"}); !errors.Is(err, ErrBadFilter) {
		t.Errorf("verdict=maybe: %v, want ErrBadFilter", err)
	}
}
