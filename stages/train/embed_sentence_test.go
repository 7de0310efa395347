package train_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/pipelinetest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/stages/cv"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/stages/train"
	"github.com/distillery/distillery/students"
	"github.com/distillery/distillery/students/encode"
	"github.com/distillery/distillery/students/probe"
)

// TestEmbed_SentenceEncoder trains the embed student on a sentence
// encoder's folder (a tiny random BERT, run by the Python trainer) with the
// keywords labels of the ai-tech sample: the params name the encoder, its
// folder and python; the model keeps a reference to the folder, not the
// weights; predict writes what the model computes in process; cv runs with
// one encoder for every fold; and a folder that is gone, or now gives
// another encoder, is refused with what to do.
func TestEmbed_SentenceEncoder(t *testing.T) {
	python := pipelinetest.TrainerPython(t)
	ctx := context.Background()
	l, f := aiTechLake(t)
	const texts = "SELECT replace(text, chr(10), ' ') FROM uplifting.compressed ORDER BY id"
	base := pipelinetest.TinyBERT(t, python, l, texts)
	res, err := train.Run(ctx, l, train.Options{Filter: f, Backend: "embed", EmbedModel: base, LoRA: train.LoRAOptions{Python: python}})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Model
	t.Logf("embed on a tiny BERT: validation MAE %.3f (training mean %.3f); %s", m.ValMAE, m.BaseMAE, m.Params)
	if m.Backend != "embed" || m.TrainRows < 400 || m.ValRows < 40 || m.ValMAE <= 0 || len(m.ValMAEDims) != len(f.Dimensions) {
		t.Fatalf("model = %+v", m)
	}
	var p struct {
		embedParams
		EncoderFolder string `json:"encoder_folder"`
		Python        string `json:"python"`
		EmbedModel    string `json:"embed_model"`
	}
	if err := json.Unmarshal([]byte(m.Params), &p); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.Encoder, "bert-32@") || p.Dim != 32 || p.EncoderFolder != base || p.Python != python || p.EmbedModel != base ||
		!strings.Contains(p.EncoderSource, base) || m.BaseModel != p.Encoder || len(p.ChosenLambda) != len(f.Dimensions) {
		t.Errorf("params = %+v, base model %q", p, m.BaseModel)
	}
	if got := (*students.Model)(m).Python(); got != python {
		t.Errorf("Model.Python() = %q, want %q", got, python)
	}
	// The model's encoder folder holds a reference, not the weights.
	entries, err := os.ReadDir(filepath.Join(m.Dir(l), probe.EncoderDir))
	if err != nil || len(entries) != 1 || entries[0].Name() != "encoder.json" {
		t.Errorf("encoder folder: %v, %v", entries, err)
	}
	var ref struct {
		Kind, Name, Folder string
		MaxLength          int `json:"max_length"`
	}
	raw, _ := os.ReadFile(filepath.Join(m.Dir(l), probe.EncoderDir, "encoder.json"))
	if err := json.Unmarshal(raw, &ref); err != nil || ref.Kind != "trainer" || ref.Name != p.Encoder || ref.Folder != base || ref.MaxLength != encode.DefaultTrainerOptions().MaxLength {
		t.Errorf("encoder.json = %s (%v)", raw, err)
	}
	predictsInProcess(t, l, f, m)

	cres, err := cv.Run(ctx, l, cv.Options{Filter: f, Folds: 5, Student: train.Options{Backend: "embed", EmbedModel: base, LoRA: train.LoRAOptions{Python: python}}})
	if err != nil {
		t.Fatal(err)
	}
	n := testutil.QueryInt(t, l, "SELECT count(*) FROM uplifting.splits WHERE split IN ('train', 'val', 'test')")
	if got := testutil.QueryInt(t, l, "SELECT count(DISTINCT id) FROM uplifting.predictions WHERE model = '"+cres.Model+"'"); cres.Backend != "embed" || len(cres.Folds) != 5 || got != n {
		t.Errorf("cv = %+v: %d articles predicted out of fold, want %d", cres, got, n)
	}

	// The folder moved away: predict says so.
	moved := base + ".moved"
	if err := os.Rename(base, moved); err != nil {
		t.Fatal(err)
	}
	refused(t, m, predictErr(ctx, l, f, m.ID), "is gone: restore the folder or retrain")
	// Another model in the folder: another name, refused too.
	other := pipelinetest.TinyBERT(t, python, l, texts+" LIMIT 50")
	if err := os.Rename(other, base); err != nil {
		t.Fatal(err)
	}
	refused(t, m, predictErr(ctx, l, f, m.ID), base+" now gives bert-32@")
	// Restored: it predicts again.
	os.RemoveAll(base)
	if err := os.Rename(moved, base); err != nil {
		t.Fatal(err)
	}
	if err := predictErr(ctx, l, f, m.ID); err != nil {
		t.Errorf("predict with the folder restored: %v", err)
	}
	// A folder that is not there is refused before training.
	if _, err := train.Run(ctx, l, train.Options{Filter: f, Backend: "embed", EmbedModel: moved}); !errors.Is(err, train.ErrEmbedModel) {
		t.Errorf("train on a missing folder: %v", err)
	}
}

// predictErr is predict's error on the model's test split.
func predictErr(ctx context.Context, l *lake.Lake, f *filters.Filter, model string) error {
	_, err := predict.Run(ctx, l, predict.Options{Filter: f, Model: model, Full: true})
	return err
}

// refused checks err is the model's *probe.FolderError saying want.
func refused(t *testing.T, m *train.Model, err error, want string) {
	t.Helper()
	var fe *probe.FolderError
	if !errors.As(err, &fe) || !errors.Is(err, probe.ErrEncoder) || !strings.Contains(err.Error(), want) ||
		!strings.Contains(err.Error(), "model "+m.ID+" was trained on "+fe.Encoder) {
		t.Errorf("predict: %v, want a FolderError saying %q", err, want)
	}
}
