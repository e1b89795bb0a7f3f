package backoff

import (
	"context"
	"testing"
	"time"
)

func TestNextGrowsWithinHalfStepAndResets(t *testing.T) {
	b := Backoff{Min: 100 * time.Millisecond, Max: time.Second}
	for i, step := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		step *= time.Millisecond
		if d := b.Next(); d < step/2 || d > step {
			t.Errorf("wait %d = %v, want within [%v, %v]", i, d, step/2, step)
		}
	}
	if b.Failures() != 6 {
		t.Errorf("failures %d", b.Failures())
	}
	b.Reset()
	if d := b.Next(); d > 100*time.Millisecond {
		t.Errorf("after reset wait = %v", d)
	}
}

func TestStep(t *testing.T) {
	for _, tc := range []struct {
		min, max time.Duration
		n        int
		want     time.Duration
	}{
		{time.Second, time.Minute, 1, time.Second},
		{time.Second, time.Minute, 3, 4 * time.Second},
		{time.Second, time.Minute, 100, time.Minute},
		{time.Second, time.Millisecond, 2, time.Second}, // max below min reads as min
		{30 * time.Second, time.Hour, 4, 4 * time.Minute},
	} {
		if got := Step(tc.min, tc.max, tc.n); got != tc.want {
			t.Errorf("Step(%v, %v, %d) = %v, want %v", tc.min, tc.max, tc.n, got, tc.want)
		}
	}
}

func TestSleepStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if Sleep(ctx, time.Hour) {
		t.Error("Sleep outlived its context")
	}
	if !Sleep(context.Background(), 0) {
		t.Error("Sleep(0) did not pass")
	}
}
