package main

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
)

// The payload's first 8 bytes: the message's intended send time, nanoseconds after the schedule's start.
const payloadHeaderBytes = 8

// Histograms are sharded by connection so that 1000 goroutines do not all queue on one mutex.
const histogramShards = 16

// schedule is wsbench's open-model schedule: connection i sends its k-th message at
// start + (k·N + i)·slot, so the N connections take turns at one fixed global cadence.
type schedule struct {
	start       time.Time
	slot        time.Duration
	connections int
}

func (s schedule) intended(k, i int) time.Time {
	return s.start.Add(time.Duration(k*s.connections+i) * s.slot)
}

type shard struct {
	mu      sync.Mutex
	sendLag histogram
	rtt     histogram
}

type session struct {
	schedule    schedule
	measureFrom time.Time
	end         time.Time
	size        int

	sent, echoes, receivedInWindow atomic.Uint64
	shards                         [histogramShards]shard
}

type client struct {
	conn net.Conn
	br   *bufio.Reader
}

func newClient(conn net.Conn, br *bufio.Reader) *client {
	if br == nil {
		br = bufio.NewReaderSize(conn, 4096)
	}
	return &client{conn: conn, br: br}
}

// write sends connection i's messages at their intended times until the end of the load; a late send
// is measured (send lag) and still made, never skipped.
func (s *session) write(c *client, i int) {
	header := ws.Header{Fin: true, OpCode: ws.OpBinary, Masked: true, Length: int64(s.size)}
	headerBytes := ws.HeaderSize(header)
	frame := make([]byte, headerBytes+s.size)
	payload := frame[headerBytes:]
	shard := &s.shards[i%histogramShards]
	for k := 0; ; k++ {
		intended := s.schedule.intended(k, i)
		if !intended.Before(s.end) {
			return
		}
		if wait := time.Until(intended); wait > 0 {
			time.Sleep(wait)
		}
		now := time.Now()
		for j := range payload {
			payload[j] = 'a'
		}
		binary.LittleEndian.PutUint64(payload, uint64(intended.Sub(s.schedule.start)))
		header.Mask = ws.NewMask()
		ws.Cipher(payload, header.Mask, 0)
		writeHeader(frame, header)
		if _, err := c.conn.Write(frame); err != nil {
			return
		}
		s.sent.Add(1)
		if !intended.Before(s.measureFrom) {
			shard.mu.Lock()
			shard.sendLag.record(uint64(now.Sub(intended).Microseconds()))
			shard.mu.Unlock()
		}
	}
}

// read takes echoes until the connection closes and records each one's RTT from its intended send time.
func (s *session) read(c *client, i int) {
	buf := make([]byte, s.size)
	shard := &s.shards[i%histogramShards]
	for {
		header, err := ws.ReadHeader(c.br)
		if err != nil {
			return
		}
		if int(header.Length) > len(buf) {
			buf = make([]byte, header.Length)
		}
		payload := buf[:header.Length]
		if _, err := io.ReadFull(c.br, payload); err != nil {
			return
		}
		if header.OpCode.IsControl() {
			if header.OpCode == ws.OpClose {
				return
			}
			continue
		}
		now := time.Now()
		if len(payload) < payloadHeaderBytes {
			continue
		}
		intended := s.schedule.start.Add(time.Duration(binary.LittleEndian.Uint64(payload)))
		s.echoes.Add(1)
		if intended.Before(s.measureFrom) {
			continue
		}
		if !now.After(s.end) {
			s.receivedInWindow.Add(1)
		}
		shard.mu.Lock()
		shard.rtt.record(uint64(now.Sub(intended).Microseconds()))
		shard.mu.Unlock()
	}
}

// writeHeader encodes a client frame header (at most 14 bytes) at the start of frame.
func writeHeader(frame []byte, h ws.Header) {
	w := fixedWriter{buf: frame[:0:ws.HeaderSize(h)]}
	_ = ws.WriteHeader(&w, h)
}

type fixedWriter struct{ buf []byte }

func (w *fixedWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	return len(p), nil
}

func (s *session) merged() (lag, rtt *histogram) {
	lag, rtt = new(histogram), new(histogram)
	for i := range s.shards {
		lag.add(&s.shards[i].sendLag)
		rtt.add(&s.shards[i].rtt)
	}
	return lag, rtt
}
