package cluster

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/testinfra"
)

// TestLeaseHolderProcess is the child of TestTakeoverAfterKill9 and BenchmarkTakeoverAfterKill:
// with the environment set, it joins the cluster, holds one lease and says so on stdout, then
// waits to be killed. CERTHUNT_TEST_LEASE_DEFAULTS=1 uses serve's lease timings.
func TestLeaseHolderProcess(t *testing.T) {
	url, log := os.Getenv("CERTHUNT_TEST_LEASE_NATS"), os.Getenv("CERTHUNT_TEST_LEASE_LOG")
	if url == "" {
		t.Skip("only runs as TestTakeoverAfterKill9's child process")
	}
	lo := fastLeases
	if os.Getenv("CERTHUNT_TEST_LEASE_DEFAULTS") == "1" {
		lo = LeaseOptions{}
	}
	n, err := Join(context.Background(), url, "child", lo, nil)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	n.Leases.Hold(context.Background(), log, func(ctx context.Context) error {
		fmt.Println("holding")
		<-ctx.Done()
		return nil
	})
}

// takeoverAfterKill starts a child process holding log's lease, a node here contending for it
// with lo, kills the child with SIGKILL (no release, no goodbye) and returns how long the node
// here took to hold the lease after the kill.
func takeoverAfterKill(tb testing.TB, url string, lo LeaseOptions, defaults bool) time.Duration {
	tb.Helper()
	const log = "https://ct.example/killed/"
	cmd := exec.Command(os.Args[0], "-test.run=^TestLeaseHolderProcess$")
	cmd.Env = append(os.Environ(), "CERTHUNT_TEST_LEASE_NATS="+url, "CERTHUNT_TEST_LEASE_LOG="+log)
	if defaults {
		cmd.Env = append(cmd.Env, "CERTHUNT_TEST_LEASE_DEFAULTS=1")
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	holding := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "holding" {
				holding <- ""
				return
			}
			if strings.HasPrefix(sc.Text(), "error:") {
				holding <- sc.Text()
				return
			}
		}
		holding <- "child exited before holding the lease"
	}()
	select {
	case msg := <-holding:
		if msg != "" {
			tb.Fatal(msg)
		}
	case <-time.After(30 * time.Second):
		tb.Fatal("the child never held the lease")
	}

	b, err := Join(context.Background(), url, "survivor", lo, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer b.nc.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go b.Leases.Hold(ctx, log, func(ctx context.Context) error { <-ctx.Done(); return nil })
	testinfra.WaitFor(tb, "the survivor sees the child holding the log", func() bool { return b.Leases.Node(log) == "child" })
	if b.Leases.Holding(log) {
		tb.Fatal("the survivor holds the log while the child does")
	}
	killed := time.Now()
	if err := cmd.Process.Kill(); err != nil {
		tb.Fatal(err)
	}
	cmd.Wait()
	testinfra.WaitFor(tb, "the survivor holds the log", func() bool { return b.Leases.Holding(log) })
	return time.Since(killed)
}

// TestTakeoverAfterKill9: a node in another process holds a log's lease and is killed with
// SIGKILL; the node here takes the log over once the lease lapses.
func TestTakeoverAfterKill9(t *testing.T) {
	d := takeoverAfterKill(t, testinfra.NATS(t), fastLeases, false)
	t.Logf("taken over %v after the kill (TTL %v, renew %v)", d.Round(10*time.Millisecond), fastLeases.TTL, fastLeases.Renew)
}

// BenchmarkTakeoverAfterKill measures the takeover time with serve's lease timings (TTL 15 s,
// renewal 5 s: SPEC.md promises 30 s at most). Each iteration takes about 20 s; run it with
// -benchtime=1x or 3x.
func BenchmarkTakeoverAfterKill(b *testing.B) {
	url := testinfra.NATS(b)
	var total time.Duration
	for range b.N {
		total += takeoverAfterKill(b, url, LeaseOptions{}, true)
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/takeover")
}
