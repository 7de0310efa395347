// Package linear is the CPU student that needs no Python: hashed word
// unigrams and bigrams weighted by tf-idf, and one ridge regression per
// dimension, solved by conjugate gradients with the regularisation chosen
// on the validation split. Train fits a Model; Model.Predict scores a text.
package linear

import (
	"math"
	"slices"
	"unicode"
)

// tokens hashes the lower-cased words of text (runs of letters or digits)
// with FNV-1a.
func tokens(text string, out []uint64) []uint64 {
	out = out[:0]
	var h uint64
	in := false
	for _, r := range text {
		if r < 0x80 {
			c := byte(r)
			switch {
			case c >= 'A' && c <= 'Z':
				c += 'a' - 'A'
				fallthrough
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
				if !in {
					h, in = 0xCBF29CE484222325, true
				}
				h = (h ^ uint64(c)) * 0x100000001B3
				continue
			}
		} else if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if !in {
				h, in = 0xCBF29CE484222325, true
			}
			r = unicode.ToLower(r)
			for r > 0 {
				h = (h ^ uint64(r&0xFF)) * 0x100000001B3
				r >>= 8
			}
			continue
		}
		if in {
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

// bag is a text's hashed unigrams and (with ngrams 2) bigrams as sorted
// buckets with their counts.
type bag struct {
	buckets []uint32
	counts  []float32
	toks    []uint64
	raw     []uint32
}

func (b *bag) fill(text string, bits uint, ngrams int) {
	b.toks = tokens(text, b.toks)
	mask := uint64(1)<<bits - 1
	b.raw = b.raw[:0]
	for i, h := range b.toks {
		b.raw = append(b.raw, uint32(mix(h)&mask))
		if ngrams >= 2 && i > 0 {
			b.raw = append(b.raw, uint32(mix(b.toks[i-1]*31+h^0x9E3779B97F4A7C15)&mask))
		}
	}
	slices.Sort(b.raw)
	b.buckets, b.counts = b.buckets[:0], b.counts[:0]
	for i, x := range b.raw {
		if i > 0 && x == b.raw[i-1] {
			b.counts[len(b.counts)-1]++
			continue
		}
		b.buckets = append(b.buckets, x)
		b.counts = append(b.counts, 1)
	}
}

// row is one text's features: column indices and tf-idf values,
// L2-normalised.
type row struct {
	cols []int32
	vals []float32
}

// vectorize turns a bag into a normalised row over the columns the model
// knows (index: bucket -> column, -1 for none), with sublinear tf times
// idf. Entries follow bucket order, so every sum over a row is the same in
// every run.
func vectorize(b *bag, index []int32, idf []float32, r *row) {
	r.cols, r.vals = r.cols[:0], r.vals[:0]
	var norm float64
	for i, bk := range b.buckets {
		col := index[bk]
		if col < 0 {
			continue
		}
		v := (1 + float32(math.Log(float64(b.counts[i])))) * idf[col]
		r.cols = append(r.cols, col)
		r.vals = append(r.vals, v)
		norm += float64(v) * float64(v)
	}
	if norm > 0 {
		inv := float32(1 / math.Sqrt(norm))
		for i := range r.vals {
			r.vals[i] *= inv
		}
	}
}

func (r *row) Len() int           { return len(r.cols) }
func (r *row) Less(i, j int) bool { return r.cols[i] < r.cols[j] }
func (r *row) Swap(i, j int) {
	r.cols[i], r.cols[j] = r.cols[j], r.cols[i]
	r.vals[i], r.vals[j] = r.vals[j], r.vals[i]
}

// Features fills a text's hashed features, as the linear student sees
// them, for other users of the same features (students/encode): each
// distinct bucket of the text's unigrams (and with ngrams 2 its bigrams)
// among 2^bits, in ascending order, with its count. The slices are reused
// by the next Fill.
type Features struct{ b bag }

// Fill returns text's buckets and counts.
func (f *Features) Fill(text string, bits uint, ngrams int) (buckets []uint32, counts []float32) {
	f.b.fill(text, bits, ngrams)
	return f.b.buckets, f.b.counts
}
