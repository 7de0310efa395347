package filters_test

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/testutil"
)

// FuzzLoad feeds arbitrary bytes as filter.yaml (beside a valid prompt.md)
// to Load. It must never panic, and a package it accepts must be one the
// stages can use: weights summing to 1, tiers to score into, a prompt with
// the placeholder, every score of 0-10 giving a tier.
func FuzzLoad(f *testing.F) {
	root := testutil.RepoRoot(f)
	for _, dir := range []string{"filters/sustainability_tech_deployment/v1", "filters/uplifting/v1"} {
		data, err := os.ReadFile(filepath.Join(root, dir, filters.ConfigFile))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	pkg, err := filters.Scaffold(f.TempDir(), "topic_x")
	if err != nil {
		f.Fatal(err)
	}
	scaffolded, err := os.ReadFile(filepath.Join(pkg, filters.ConfigFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(scaffolded)
	f.Add([]byte("name: x\nversion: 1\ndimensions: [{name: a, weight: 1}]\ntiers: [{name: t, min: 0}]\n"))
	f.Add([]byte("name: [\n"))
	f.Add([]byte("name: x\nversion: one\ndimensions: [{name: a, weight: 1, wieght: 2}]\ntiers: {a: 1}\ncompression: {max_word: 9}\n"))
	f.Add([]byte("d: &d {name: a, weight: 1}\ndimensions:\n  - <<: *d\n    description: x\n"))
	f.Add([]byte("dimensions:\n  - &a {name: a, weight: .5}\n  - *a\n"))
	// One package folder per fuzz process, rewritten for each input: a
	// folder per input would spend most of the time in mkdir and rm.
	dir := filepath.Join(f.TempDir(), "topic_x", "v1")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, filters.ConfigFile), data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filters.PromptFile), []byte("Score this:\n"+filters.Placeholder+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		flt, err := filters.Load(dir)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error with no message")
			}
			return
		}
		if len(flt.Dimensions) == 0 || len(flt.Tiers) == 0 {
			t.Fatalf("accepted a filter with %d dimensions and %d tiers", len(flt.Dimensions), len(flt.Tiers))
		}
		sum := 0.0
		for _, d := range flt.Dimensions {
			sum += d.Weight
		}
		if math.Abs(sum-1) > 1e-6 {
			t.Fatalf("accepted weights summing to %v", sum)
		}
		for _, v := range []float64{0, 5, 10} {
			scores := map[string]float64{}
			for _, d := range flt.Dimensions {
				scores[d.Name] = v
			}
			overall, _ := flt.ScoreOf(scores)
			if math.IsNaN(overall) || flt.TierOf(overall) == "" {
				t.Fatalf("scores of %v give overall %v, tier %q", v, overall, flt.TierOf(overall))
			}
		}
		if flt.RenderPrompt("X") == "" {
			t.Fatal("empty prompt")
		}
	})
}
