package score_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/pipelinetest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/gate"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/stages/score"
	"github.com/distillery/distillery/students/bundle"
)

// --quantize is how a lora model's base loads. The commits of predict,
// score and shadow record the quantization their lora rows were computed
// with (as trained, or the override), so rows predicted on a
// full-precision base of a 4-bit student say so through their run_id.
// 4bit or 8bit told a linear model is refused by name, not ignored
// (before, predict and score ran and recorded nothing); none is true of it.
func TestQuantize_RecordedAndRefusedForModelsWithoutABase(t *testing.T) {
	ctx := context.Background()
	l, f := aiTech.Open(t)
	linearID := trainAndTag(t, l, f)
	preds, scores := spec.Predictions.For(f), spec.Scores.For(f)

	before, _ := l.Current(ctx, scores)
	_, err := score.Run(ctx, l, score.Options{Filters: []*filters.Filter{f}, Quantize: "4bit"})
	if !errors.Is(err, score.ErrOptions) || !errors.Is(err, predict.ErrNotQuantized) {
		t.Errorf("score --quantize 4bit of a linear production model: %v, want ErrOptions and ErrNotQuantized", err)
	}
	if after, _ := l.Current(ctx, scores); !sameSnap(before, after) {
		t.Errorf("the refused score run committed: %v -> %v", before, after)
	}
	_, err = predict.Run(ctx, l, predict.Options{Filter: f, Model: linearID, Quantize: "8bit"})
	if !errors.Is(err, predict.ErrNotQuantized) {
		t.Errorf("predict --quantize 8bit of a linear model: %v, want ErrNotQuantized", err)
	}
	// none is true of a linear model: taken, and nothing recorded.
	res, err := predict.Run(ctx, l, predict.Options{Filter: f, Model: linearID, Quantize: "none"})
	if err != nil || res.Quantize != "" {
		t.Fatalf("predict --quantize none of a linear model: %+v, %v", res, err)
	}
	if p := params(t, l, preds); p["quantize"] != nil {
		t.Errorf("a linear model's predict commit records quantize: %v", p)
	}

	python, loraID := fakeLoRA(t, l, f)
	for _, c := range []struct{ given, want string }{{"", "none"}, {"4bit", "4bit"}, {"auto", "none"}} {
		res, err := predict.Run(ctx, l, predict.Options{Filter: f, Model: loraID, Python: python, Quantize: c.given, Full: true})
		if err != nil {
			t.Fatal(err)
		}
		if p := params(t, l, preds); res.Quantize != c.want || p["quantize"] != c.want {
			t.Errorf("predict --quantize %q of a lora model trained unquantized: result %q, commit params %v; want %s", c.given, res.Quantize, p, c.want)
		}
	}

	// Shadow runs the candidate: a linear one has nothing to quantize.
	if _, err := gate.Tag(ctx, l, gate.TagOptions{Filter: f, Tag: gate.Production, Model: loraID}); err != nil {
		t.Fatal(err)
	}
	_, err = score.Shadow(ctx, l, score.ShadowOptions{Filter: f, Candidate: linearID, Quantize: "8bit"})
	if !errors.Is(err, predict.ErrNotQuantized) {
		t.Errorf("shadow --quantize 8bit of a linear candidate: %v, want ErrNotQuantized", err)
	}
	// Scored beside a filter whose production model is linear: that one is
	// scored as it is, and the run says so.
	other := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	if err := pipelinetest.ToSplit(ctx, l, other, []string{testutil.Shared(t, pipelinetest.Sample)}, nil); err != nil {
		t.Fatal(err)
	}
	otherID := trainAndTag(t, l, other)
	sr, err := score.Run(ctx, l, score.Options{Filters: []*filters.Filter{f, other}, Rescore: true, Python: python, Quantize: "8bit"})
	if err != nil {
		t.Fatal(err)
	}
	if p := params(t, l, scores); p["quantize"] != "8bit" || p["model"] != loraID {
		t.Errorf("score --quantize 8bit of the lora production model: commit params %v", p)
	}
	if p := params(t, l, spec.Scores.For(other)); p["quantize"] != nil || p["model"] != otherID {
		t.Errorf("the linear filter's score commit: params %v", p)
	}
	byFilter := map[string]string{}
	for _, fr := range sr.Filters {
		byFilter[fr.Filter] = fr.Quantize
	}
	want := "--quantize 8bit: " + other.Namespace() + "'s production model " + otherID + " is a linear model, scored as it is"
	if byFilter[f.Namespace()] != "8bit" || byFilter[other.Namespace()] != "" || !slices.Contains(sr.Warnings, want) {
		t.Errorf("score of a lora and a linear filter with --quantize 8bit: quantize by filter %v, warnings %q; want %q", byFilter, sr.Warnings, want)
	}
}

// params are the current snapshot's commit parameters of table.
func params(t *testing.T, l *lake.Lake, table lake.TableName) map[string]any {
	t.Helper()
	snap, err := l.Current(context.Background(), table)
	if err != nil || snap == nil {
		t.Fatalf("%s: %v, %v", table, snap, err)
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(snap.Params), &p); err != nil {
		t.Fatalf("%s's params %q: %v", table, snap.Params, err)
	}
	return p
}

func sameSnap(a, b *lake.Snapshot) bool {
	return (a == nil) == (b == nil) && (a == nil || a.Seq == b.Seq)
}

// A lora model whose every prediction was made with --quantize overriding
// how it trained has nothing an exported folder reproduces: verify says so,
// and how to make some, instead of a mismatch on every article.
func TestQuantize_VerifyWithOnlyOverriddenPredictions(t *testing.T) {
	ctx := context.Background()
	l, f := aiTech.Open(t)
	python, id := fakeLoRA(t, l, f)
	if _, err := predict.Run(ctx, l, predict.Options{Filter: f, Model: id, Python: python, Quantize: "4bit"}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "export")
	if _, err := bundle.Export(ctx, l, bundle.ExportOptions{Model: id, Dir: dir}); err != nil {
		t.Fatal(err)
	}
	_, err := bundle.Verify(ctx, dir, l, bundle.VerifyOptions{Python: python})
	want := "every prediction of " + id + " in " + spec.Predictions.For(f).String() + " was made with --quantize overriding the none it trained in"
	if !errors.Is(err, bundle.ErrNoPredictions) || !strings.Contains(err.Error(), want) {
		t.Errorf("verify of a model predicted only with --quantize 4bit: %v, want %q", err, want)
	}
}
