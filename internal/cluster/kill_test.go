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
)

// TestLeaseHolderProcess is the child of TestTakeoverAfterKill9: with the environment set, it
// joins the cluster, holds one lease and says so on stdout, then waits to be killed.
func TestLeaseHolderProcess(t *testing.T) {
	url, log := os.Getenv("CERTHUNT_TEST_LEASE_NATS"), os.Getenv("CERTHUNT_TEST_LEASE_LOG")
	if url == "" {
		t.Skip("only runs as TestTakeoverAfterKill9's child process")
	}
	n, err := Join(context.Background(), url, "child", fastLeases, nil)
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

// TestTakeoverAfterKill9: a node in another process holds a log's lease and is killed with
// SIGKILL (no release, no goodbye); the node here takes the log over once the lease lapses.
func TestTakeoverAfterKill9(t *testing.T) {
	url := startNATS(t)
	const log = "https://ct.example/killed/"
	cmd := exec.Command(os.Args[0], "-test.run=^TestLeaseHolderProcess$")
	cmd.Env = append(os.Environ(), "CERTHUNT_TEST_LEASE_NATS="+url, "CERTHUNT_TEST_LEASE_LOG="+log)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
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
			t.Fatal(msg)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the child never held the lease")
	}

	b := join(t, url, "survivor")
	w := &workers{t: t, active: map[string]string{}}
	stop := holdAll(b, []string{log}, w)
	defer stop()
	waitFor(t, "the survivor sees the child holding the log", func() bool { return b.Leases.Node(log) == "child" })
	if b.Leases.Holding(log) {
		t.Fatal("the survivor holds the log while the child does")
	}
	killed := time.Now()
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	waitFor(t, "the survivor holds the log", func() bool { return b.Leases.Holding(log) })
	t.Logf("taken over %v after the kill (TTL %v, renew %v)", time.Since(killed).Round(10*time.Millisecond), fastLeases.TTL, fastLeases.Renew)
}
