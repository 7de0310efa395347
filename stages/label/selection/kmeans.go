package selection

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
)

// maxClusters caps diverse's clusters: past a few dozen, more clusters
// spread a budget little further and cost time in proportion.
const maxClusters = 32

// kmeansRounds caps the assignment rounds.
const kmeansRounds = 15

// clusters groups the vectors of the articles at idx into k clusters by
// spherical k-means (cosine; the vectors are unit), seeded by k-means++:
// the cluster of each, in idx's order. The same inputs and seed give the
// same clusters.
func clusters(vectors [][]float32, idx []int, k int, seed uint64) []int {
	rng := rand.New(rand.NewPCG(seed, 0x6b6d65616e73))
	dim := len(vectors[idx[0]])
	centers := make([][]float32, 0, k)
	centers = append(centers, clone(vectors[idx[rng.IntN(len(idx))]]))
	dist := make([]float64, len(idx))
	for i := range dist {
		dist[i] = math.Inf(1)
	}
	for len(centers) < k {
		last := centers[len(centers)-1]
		var total float64
		for j, i := range idx {
			d := 1 - dot(vectors[i], last)
			dist[j] = min(dist[j], max(d, 0))
			total += dist[j]
		}
		if total == 0 {
			break // fewer distinct vectors than k
		}
		r := rng.Float64() * total
		pick := len(idx) - 1
		for j, d := range dist {
			if r -= d; r <= 0 {
				pick = j
				break
			}
		}
		centers = append(centers, clone(vectors[idx[pick]]))
	}
	assign := make([]int, len(idx))
	for round := range kmeansRounds {
		if !reassign(vectors, idx, centers, assign) && round > 0 {
			break
		}
		sums := make([][]float32, len(centers))
		for c := range sums {
			sums[c] = make([]float32, dim)
		}
		for j, i := range idx {
			for d, x := range vectors[i] {
				sums[assign[j]][d] += x
			}
		}
		for c, s := range sums {
			if isZero(s) {
				continue // an empty cluster keeps its center
			}
			normalize(s)
			centers[c] = s
		}
	}
	return assign
}

// reassign puts each article in its nearest center's cluster (ties to the
// lower center) and reports whether any moved.
func reassign(vectors [][]float32, idx []int, centers [][]float32, assign []int) bool {
	workers := min(runtime.GOMAXPROCS(0), max(1, len(idx)/512))
	moved := make([]bool, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := len(idx)*w/workers, len(idx)*(w+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := lo; j < hi; j++ {
				best, bestC := math.Inf(-1), 0
				for c, center := range centers {
					if s := dot(vectors[idx[j]], center); s > best {
						best, bestC = s, c
					}
				}
				if assign[j] != bestC {
					assign[j], moved[w] = bestC, true
				}
			}
		}()
	}
	wg.Wait()
	for _, m := range moved {
		if m {
			return true
		}
	}
	return false
}

func clone(v []float32) []float32 { return append([]float32(nil), v...) }

func isZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}
