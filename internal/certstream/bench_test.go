package certstream

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/testcert"
)

// fullStreamFrames builds full-stream messages shaped like CaliDog's (its fixture's extensions
// and chain descriptions) carrying real DER for the leaf and chain.
func fullStreamFrames(b *testing.B, n int) [][]byte {
	b.Helper()
	ca, err := testcert.Default()
	if err != nil {
		b.Fatal(err)
	}
	var template map[string]any
	if err := json.Unmarshal(readFixture(b, "calidog-full-example.json"), &template); err != nil {
		b.Fatal(err)
	}
	frames := make([][]byte, n)
	for i := range frames {
		names := []string{fmt.Sprintf("host%d.example.com", i), fmt.Sprintf("www.host%d.example.com", i)}
		der, err := ca.Issue(names, testcert.Options{})
		if err != nil {
			b.Fatal(err)
		}
		data := template["data"].(map[string]any)
		data["cert_index"] = i
		data["leaf_cert"].(map[string]any)["as_der"] = base64.StdEncoding.EncodeToString(der)
		data["leaf_cert"].(map[string]any)["all_domains"] = names
		for j, link := range data["chain"].([]any) {
			link.(map[string]any)["as_der"] = base64.StdEncoding.EncodeToString(ca.Chain()[j])
		}
		if frames[i], err = json.Marshal(template); err != nil {
			b.Fatal(err)
		}
	}
	return frames
}

// BenchmarkClientDecodeFullStream measures turning full-stream frames into entries, per core.
func BenchmarkClientDecodeFullStream(b *testing.B) {
	frames := fullStreamFrames(b, 64)
	c := NewClient(ClientOptions{URL: "ws://bench.example.test/full-stream"})
	now := time.Now()
	var size int
	for _, f := range frames {
		size += len(f)
	}
	b.SetBytes(int64(size / len(frames)))
	b.ReportAllocs()
	cpu := processCPU(b)
	for i := 0; b.Loop(); i++ {
		it, ok := c.decode(websocket.MessageText, frames[i%len(frames)], now)
		if !ok || it.malformed != nil {
			b.Fatal("frame not decoded")
		}
	}
	reportRates(b, b.N, processCPU(b)-cpu)
}

// processCPU is the CPU time this process has used; on a shared machine, messages per
// CPU-second is the honest per-core rate where wall-clock rates depend on the neighbours.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportRates(b *testing.B, n int, cpu time.Duration) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(n)/cpu.Seconds(), "msgs/cpu-s")
}

// BenchmarkClientDecodeAndParseFullStream adds the pipeline's certs.Parse of the DER.
func BenchmarkClientDecodeAndParseFullStream(b *testing.B) {
	frames := fullStreamFrames(b, 64)
	c := NewClient(ClientOptions{URL: "ws://bench.example.test/full-stream"})
	now := time.Now()
	b.ReportAllocs()
	cpu := processCPU(b)
	for i := 0; b.Loop(); i++ {
		it, _ := c.decode(websocket.MessageText, frames[i%len(frames)], now)
		if _, err := certs.Parse(&it.entry); err != nil {
			b.Fatal(err)
		}
	}
	reportRates(b, b.N, processCPU(b)-cpu)
}

// BenchmarkHubFanout100 publishes one stream to 100 lite clients on loopback, with one stalled
// full-stream client connected throughout, and reports messages delivered per second in total
// (written to the clients' sockets). The readers run in a child process, so the CPU time
// reported is the hub's alone. Publishing is paced to the slowest reader so that readers lose
// nothing.
func BenchmarkHubFanout100(b *testing.B) {
	const clients = 100
	h, srv := startHub(b, HubOptions{})
	readers := exec.Command(os.Args[0], "-test.run=^TestFanoutReaders$", "-test.count=1")
	readers.Env = append(os.Environ(), "CERTSTREAM_FANOUT_URL="+wsURL(srv.URL)+"/certstream/",
		fmt.Sprintf("CERTSTREAM_FANOUT_CLIENTS=%d", clients))
	readers.Stderr = os.Stderr
	if err := readers.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		h.Close()
		if err := readers.Wait(); err != nil {
			b.Errorf("reader process: %v", err)
		}
	}()
	stalled := dial(b, wsURL(srv.URL)+"/certstream/full-stream")
	_ = stalled
	waitFor(b, "all subscribers", func() bool { return h.Stats().Clients == clients+1 })
	// readerSent returns the fewest and the total messages written to the readers.
	readerSent := func() (least, total uint64) {
		least = math.MaxUint64
		for _, cs := range h.Stats().PerClient {
			if cs.Stream == "lite" {
				least = min(least, cs.Sent)
				total += cs.Sent
			}
		}
		return least, total
	}

	msgs := make([]*certs.Cert, 64)
	for i := range msgs {
		msgs[i] = issued(b, []string{fmt.Sprintf("fan%d.example.com", i), fmt.Sprintf("www.fan%d.example.com", i)}, i%2 == 0, int64(i))
	}
	published := uint64(0)
	began := time.Now()
	cpu := processCPU(b)
	for b.Loop() {
		h.Publish(msgs[published%uint64(len(msgs))])
		published++
		if published%256 == 0 {
			// Stay within the queues so that readers lose nothing.
			for least, _ := readerSent(); published-least > 512; least, _ = readerSent() {
				time.Sleep(50 * time.Microsecond)
			}
		}
	}
	for least, _ := readerSent(); least < published; least, _ = readerSent() {
		time.Sleep(50 * time.Microsecond)
	}
	elapsed := time.Since(began)
	cpu = processCPU(b) - cpu
	_, delivered := readerSent()
	b.ReportMetric(float64(delivered)/elapsed.Seconds(), "delivered/s")
	b.ReportMetric(float64(delivered)/cpu.Seconds(), "delivered/hub-cpu-s")
	var readerDrops uint64
	for _, cs := range h.Stats().PerClient {
		if cs.Stream == "lite" {
			readerDrops += cs.Dropped
		}
	}
	b.ReportMetric(float64(readerDrops), "reader-drops")
}

// TestFanoutReaders is the reading side of BenchmarkHubFanout100, run by it in a child process.
func TestFanoutReaders(t *testing.T) {
	url := os.Getenv("CERTSTREAM_FANOUT_URL")
	if url == "" {
		t.Skip("run by BenchmarkHubFanout100")
	}
	n, err := strconv.Atoi(os.Getenv("CERTSTREAM_FANOUT_CLIENTS"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range n {
		conn := dial(t, url)
		wg.Go(func() {
			for {
				_, r, err := conn.Reader(context.Background())
				if err == nil {
					_, err = io.Copy(io.Discard, r)
				}
				if err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkPublishWithStalledClient is ingestion's cost of Publish while a connected client
// reads nothing: its queue is full, so every message is dropped for it without waiting.
func BenchmarkPublishWithStalledClient(b *testing.B) {
	h, srv := startHub(b, HubOptions{QueueSize: 16, MaxBehind: time.Hour, WriteTimeout: time.Hour})
	stalled := dial(b, wsURL(srv.URL)+"/certstream/full-stream")
	_ = stalled
	waitFor(b, "a subscriber", func() bool { return h.Stats().Clients == 1 })
	msg := issued(b, []string{"stalled.example.com"}, false, 1)
	b.ReportAllocs()
	for b.Loop() {
		h.Publish(msg)
	}
	st := h.Stats()
	if st.Clients != 1 {
		b.Fatalf("the stalled client was let go: %+v", st)
	}
	b.ReportMetric(float64(st.Dropped)/float64(b.N), "dropped/op")
}
