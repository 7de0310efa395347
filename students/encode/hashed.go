package encode

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"

	"github.com/distillery/distillery/students/linear"
)

// HashedConfig shapes a hashed encoder.
type HashedConfig struct {
	// Dim is the length of the vectors: the latent topics kept.
	Dim int `json:"dim"`
	// Bits is the log2 of the word buckets, as for the linear student.
	Bits uint `json:"bits"`
	// Vocab is the most buckets kept (the most frequent, in MinDF
	// documents at least).
	Vocab int   `json:"vocab"`
	MinDF int32 `json:"min_df"`
	// FitDocs is the most texts the projection is fitted on (a seeded
	// sample of more).
	FitDocs int    `json:"fit_docs"`
	Seed    uint64 `json:"seed"`
}

// DefaultHashed is the CPU default: 256 floats from the 20,000 most
// frequent of 2^18 word buckets, fitted on up to 20,000 texts.
func DefaultHashed() HashedConfig {
	return HashedConfig{Dim: 256, Bits: 18, Vocab: 20000, MinDF: 2, FitDocs: 20000, Seed: 42}
}

func (c HashedConfig) check() error {
	if c.Dim < 8 || c.Dim > 1024 || c.Bits < 8 || c.Bits > 24 || c.Vocab < c.Dim || c.Vocab > 1<<20 || c.MinDF < 1 || c.FitDocs < 1 {
		return fmt.Errorf("hashed encoder %+v: want dim 8-1024, bits 8-24, vocab dim-2^20, min_df and fit_docs at least 1", c)
	}
	return nil
}

// Hashed is the CPU encoder, latent semantic analysis on the linear
// student's hashed words: sublinear term frequency times an inverse
// document frequency, over a vocabulary of frequent buckets, projected on
// the Dim leading right singular vectors of the fitted texts' tf-idf
// matrix (computed by a randomized SVD, lsa) and L2-normalised. Words
// used together (a topic) land on the same coordinates, so two articles on
// one subject are near even when they share few words. Everything is
// frozen at FitHashed and saved with the encoder: one text gives the same
// vector on every machine, whatever else is encoded with it.
type Hashed struct {
	cfg   HashedConfig
	vocab []uint32  // buckets, ascending
	idf   []float32 // per vocab entry
	proj  []float32 // len(vocab) × Dim, row-major
	index []int32   // bucket -> vocab entry, -1 for none
	name  string
	docs  int64
}

// FitHashed fits a hashed encoder on texts (a filter's compressed texts).
func FitHashed(texts []string, cfg HashedConfig) (*Hashed, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if len(texts) > cfg.FitDocs {
		texts = sampleTexts(texts, cfg.FitDocs, cfg.Seed)
	}
	bags := make([][]uint32, len(texts))
	cnts := make([][]float32, len(texts))
	df := make([]int32, 1<<cfg.Bits)
	var f linear.Features
	for i, t := range texts {
		b, c := f.Fill(t, cfg.Bits, 1)
		bags[i], cnts[i] = slices.Clone(b), slices.Clone(c)
		for _, x := range b {
			df[x]++
		}
	}
	minDF := cfg.MinDF
	if int(minDF) > len(texts)/2 {
		minDF = 1 // a handful of texts: every word counts
	}
	e := &Hashed{cfg: cfg, docs: int64(len(texts)), vocab: topVocabulary(df, cfg.Vocab, minDF)}
	if len(e.vocab) == 0 {
		return nil, fmt.Errorf("%w: no word in %d texts", ErrTooFewTexts, len(texts))
	}
	n := float64(len(texts))
	e.idf = make([]float32, len(e.vocab))
	for j, b := range e.vocab {
		e.idf[j] = float32(math.Log((1+n)/(1+float64(df[b]))) + 1)
	}
	e.buildIndex()
	x := &sparse{rows: make([][]int32, len(texts)), vals: make([][]float32, len(texts)), cols: len(e.vocab)}
	for i := range texts {
		x.rows[i], x.vals[i] = e.tfidf(bags[i], cnts[i], nil, nil)
	}
	v := lsa(x, cfg.Dim, cfg.Seed)
	e.proj = make([]float32, len(e.vocab)*cfg.Dim)
	for j := range len(e.vocab) {
		for k := range v.c {
			e.proj[j*cfg.Dim+k] = float32(v.v[j*v.c+k])
		}
	}
	e.name = e.digest()
	return e, nil
}

