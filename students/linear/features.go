// Package linear is the CPU student that needs no Python: hashed word
// unigrams and bigrams weighted by tf-idf, and one ridge regression per
// dimension, solved by conjugate gradients with the regularisation chosen
// on the validation split. Train fits a Model; Model.Predict scores a text.
package linear

import (
	"math"
	"sort"
	"unicode"
)

// tokens hashes the lower-cased words of text (runs of letters or digits)
// with FNV-1a.
func tokens(text string, out []uint64) []uint64 {
	out = out[:0]
	var h uint64
	in := false
	for _, r := range text {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if !in {
				h, in = 0xCBF29CE484222325, true
			}
			r = unicode.ToLower(r)
			for r > 0 {
				h = (h ^ uint64(r&0xFF)) * 0x100000001B3
				r >>= 8
			}
		} else if in {
			out = append(out, h)
			in = false
		}
	}
	if in {
		out = append(out, h)
	}
	return out
}

func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// grams returns the hashed buckets of a text's unigrams and (when ngrams is
// 2) bigrams, with counts: bucket -> count.
func grams(text string, bits uint, ngrams int, buf []uint64, counts map[uint32]float32) []uint64 {
	buf = tokens(text, buf)
	mask := uint64(1)<<bits - 1
	clear(counts)
	for i, h := range buf {
		counts[uint32(mix(h)&mask)]++
		if ngrams >= 2 && i > 0 {
			counts[uint32(mix(buf[i-1]*31+h^0x9E3779B97F4A7C15)&mask)]++
		}
	}
	return buf
}

// row is one text's features: column indices and tf-idf values, L2-normalised.
type row struct {
	cols []int32
	vals []float32
}

// vectorize turns bucket counts into a normalised row over the columns the
// model knows (index: bucket -> column), with sublinear tf times idf.
func vectorize(counts map[uint32]float32, index map[uint32]int32, idf []float32) row {
	var r row
	var norm float64
	for b, c := range counts {
		col, ok := index[b]
		if !ok {
			continue
		}
		v := (1 + float32(math.Log(float64(c)))) * idf[col]
		r.cols = append(r.cols, col)
		r.vals = append(r.vals, v)
		norm += float64(v) * float64(v)
	}
	// Column order, so that sums are the same in every run.
	sort.Sort(&r)
	if norm > 0 {
		inv := float32(1 / math.Sqrt(norm))
		for i := range r.vals {
			r.vals[i] *= inv
		}
	}
	return r
}

func (r *row) Len() int           { return len(r.cols) }
func (r *row) Less(i, j int) bool { return r.cols[i] < r.cols[j] }
func (r *row) Swap(i, j int) {
	r.cols[i], r.cols[j] = r.cols[j], r.cols[i]
	r.vals[i], r.vals[j] = r.vals[j], r.vals[i]
}
