package main

import "math/bits"

// histogram counts microsecond values in log-linear buckets: exact below 256 µs, then 128 buckets per
// power of two (at most 0.8% relative error), which is the precision HDR histograms give wsbench at
// three significant digits. Not safe for concurrent use; the caller locks.
type histogram struct {
	counts [256 + 40*128]uint64
	total  uint64
	max    uint64
}

const linearBuckets = 256

func bucketOf(us uint64) int {
	if us < linearBuckets {
		return int(us)
	}
	shift := bits.Len64(us) - 8
	return linearBuckets + (shift-1)*128 + int(us>>shift) - 128
}

// highestOf is the largest value that lands in bucket i (what HDR reports as a percentile's value).
func highestOf(i int) uint64 {
	if i < linearBuckets {
		return uint64(i)
	}
	shift := (i-linearBuckets)/128 + 1
	mantissa := uint64((i-linearBuckets)%128 + 128)
	return ((mantissa + 1) << shift) - 1
}

func (h *histogram) record(us uint64) {
	i := bucketOf(us)
	if i >= len(h.counts) {
		i = len(h.counts) - 1
	}
	h.counts[i]++
	h.total++
	if us > h.max {
		h.max = us
	}
}

func (h *histogram) add(other *histogram) {
	for i, count := range other.counts {
		h.counts[i] += count
	}
	h.total += other.total
	h.max = max(h.max, other.max)
}

// percentileMs is the value at percentile p (0–100) in milliseconds; 0 when empty.
func (h *histogram) percentileMs(p float64) float64 {
	if h.total == 0 {
		return 0
	}
	rank := uint64(p / 100 * float64(h.total))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, count := range h.counts {
		seen += count
		if seen >= rank {
			return float64(min(highestOf(i), h.max)) / 1000
		}
	}
	return float64(h.max) / 1000
}