// sampleTexts is n of texts, chosen by a seeded shuffle, in their order.
func sampleTexts(texts []string, n int, seed uint64) []string {
	rng := rand.New(rand.NewPCG(seed, 0x73616d))
	keep := rng.Perm(len(texts))[:n]
	slices.Sort(keep)
	out := make([]string, n)
	for i, k := range keep {
		out[i] = texts[k]
	}
	return out
}

func (e *Hashed) buildIndex() {
	e.index = make([]int32, 1<<e.cfg.Bits)
	for i := range e.index {
		e.index[i] = -1
	}
	for j, b := range e.vocab {
		e.index[b] = int32(j)
	}
}

// tfidf is a bag's L2-normalised tf-idf over the vocabulary.
func (e *Hashed) tfidf(buckets []uint32, counts []float32, cols []int32, vals []float32) ([]int32, []float32) {
	cols, vals = cols[:0], vals[:0]
	var norm float64
	for i, b := range buckets {
		j := e.index[b]
		if j < 0 {
			continue
		}
		v := (1 + float32(math.Log(float64(counts[i])))) * e.idf[j]
		cols, vals = append(cols, j), append(vals, v)
		norm += float64(v) * float64(v)
	}
	if norm > 0 {
		inv := float32(1 / math.Sqrt(norm))
		for i := range vals {
			vals[i] *= inv
		}
	}
	return cols, vals
}

// digest names the encoder by a hash of all that fixes its vectors.
func (e *Hashed) digest() string {
	h := sha256.New()
	json.NewEncoder(h).Encode(e.cfg)
	binary.Write(h, binary.LittleEndian, e.vocab)
	binary.Write(h, binary.LittleEndian, e.idf)
	binary.Write(h, binary.LittleEndian, e.proj)
	return fmt.Sprintf("hashed-%d@%s", e.cfg.Dim, hex.EncodeToString(h.Sum(nil))[:8])
}

func (e *Hashed) Name() string         { return e.name }
func (e *Hashed) Dim() int             { return e.cfg.Dim }
func (e *Hashed) Config() HashedConfig { return e.cfg }
func (e *Hashed) Close() error         { return nil }

