package encode_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/students/encode"
)

// bbc reads up to n articles of each of the BBC corpus's five topics.
func bbc(t testing.TB, n int) (texts []string, topics []string) {
	t.Helper()
	root := testutil.Shared(t, "corpus/bbc-fulltext/bbc")
	for _, topic := range []string{"business", "entertainment", "politics", "sport", "tech"} {
		files, err := filepath.Glob(filepath.Join(root, topic, "*.txt"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: %v (%d files)", topic, err, len(files))
		}
		slices.Sort(files)
		for _, f := range files[:min(n, len(files))] {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			texts, topics = append(texts, string(b)), append(topics, topic)
		}
	}
	return texts, topics
}

func cos(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// TestHashed_TopicsCluster checks that the vectors carry meaning: on the
// BBC corpus, articles of one topic are nearer each other than articles of
// two topics, for every topic, and each article's nearest other article
// mostly shares its topic.
func TestHashed_TopicsCluster(t *testing.T) {
	ctx := context.Background()
	texts, topics := bbc(t, 60)
	e, err := encode.FitHashed(texts, encode.DefaultHashed())
	if err != nil {
		t.Fatal(err)
	}
	vs, err := e.Encode(ctx, texts)
	if err != nil {
		t.Fatal(err)
	}
	within, across := map[string][2]float64{}, map[string][2]float64{}
	nearestSame := 0
	for i := range vs {
		if n := cos(vs[i], vs[i]); math.Abs(n-1) > 1e-5 {
			t.Fatalf("vector %d has squared norm %g", i, n)
		}
		best, bestJ := -2.0, -1
		for j := range vs {
			if i == j {
				continue
			}
			c := cos(vs[i], vs[j])
			m := across
			if topics[i] == topics[j] {
				m = within
			}
			s := m[topics[i]]
			m[topics[i]] = [2]float64{s[0] + c, s[1] + 1}
			if c > best {
				best, bestJ = c, j
			}
		}
		if topics[bestJ] == topics[i] {
			nearestSame++
		}
	}
	for topic, w := range within {
		a := across[topic]
		if w[0]/w[1] <= a[0]/a[1]+0.02 {
			t.Errorf("%s: mean cosine within %.3f, across %.3f", topic, w[0]/w[1], a[0]/a[1])
		}
	}
	if share := float64(nearestSame) / float64(len(vs)); share < 0.85 {
		t.Errorf("nearest neighbour shares the topic for %.2f of articles, want ≥ 0.85", share)
	}
}

// TestHashed_SaveLoad checks that a saved encoder embeds exactly as the
// fitted one, keeps its name, that a text's vector does not depend on what
// it is encoded with, and that damaged files are refused.
func TestHashed_SaveLoad(t *testing.T) {
	ctx := context.Background()
	texts, _ := bbc(t, 10)
	e, err := encode.FitHashed(texts, encode.DefaultHashed())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := e.Save(dir); err != nil {
		t.Fatal(err)
	}
	back, err := encode.LoadHashed(dir)
	if err != nil {
		t.Fatal(err)
	}
	if back.Name() != e.Name() || back.Dim() != 256 {
		t.Fatalf("loaded %s/%d, saved %s", back.Name(), back.Dim(), e.Name())
	}
	all, _ := e.Encode(ctx, texts)
	one, _ := back.Encode(ctx, texts[3:4])
	if !slices.Equal(all[3], one[0]) {
		t.Error("a text's vector changed with the encoder reloaded or encoded alone")
	}
	empty, _ := e.Encode(ctx, []string{"", "!!!"})
	if cos(empty[0], empty[0]) != 0 || cos(empty[1], empty[1]) != 0 {
		t.Error("a text with no words should have the zero vector")
	}
	other, _ := encode.FitHashed(texts[:5], encode.DefaultHashed())
	if other.Name() == e.Name() {
		t.Error("two idfs share a name")
	}
	if err := other.Save(filepath.Join(t.TempDir(), "o")); err != nil {
		t.Fatal(err)
	}
	idf, _ := os.ReadFile(filepath.Join(dir, "weights.bin.gz"))
	// encoder.json naming e, with another encoder's idf: refused.
	od := filepath.Join(t.TempDir(), "x")
	other.Save(od)
	meta, _ := os.ReadFile(filepath.Join(dir, "encoder.json"))
	os.WriteFile(filepath.Join(od, "encoder.json"), meta, 0o644)
	if _, err := encode.LoadHashed(od); !errors.Is(err, encode.ErrDamaged) {
		t.Errorf("mismatched idf: %v", err)
	}
	os.WriteFile(filepath.Join(od, "weights.bin.gz"), idf[:len(idf)/2], 0o644)
	if _, err := encode.LoadHashed(od); err == nil {
		t.Error("a truncated idf loaded")
	}
	single, err := encode.FitHashed(texts[:1], encode.DefaultHashed())
	if err != nil {
		t.Fatalf("one text: %v", err)
	}
	if v, _ := single.Encode(ctx, texts[:1]); math.Abs(cos(v[0], v[0])-1) > 1e-5 {
		t.Error("an encoder fitted on one text embeds it as the zero vector")
	}
	if _, err := encode.FitHashed(nil, encode.DefaultHashed()); !errors.Is(err, encode.ErrTooFewTexts) {
		t.Errorf("no texts: %v", err)
	}
	if _, err := encode.FitHashed(texts, encode.HashedConfig{Dim: 2}); err == nil {
		t.Error("dim 2 accepted")
	}
}

// BenchmarkHashed_Encode embeds the BBC corpus (2,225 articles, ~2,300
// characters each); b.N rounds of the whole corpus, reported as articles/s.
func BenchmarkHashed_Encode(b *testing.B) {
	ctx := context.Background()
	texts, _ := bbc(b, 1000)
	e, err := encode.FitHashed(texts, encode.DefaultHashed())
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.Encode(ctx, texts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(texts)*b.N)/b.Elapsed().Seconds(), "articles/s")
}

// TestHashed_SameOnEveryMachine: the fit does not depend on the cores it
// runs on (a partial sum per core once made the encoder differ between 1,
// 2 and 3 cores).
func TestHashed_SameOnEveryMachine(t *testing.T) {
	texts, _ := bbc(t, 200)
	names := map[string][]int{}
	for _, procs := range []int{1, 3} {
		prev := runtime.GOMAXPROCS(procs)
		e, err := encode.FitHashed(texts, encode.DefaultHashed())
		runtime.GOMAXPROCS(prev)
		if err != nil {
			t.Fatal(err)
		}
		names[e.Name()] = append(names[e.Name()], procs)
	}
	if len(names) != 1 {
		t.Errorf("the encoder depends on the cores: %v", names)
	}
}

// TestHashed_EncodeSameOnAnyCores: a text's vector is its own, so encoding
// on 1 core and on 4 (a share of the texts each) gives the same bits.
func TestHashed_EncodeSameOnAnyCores(t *testing.T) {
	ctx := context.Background()
	texts, _ := bbc(t, 100)
	e, err := encode.FitHashed(texts, encode.DefaultHashed())
	if err != nil {
		t.Fatal(err)
	}
	var got [][][]float32
	for _, procs := range []int{1, 4} {
		prev := runtime.GOMAXPROCS(procs)
		vs, err := e.Encode(ctx, texts)
		runtime.GOMAXPROCS(prev)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, vs)
	}
	for i := range texts {
		if !slices.Equal(got[0][i], got[1][i]) {
			t.Fatalf("text %d: another vector on 4 cores than on 1", i)
		}
	}
}
