package encode

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"gonum.org/v1/gonum/mat"
)

// sparse is a tf-idf matrix by rows over the vocabulary's columns.
type sparse struct {
	rows [][]int32
	vals [][]float32
	cols int
}

// dense is a row-major matrix.
type dense struct {
	r, c int
	v    []float64
}

func newDense(r, c int) *dense { return &dense{r: r, c: c, v: make([]float64, r*c)} }

func (d *dense) row(i int) []float64 { return d.v[i*d.c : (i+1)*d.c] }

// parallel runs fn over [0, n) in contiguous chunks, one per core.
func parallel(n int, fn func(lo, hi int)) {
	w := min(runtime.GOMAXPROCS(0), max(1, n/256))
	var wg sync.WaitGroup
	for k := range w {
		lo, hi := n*k/w, n*(k+1)/w
		wg.Add(1)
		go func() { defer wg.Done(); fn(lo, hi) }()
	}
	wg.Wait()
}

// mul is X·M (rows(X) × M.c).
func (x *sparse) mul(m *dense) *dense {
	out := newDense(len(x.rows), m.c)
	parallel(len(x.rows), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			o := out.row(i)
			for j, c := range x.rows[i] {
				v := float64(x.vals[i][j])
				for k, mv := range m.row(int(c)) {
					o[k] += v * mv
				}
			}
		}
	})
	return out
}

// tmul is Xᵀ·M (cols(X) × M.c), accumulated per chunk of rows then summed
// in chunk order. The chunks depend on the rows alone, never on the cores,
// so the sums (floating point: their order matters) and so the encoder
// are the same on every machine.
func (x *sparse) tmul(m *dense) *dense {
	chunks := min(tmulChunks, max(1, len(x.rows)/256))
	parts := make([]*dense, chunks)
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for k := range chunks {
		lo, hi := len(x.rows)*k/chunks, len(x.rows)*(k+1)/chunks
		parts[k] = newDense(x.cols, m.c)
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			p := parts[k]
			for i := lo; i < hi; i++ {
				mr := m.row(i)
				for j, c := range x.rows[i] {
					v := float64(x.vals[i][j])
					o := p.row(int(c))
					for k, mv := range mr {
						o[k] += v * mv
					}
				}
			}
		}()
	}
	wg.Wait()
	for _, p := range parts[1:] {
		for i, v := range p.v {
			parts[0].v[i] += v
		}
	}
	return parts[0]
}

// tmulChunks is how many partial sums tmul adds: each is cols × columns
// of float64 (43 MB at the default 20,000 × 266), so four are 170 MB at
// most while a fit runs on up to four cores.
const tmulChunks = 4

// gram is MᵀM with its eigenvectors and eigenvalues, largest first.
func gram(m *dense) (vals []float64, vecs *mat.Dense) {
	md := mat.NewDense(m.r, m.c, m.v)
	var prod mat.Dense
	prod.Mul(md.T(), md)
	g := mat.NewSymDense(m.c, nil)
	for a := range m.c {
		for b := a; b < m.c; b++ {
			g.SetSym(a, b, (prod.At(a, b)+prod.At(b, a))/2)
		}
	}
	var e mat.EigenSym
	if !e.Factorize(g, true) {
		return nil, nil
	}
	vals = e.Values(nil)
	vecs = &mat.Dense{}
	e.VectorsTo(vecs)
	// EigenSym orders ascending: reverse.
	order := make([]int, len(vals))
	for i := range order {
		order[i] = len(vals) - 1 - i
	}
	sorted := mat.NewDense(m.c, m.c, nil)
	out := make([]float64, m.c)
	for j, o := range order {
		out[j] = vals[o]
		for i := range m.c {
			sorted.Set(i, j, vecs.At(i, o))
		}
	}
	return out, sorted
}

// orth is an orthonormal basis of M's columns (M·W·Λ^-½ over the
// eigenpairs of MᵀM above a relative floor), at most keep columns, with the
// singular values (√λ) of the columns kept.
func orth(m *dense, keep int) (*dense, []float64) {
	vals, vecs := gram(m)
	if vals == nil || len(vals) == 0 || vals[0] <= 0 {
		return newDense(m.r, 0), nil
	}
	r := 0
	for r < min(keep, len(vals)) && vals[r] > vals[0]*1e-10 {
		r++
	}
	coef := newDense(m.c, r)
	sv := make([]float64, r)
	for j := range r {
		sv[j] = math.Sqrt(vals[j])
		for i := range m.c {
			coef.v[i*r+j] = vecs.At(i, j) / sv[j]
		}
	}
	out := newDense(m.r, r)
	if r > 0 {
		mat.NewDense(m.r, r, out.v).Mul(mat.NewDense(m.r, m.c, m.v), mat.NewDense(m.c, r, coef.v))
	}
	return out, sv
}

// lsa returns the k right singular vectors of x with the largest singular
// values, as a cols(x) × k matrix (fewer columns when x's rank is lower),
// by a randomized range finder with a power iteration (Halko, Martinsson
// and Tropp 2011, algorithms 4.4 and 5.1), seeded.
func lsa(x *sparse, k int, seed uint64) *dense {
	l := min(k+10, len(x.rows), x.cols)
	rng := rand.New(rand.NewPCG(seed, 0x6c7361))
	omega := newDense(x.cols, l)
	for i := range omega.v {
		omega.v[i] = rng.NormFloat64()
	}
	y := x.mul(omega)
	for range 1 {
		q, _ := orth(y, l)
		z, _ := orth(x.tmul(q), l)
		y = x.mul(z)
	}
	q, _ := orth(y, l)
	bt := x.tmul(q) // cols(x) × r: Bᵀ for B = Qᵀ·X
	v, _ := orth(bt, k)
	return v
}

// topVocabulary is the buckets in at least minDF documents, the size most
// frequent (ties by bucket), sorted by bucket.
func topVocabulary(df []int32, size int, minDF int32) []uint32 {
	var vocab []uint32
	for b, d := range df {
		if d >= minDF {
			vocab = append(vocab, uint32(b))
		}
	}
	slices.SortStableFunc(vocab, func(a, b uint32) int { return int(df[b]) - int(df[a]) })
	vocab = vocab[:min(size, len(vocab))]
	slices.Sort(vocab)
	return vocab
}