// Encode embeds texts on every core.
func (e *Hashed) Encode(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	flat := make([]float32, len(texts)*e.cfg.Dim)
	workers := min(runtime.GOMAXPROCS(0), max(1, len(texts)/64))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var f linear.Features
			var cols []int32
			var vals []float32
			for i := w; i < len(texts); i += workers {
				if i%1024 == w && ctx.Err() != nil {
					return
				}
				out[i] = flat[i*e.cfg.Dim : (i+1)*e.cfg.Dim : (i+1)*e.cfg.Dim]
				b, c := f.Fill(texts[i], e.cfg.Bits, 1)
				cols, vals = e.tfidf(b, c, cols, vals)
				e.project(cols, vals, out[i])
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// project writes the unit vector of a tf-idf row into v (zeroed).
func (e *Hashed) project(cols []int32, vals []float32, v []float32) {
	d := e.cfg.Dim
	for i, j := range cols {
		x := vals[i]
		// Resliced to v's length so the compiler drops the bounds check
		// per coordinate, and four coordinates a step: each v[k] still
		// sums the same products in the same order (the same bits).
		p := e.proj[int(j)*d : int(j+1)*d][:len(v)]
		k := 0
		for ; k+4 <= len(v); k += 4 {
			vk, pk := v[k:k+4:k+4], p[k:k+4:k+4]
			vk[0] += x * pk[0]
			vk[1] += x * pk[1]
			vk[2] += x * pk[2]
			vk[3] += x * pk[3]
		}
		for ; k < len(v); k++ {
			v[k] += x * p[k]
		}
	}
	var norm float64
	for _, x := range v {
		norm += float64(x) * float64(x)
	}
	if norm > 0 {
		inv := float32(1 / math.Sqrt(norm))
		for i := range v {
			v[i] *= inv
		}
	}
}

// hashedFile is encoder.json, beside weights.bin.gz: the vocabulary
// (uint32 buckets), its idf (float32) and the projection (float32,
// vocabulary × dim), little-endian, gzipped.
type hashedFile struct {
	Kind   string       `json:"kind"`
	Name   string       `json:"name"`
	Config HashedConfig `json:"config"`
	Docs   int64        `json:"docs"`
	Vocab  int          `json:"vocab"`
}

const weightsFile = "weights.bin.gz"

// Save writes the encoder into dir (created).
func (e *Hashed) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	for _, part := range []any{e.vocab, e.idf, e.proj} {
		if err := binary.Write(zw, binary.LittleEndian, part); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := writeFileSync(filepath.Join(dir, weightsFile), buf.Bytes()); err != nil {
		return err
	}
	meta, _ := json.MarshalIndent(hashedFile{Kind: "hashed", Name: e.name, Config: e.cfg, Docs: e.docs, Vocab: len(e.vocab)}, "", "  ")
	return writeFileSync(filepath.Join(dir, "encoder.json"), append(meta, '\n'))
}

// LoadHashed reads an encoder Save wrote, and checks that it is the one
// its name says.
func LoadHashed(dir string) (*Hashed, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "encoder.json"))
	if err != nil {
		return nil, fmt.Errorf("hashed encoder: %w", err)
	}
	var meta hashedFile
	if err := json.Unmarshal(raw, &meta); err != nil || meta.Kind != "hashed" {
		return nil, fmt.Errorf("hashed encoder %s: encoder.json is not a hashed encoder's (%v)", dir, err)
	}
	if err := meta.Config.check(); err != nil {
		return nil, err
	}
	if meta.Vocab < 1 || meta.Vocab > meta.Config.Vocab {
		return nil, fmt.Errorf("%w: %s: vocabulary of %d", ErrDamaged, dir, meta.Vocab)
	}
	gz, err := os.ReadFile(filepath.Join(dir, weightsFile))
	if err != nil {
		return nil, fmt.Errorf("hashed encoder: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %s: %v", ErrDamaged, dir, weightsFile, err)
	}
	e := &Hashed{cfg: meta.Config, docs: meta.Docs, vocab: make([]uint32, meta.Vocab), idf: make([]float32, meta.Vocab),
		proj: make([]float32, meta.Vocab*meta.Config.Dim)}
	for _, part := range []any{e.vocab, e.idf, e.proj} {
		if err := binary.Read(zr, binary.LittleEndian, part); err != nil {
			return nil, fmt.Errorf("%w: %s: %s: %v", ErrDamaged, dir, weightsFile, err)
		}
	}
	for i, b := range e.vocab {
		if b >= 1<<meta.Config.Bits || (i > 0 && b <= e.vocab[i-1]) {
			return nil, fmt.Errorf("%w: %s: vocabulary out of order", ErrDamaged, dir)
		}
	}
	e.buildIndex()
	e.name = e.digest()
	if e.name != meta.Name {
		return nil, fmt.Errorf("%w: %s holds %s but its idf makes %s", ErrDamaged, dir, meta.Name, e.name)
	}
	return e, nil
}

// writeFileSync writes a file through a temporary name, synced, so a
// crash leaves the old file or the new one.
func writeFileSync(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
