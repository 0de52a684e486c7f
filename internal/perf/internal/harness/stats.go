package harness

import (
	"fmt"
	"math"
	"slices"
)

// Summary is the spread of one measured quantity over repeated runs. The suite reports
// min, median and max rather than a mean: on a shared machine the distribution has a
// long right tail, and the mean would follow it.
type Summary struct {
	N                int
	Min, Median, Max float64
}

// Summarize summarises xs. An empty slice gives a zero Summary with N = 0.
func Summarize(xs []float64) Summary {
	if len(xs) == 0 {
		return Summary{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return Summary{N: len(s), Min: s[0], Median: median(s), Max: s[len(s)-1]}
}

// median of sorted values: the mean of the two middle ones for an even count.
func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// Percentile returns the p-th percentile (0..100) of xs by the nearest-rank method.
func Percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[min(max(rank, 1), len(s))-1]
}

// Pairwise applies f to each pair (a[i], b[i]): the runs of a paired measurement, taken
// back to back under the same machine load. The slices must have the same length.
func Pairwise(a, b []float64, f func(a, b float64) float64) ([]float64, error) {
	if len(a) != len(b) {
		return nil, fmt.Errorf("pairwise: %d runs against %d", len(a), len(b))
	}
	out := make([]float64, len(a))
	for i := range a {
		out[i] = f(a[i], b[i])
	}
	return out, nil
}

// Diff and Ratio are the pair functions the report uses.
func Diff(a, b float64) float64  { return a - b }
func Ratio(a, b float64) float64 { return a / b }
