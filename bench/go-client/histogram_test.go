package main

import "testing"

func TestBucketsAreContiguousAndBounded(t *testing.T) {
	for us := uint64(0); us < 1<<22; us++ {
		i := bucketOf(us)
		if highestOf(i) < us {
			t.Fatalf("value %d lands in bucket %d whose highest value is %d", us, i, highestOf(i))
		}
		if i > 0 && highestOf(i-1) >= us {
			t.Fatalf("value %d lands in bucket %d but bucket %d already reaches %d", us, i, i-1, highestOf(i-1))
		}
		if us >= 256 && float64(highestOf(i)-us) > float64(us)/128 {
			t.Fatalf("value %d: bucket %d reports %d, more than 1/128 off", us, i, highestOf(i))
		}
	}
}

func TestPercentiles(t *testing.T) {
	var h histogram
	for us := uint64(1); us <= 1000; us++ {
		h.record(us)
	}
	if got := h.percentileMs(50); got < 0.496 || got > 0.504 {
		t.Fatalf("p50 of 1..1000 µs = %v ms, want 0.5", got)
	}
	if got := h.percentileMs(100); got != 1 {
		t.Fatalf("p100 = %v ms, want the max, 1", got)
	}
}
