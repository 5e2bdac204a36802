// Command go-client is the reference load generator wsbench measures itself against: the seed's client
// design ("a custom client simulator in Go, close to gobwas/ws") written the idiomatic way — a goroutine
// pair per connection, one writing on the open-model schedule, one reading the echoes — with RTT taken
// from each message's intended send time, as wsbench does. It prints one JSON object on stdout.
//
//	go run . -url ws://127.0.0.1:8080/ -connections 1000 -rate 10 -size 128 -duration 12s -warmup 3s
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/gobwas/ws"
)

// Lead time between the last handshake and the first intended send.
const startLead = 200 * time.Millisecond

// How long echoes still in flight at the end are waited for (wsbench's default message timeout is 5 s;
// on loopback at these rates every echo is back within milliseconds).
const drainTimeout = 2 * time.Second

type options struct {
	url         string
	connections int
	rate        float64
	size        int
	duration    time.Duration
	warmup      time.Duration
	concurrency int
}

// Result is what one run measured, in wsbench's units and with its definitions: CPU per echo is the
// process's user+system time over the whole load phase divided by every echo received in it; the
// percentiles cover the measured window (after warm-up).
type Result struct {
	Connections      int     `json:"connections"`
	OfferedPerSec    float64 `json:"offeredPerSec"`
	AchievedPerSec   float64 `json:"achievedPerSec"`
	Sent             uint64  `json:"sent"`
	Received         uint64  `json:"received"`
	Lost             uint64  `json:"lost"`
	CPUMicrosPerEcho float64 `json:"cpuMicrosPerEcho"`
	SendLagP99Ms     float64 `json:"sendLagP99Ms"`
	SendLagMaxMs     float64 `json:"sendLagMaxMs"`
	RTTP50Ms         float64 `json:"rttP50Ms"`
	RTTP99Ms         float64 `json:"rttP99Ms"`
	OpenMs           float64 `json:"openMs"`
}

func main() {
	var o options
	flag.StringVar(&o.url, "url", "", "WebSocket URL of the echo server, e.g. ws://127.0.0.1:8080/")
	flag.IntVar(&o.connections, "connections", 1000, "connections to open")
	flag.Float64Var(&o.rate, "rate", 10, "messages per second per connection")
	flag.IntVar(&o.size, "size", 128, "message size in bytes (at least 8: the intended send time)")
	flag.DurationVar(&o.duration, "duration", 12*time.Second, "load duration, warm-up included")
	flag.DurationVar(&o.warmup, "warmup", 3*time.Second, "start of the load left out of the statistics")
	flag.IntVar(&o.concurrency, "concurrency", 64, "handshakes in flight at once")
	flag.Parse()
	if err := validate(o); err != nil {
		fmt.Fprintf(os.Stderr, "go-client: %v\n", err)
		os.Exit(2)
	}
	result, err := run(o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "go-client: %v\n", err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(result); err != nil {
		os.Exit(1)
	}
}

func validate(o options) error {
	switch {
	case o.url == "":
		return fmt.Errorf("expected -url ws://HOST:PORT/PATH, got nothing")
	case o.connections < 1:
		return fmt.Errorf("expected -connections >= 1, got %d", o.connections)
	case !(o.rate > 0):
		return fmt.Errorf("expected -rate > 0 messages per second per connection, got %v", o.rate)
	case o.size < payloadHeaderBytes:
		return fmt.Errorf("expected -size >= %d bytes (the payload carries the intended send time), got %d", payloadHeaderBytes, o.size)
	case o.warmup >= o.duration:
		return fmt.Errorf("expected -warmup (%v) shorter than -duration (%v)", o.warmup, o.duration)
	}
	return nil
}

func run(o options) (Result, error) {
	openedAt := time.Now()
	conns, err := dialAll(o)
	if err != nil {
		return Result{}, err
	}
	openMs := float64(time.Since(openedAt).Microseconds()) / 1000

	start := time.Now().Add(startLead)
	s := &session{
		schedule:    schedule{start: start, slot: time.Duration(float64(time.Second) / (o.rate * float64(len(conns)))), connections: len(conns)},
		measureFrom: start.Add(o.warmup),
		end:         start.Add(o.duration),
		size:        o.size,
	}
	cpuBefore := cpuMicros()
	var writers sync.WaitGroup
	for i, c := range conns {
		writers.Add(1)
		go func() {
			defer writers.Done()
			s.write(c, i)
		}()
		go s.read(c, i)
	}
	writers.Wait()
	for deadline := time.Now().Add(drainTimeout); s.echoes.Load() < s.sent.Load() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	cpu := cpuMicros() - cpuBefore
	for _, c := range conns {
		c.conn.Close()
	}

	lag, rtt := s.merged()
	measuredSec := o.duration.Seconds() - o.warmup.Seconds()
	sent, echoes := s.sent.Load(), s.echoes.Load()
	return Result{
		Connections:      len(conns),
		OfferedPerSec:    float64(len(conns)) * o.rate,
		AchievedPerSec:   float64(s.receivedInWindow.Load()) / measuredSec,
		Sent:             sent,
		Received:         echoes,
		Lost:             sent - min(sent, echoes),
		CPUMicrosPerEcho: float64(cpu) / float64(max(echoes, 1)),
		SendLagP99Ms:     lag.percentileMs(99),
		SendLagMaxMs:     float64(lag.max) / 1000,
		RTTP50Ms:         rtt.percentileMs(50),
		RTTP99Ms:         rtt.percentileMs(99),
		OpenMs:           openMs,
	}, nil
}

// dialAll opens every connection, o.concurrency handshakes at a time; any failure fails the run.
func dialAll(o options) ([]*client, error) {
	conns := make([]*client, o.connections)
	errs := make(chan error, o.connections)
	slots := make(chan struct{}, o.concurrency)
	var wg sync.WaitGroup
	dialer := ws.Dialer{Timeout: 10 * time.Second}
	for i := range conns {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			conn, br, _, err := dialer.Dial(context.Background(), o.url)
			if err != nil {
				errs <- fmt.Errorf("connection %d: %w", i, err)
				return
			}
			conns[i] = newClient(conn, br)
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		for _, c := range conns {
			if c != nil {
				c.conn.Close()
			}
		}
		return nil, err
	}
	return conns, nil
}

// cpuMicros is this process's user + system CPU time so far.
func cpuMicros() int64 {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		return 0
	}
	return usage.Utime.Nano()/1000 + usage.Stime.Nano()/1000
}
