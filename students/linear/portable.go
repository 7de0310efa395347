package linear

import (
	"fmt"
	"slices"
)

// PortableFormat names Portable's JSON, what an exported model's
// weights/linear.json holds (distill model export).
const PortableFormat = "distill-linear-json"

// Hashing says in words how a text becomes buckets, so a reader of an
// exported model's JSON can reproduce it (predict.py does); features.go is
// the definition.
const Hashing = "words: maximal runs of letters or digits (Unicode L and Nd), lower-cased (simple case mapping); " +
	"each word hashed by FNV-1a 64 over its bytes (ASCII: the byte; other runes: the rune's bytes little-endian, low byte first, while nonzero); " +
	"unigram bucket = mix(h) & (2^bits-1), bigram bucket (ngrams 2) = mix((h_prev*31 + h) ^ 0x9E3779B97F4A7C15) & (2^bits-1), " +
	"mix = splitmix64's finaliser; value = (1 + ln count) * idf in float32, the row L2-normalised (norm summed in float64 in bucket order, scaled in float32); " +
	"score = clip(intercept + sum value*weight (float64), 0, 10)"

// Portable is a Model as JSON, everything its predictions need: the
// hashing (Bits, NGrams), the columns' buckets and idf, one weight per
// column and dimension and the intercepts (the training means).
type Portable struct {
	Format     string      `json:"format"`
	Version    int         `json:"version"`
	Hashing    string      `json:"hashing"`
	Bits       uint        `json:"bits"`
	NGrams     int         `json:"ngrams"`
	MinDF      int         `json:"min_df"`
	Dimensions []string    `json:"dimensions"`
	Lambda     []float64   `json:"lambda"`
	Intercept  []float64   `json:"intercept"`
	Buckets    []uint32    `json:"buckets"`
	IDF        []float32   `json:"idf"`
	Weights    [][]float32 `json:"weights"`
}

// Portable returns the model as JSON-ready data.
func (m *Model) Portable() *Portable {
	return &Portable{Format: PortableFormat, Version: Version, Hashing: Hashing, Bits: m.Config.Bits, NGrams: m.Config.NGrams,
		MinDF: m.Config.MinDF, Dimensions: m.Dimensions, Lambda: m.Lambda, Intercept: m.Mean, Buckets: m.Buckets, IDF: m.IDF, Weights: m.Weights}
}

// FromPortable rebuilds a Model from its Portable form, checked as Load
// checks a saved one.
func FromPortable(p *Portable) (*Model, error) {
	if p.Format != PortableFormat || p.Version != Version {
		return nil, fmt.Errorf("linear model JSON: format %q version %d, this distill reads %q version %d", p.Format, p.Version, PortableFormat, Version)
	}
	k := len(p.Dimensions)
	if len(p.Weights) != k || len(p.Intercept) != k || len(p.IDF) != len(p.Buckets) || p.Bits < 8 || p.Bits > 24 || p.NGrams < 1 || p.NGrams > 2 {
		return nil, fmt.Errorf("linear model JSON: inconsistent (%d dimensions, %d weight rows, %d intercepts, %d buckets, %d idf, bits %d, ngrams %d)",
			k, len(p.Weights), len(p.Intercept), len(p.Buckets), len(p.IDF), p.Bits, p.NGrams)
	}
	for d, w := range p.Weights {
		if len(w) != len(p.Buckets) {
			return nil, fmt.Errorf("linear model JSON: %s has %d weights for %d buckets", p.Dimensions[d], len(w), len(p.Buckets))
		}
	}
	seen := map[uint32]bool{}
	for _, b := range p.Buckets {
		if b >= 1<<p.Bits || seen[b] {
			return nil, fmt.Errorf("linear model JSON: bucket %d out of range or repeated (bits %d)", b, p.Bits)
		}
		seen[b] = true
	}
	m := &Model{Version: p.Version, Dimensions: slices.Clone(p.Dimensions), Config: Config{Bits: p.Bits, NGrams: p.NGrams, MinDF: p.MinDF},
		Lambda: p.Lambda, Mean: p.Intercept, Buckets: p.Buckets, IDF: p.IDF, Weights: p.Weights}
	m.buildIndex()
	return m, nil
}
