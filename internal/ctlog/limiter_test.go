package ctlog

import (
	"context"
	"errors"
	"net/http"
	"testing"
)

func TestAIMD(t *testing.T) {
	l := newAIMD(8)
	ctx := context.Background()
	done, cancel := context.WithCancel(ctx)
	cancel()
	var epochs []uint64
	for range 8 {
		e, ok := l.acquire(ctx)
		if !ok {
			t.Fatal("a slot below the limit was refused")
		}
		epochs = append(epochs, e)
	}
	if _, ok := l.acquire(done); ok {
		t.Fatal("a ninth request got a slot with a limit of 8")
	}
	// A burst of 429s from requests sent together halves the limit once.
	rateLimited := &FetchError{Kind: KindRateLimited, Status: http.StatusTooManyRequests}
	for _, e := range epochs[:4] {
		l.release(e, rateLimited)
	}
	if got := l.current(); got != 4 {
		t.Fatalf("limit after a burst of 429s: %d, want 4", got)
	}
	// Four still in flight: no slot until some finish.
	if _, ok := l.acquire(done); ok {
		t.Fatal("a slot beyond the reduced limit")
	}
	for _, e := range epochs[4:] {
		l.release(e, nil)
	}
	// A 503 from a request sent after the decrease halves again; other errors do not.
	e, _ := l.acquire(ctx)
	l.release(e, &FetchError{Kind: KindHTTP, Status: http.StatusServiceUnavailable})
	if got := l.current(); got != 2 {
		t.Fatalf("limit after a 503: %d, want 2", got)
	}
	e, _ = l.acquire(ctx)
	l.release(e, errors.New("connection reset"))
	if got := l.current(); got != 2 {
		t.Fatalf("a network error changed the limit to %d", got)
	}
	// Healthy requests grow it back to the configured width, never past it.
	for range 100 {
		e, _ := l.acquire(ctx)
		l.release(e, nil)
	}
	if got := l.current(); got != 8 {
		t.Fatalf("limit after 100 successes: %d, want 8", got)
	}
	for range 3 {
		e, _ := l.acquire(ctx)
		l.release(e, rateLimited)
	}
	if got := l.current(); got != 1 {
		t.Fatalf("limit after repeated 429s: %d, want 1", got)
	}
}

// A waiting request gets the slot a finishing one frees.
func TestAIMDWakesWaiter(t *testing.T) {
	l := newAIMD(1)
	e, _ := l.acquire(context.Background())
	got := make(chan bool)
	go func() {
		_, ok := l.acquire(context.Background())
		got <- ok
	}()
	l.release(e, nil)
	if !<-got {
		t.Fatal("the waiter did not get the freed slot")
	}
}
