package ctlog

import (
	"testing"
	"time"
)

// A growing log is polled at the short interval; an idle one backs off by doubling to the
// poll interval, and growth brings the short interval back.
func TestPollPace(t *testing.T) {
	p := newPollPace(time.Second, 10*time.Second)
	var got []time.Duration
	for _, grew := range []bool{true, true, false, false, false, false, false, true, false} {
		got = append(got, p.next(grew))
	}
	want := []time.Duration{1, 1, 1, 2, 4, 8, 10, 1, 1}
	for i := range want {
		if got[i] != want[i]*time.Second {
			t.Fatalf("waits %v, want %v seconds", got, want)
		}
	}
	// A poll interval below the short one (tests, eager setups) is used as is.
	if p := newPollPace(time.Second, 20*time.Millisecond); p.next(true) != 20*time.Millisecond || p.next(false) != 20*time.Millisecond {
		t.Fatal("a short poll interval is not kept")
	}
}
