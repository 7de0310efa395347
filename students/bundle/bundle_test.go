package bundle_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/pipelinetest"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/stages/train"
	"github.com/distillery/distillery/students/bundle"
	"github.com/distillery/distillery/students/linear"
)

var aiTech pipelinetest.AITech

func TestMain(m *testing.M) {
	code := m.Run()
	aiTech.Remove()
	os.Exit(code)
}

// models are the students trained once on the ai-tech lake, each with
// predictions of every article: two linear ones (other penalties, so other
// weights) and an embed one.
var models struct {
	once                  sync.Once
	err                   error
	linearA, linearB, emb string
}

// trained opens the shared ai-tech lake with its models trained and
// predicted.
func trained(t *testing.T) (*lake.Lake, *filters.Filter) {
	t.Helper()
	l, f := aiTech.Open(t)
	models.once.Do(func() {
		ctx := context.Background()
		fit := func(opts train.Options) string {
			if models.err != nil {
				return ""
			}
			opts.Filter = f
			res, err := train.Run(ctx, l, opts)
			if err != nil {
				models.err = err
				return ""
			}
			if _, err := predict.Run(ctx, l, predict.Options{Filter: f, Model: res.Model.ID, Split: "all"}); err != nil {
				models.err = err
			}
			return res.Model.ID
		}
		models.linearA = fit(train.Options{})
		cfg := linear.DefaultConfig()
		cfg.Lambdas = []float64{64}
		models.linearB = fit(train.Options{Linear: cfg})
		models.emb = fit(train.Options{Backend: "embed"})
	})
	if models.err != nil {
		t.Fatal(models.err)
	}
	return l, f
}

// exported exports model id into a fresh folder.
func exported(t *testing.T, l *lake.Lake, id string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "export")
	if _, err := bundle.Export(context.Background(), l, bundle.ExportOptions{Model: id, Dir: dir}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestExport_LinearVerifies(t *testing.T) {
	l, _ := trained(t)
	dir := exported(t, l, models.linearA)
	man, err := bundle.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if man.Model.ID != models.linearA || man.Model.Calibration == "" || man.Model.TrainedAt == "" || man.Filter.SHA256 == "" || len(man.Scoring.Tiers) == 0 {
		t.Errorf("manifest model %+v filter %+v", man.Model, man.Filter)
	}
	for _, want := range []string{"weights/linear.json", "calibration.json", "filter/filter.yaml", "predict.py", "README.txt"} {
		if !listed(man, want) {
			t.Errorf("manifest lacks %s: %+v", want, man.Files)
		}
	}
	res, err := bundle.Verify(context.Background(), dir, l, bundle.VerifyOptions{})
	if err != nil {
		t.Fatalf("verify: %v (%+v)", err, res)
	}
	if !res.OK || res.Checked != 200 || res.MaxDiff > bundle.Tolerance || len(res.Problems) != 0 {
		t.Errorf("verify = %+v, want 200 articles predicted alike", res)
	}
}

func TestExport_EmbedVerifies(t *testing.T) {
	l, _ := trained(t)
	dir := exported(t, l, models.emb)
	res, err := bundle.Verify(context.Background(), dir, l, bundle.VerifyOptions{Sample: 100})
	if err != nil || !res.OK || res.Checked != 100 {
		t.Fatalf("verify = %+v, %v", res, err)
	}
	for _, want := range []string{"weights/probe.json", "weights/encoder/encoder.json", "weights/encoder/weights.bin.gz"} {
		if _, err := os.Stat(filepath.Join(dir, want)); err != nil {
			t.Error(err)
		}
	}
}

func listed(m *bundle.Manifest, path string) bool {
	for _, f := range m.Files {
		if f.Path == path {
			return true
		}
	}
	return false
}

// failsNaming runs Verify on dir and wants an error matching target that
// names file.
func failsNaming(t *testing.T, l *lake.Lake, dir string, target error, file string) {
	t.Helper()
	res, err := bundle.Verify(context.Background(), dir, l, bundle.VerifyOptions{Sample: 20})
	if !errors.Is(err, target) || !strings.Contains(err.Error(), file) {
		t.Fatalf("verify = %v, want %v naming %s", err, target, file)
	}
	if res == nil || res.OK {
		t.Errorf("result %+v, want not OK", res)
	}
}

func TestVerify_SwappedWeightsFail(t *testing.T) {
	l, _ := trained(t)
	a, b := exported(t, l, models.linearA), exported(t, l, models.linearB)
	copyOver(t, filepath.Join(b, "weights/linear.json"), filepath.Join(a, "weights/linear.json"))
	failsNaming(t, l, a, bundle.ErrHash, "weights/linear.json")
}

func TestVerify_EditedCalibrationFails(t *testing.T) {
	l, _ := trained(t)
	dir := exported(t, l, models.linearA)
	path := filepath.Join(dir, "calibration.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.LastIndexAny(string(b), "123456789")
	if b[i] == '9' { // one byte changed: a digit of the last breakpoint
		b[i] = '8'
	} else {
		b[i]++
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	failsNaming(t, l, dir, bundle.ErrHash, "calibration.json")
}

func TestVerify_DeletedFileFails(t *testing.T) {
	l, _ := trained(t)
	dir := exported(t, l, models.linearA)
	if err := os.Remove(filepath.Join(dir, "filter", "prompt.md")); err != nil {
		t.Fatal(err)
	}
	failsNaming(t, l, dir, bundle.ErrMissing, "filter/prompt.md")
}

func TestVerify_AddedFileFails(t *testing.T) {
	l, _ := trained(t)
	dir := exported(t, l, models.linearA)
	if err := os.WriteFile(filepath.Join(dir, "weights", "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	failsNaming(t, l, dir, bundle.ErrExtra, "weights/notes.txt")
}

// A folder whose weights were swapped and whose manifest was rewritten to
// match passes the hash check: the predictions catch it.
func TestVerify_RehashedSwapFailsOnPredictions(t *testing.T) {
	l, _ := trained(t)
	a, b := exported(t, l, models.linearA), exported(t, l, models.linearB)
	copyOver(t, filepath.Join(b, "weights/linear.json"), filepath.Join(a, "weights/linear.json"))
	rehash(t, a)
	res, err := bundle.Verify(context.Background(), a, l, bundle.VerifyOptions{Sample: 50})
	if !errors.Is(err, bundle.ErrMismatch) {
		t.Fatalf("verify = %v, want %v", err, bundle.ErrMismatch)
	}
	if len(res.Problems) != 0 || res.Mismatches == 0 || len(res.Shown) == 0 {
		t.Errorf("result %+v: want the files fine and the predictions off", res)
	}
}

func copyOver(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// rehash rewrites dir's manifest with every file's current sha256.
func rehash(t *testing.T, dir string) {
	t.Helper()
	man, err := bundle.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range man.Files {
		sum, size := testSHA(t, filepath.Join(dir, f.Path))
		man.Files[i].SHA256, man.Files[i].Size = sum, size
	}
	b, _ := json.MarshalIndent(man, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, bundle.ManifestFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.Verify(context.Background(), dir, nil, bundle.VerifyOptions{}); err != nil {
		t.Fatalf("rehashed folder fails the hash check: %v", err)
	}
}

func TestExport_RefusesAFolderWithFiles(t *testing.T) {
	l, _ := trained(t)
	dir := exported(t, l, models.linearA)
	_, err := bundle.Export(context.Background(), l, bundle.ExportOptions{Model: models.linearB, Dir: dir})
	if !errors.Is(err, bundle.ErrNotEmpty) {
		t.Fatalf("export into a full folder: %v, want %v", err, bundle.ErrNotEmpty)
	}
	if _, err := bundle.Export(context.Background(), l, bundle.ExportOptions{Model: models.linearB, Dir: dir, Force: true}); err != nil {
		t.Fatal(err)
	}
	if man, err := bundle.ReadManifest(dir); err != nil || man.Model.ID != models.linearB {
		t.Fatalf("after --force: %+v, %v", man, err)
	}
	if _, err := bundle.Verify(context.Background(), dir, l, bundle.VerifyOptions{Sample: 20}); err != nil {
		t.Fatal(err)
	}
}

// A failed export leaves neither the folder nor a temporary one.
func TestExport_FailureLeavesNothing(t *testing.T) {
	l, _ := trained(t)
	parent := t.TempDir()
	_, err := bundle.Export(context.Background(), l, bundle.ExportOptions{Model: "no-such-model", Dir: filepath.Join(parent, "out")})
	if err == nil {
		t.Fatal("export of an unknown model succeeded")
	}
	// A calibration changed since training fails midway, after the weights
	// were written.
	lm, err := bundle.Describe(context.Background(), l, nil, models.linearA, nil)
	if err != nil {
		t.Fatal(err)
	}
	cal := filepath.Join(l.Root, lm.Artifact, "calibration.json")
	orig, err := os.ReadFile(cal)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.WriteFile(cal, orig, 0o644) })
	if err := os.WriteFile(cal, append(orig, ' '), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.Export(context.Background(), l, bundle.ExportOptions{Model: models.linearA, Dir: filepath.Join(parent, "out")}); err == nil {
		t.Fatal("export with a changed calibration succeeded")
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Errorf("a failed export left %v", entries)
	}
}

func TestDescribe_Model(t *testing.T) {
	l, f := trained(t)
	d, err := bundle.Describe(context.Background(), l, f, models.emb, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.Model.ID != models.emb || d.Model.Backend != "embed" || len(d.Files) == 0 || d.Model.TrainedAt == "" {
		t.Errorf("describe = %+v", d)
	}
}

// --force replaces an earlier export only: never the lake, a folder inside
// it or holding it, nor a folder of other files (the review's export -o
// LAKE --force deleted the lake; a folder with notes.txt was deleted too).
func TestExport_ForceNeverReplacesOtherFolders(t *testing.T) {
	l, _ := trained(t)
	ctx := context.Background()
	notes := t.TempDir()
	if err := os.WriteFile(filepath.Join(notes, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{l.Root, filepath.Join(l.Root, "models"), filepath.Join(l.Root, "new"), filepath.Dir(l.Root), notes} {
		_, err := bundle.Export(ctx, l, bundle.ExportOptions{Model: models.linearA, Dir: dir, Force: true})
		if !errors.Is(err, bundle.ErrNotEmpty) {
			t.Errorf("export --force to %s: %v, want ErrNotEmpty", dir, err)
		}
	}
	if _, err := os.Stat(filepath.Join(notes, "notes.txt")); err != nil {
		t.Errorf("the folder of notes: %v", err)
	}
	if _, err := os.Stat(filepath.Join(l.Root, "catalog.db")); err != nil {
		t.Errorf("the lake: %v", err)
	}
}

// A folder given by a symbolic link verifies as the folder does (it failed
// with ". is not a regular file").
func TestVerify_ThroughALinkedFolder(t *testing.T) {
	l, _ := trained(t)
	dir := exported(t, l, models.linearA)
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.Verify(context.Background(), link, l, bundle.VerifyOptions{Sample: 10}); err != nil {
		t.Fatal(err)
	}
}

// --merged and its --device are refused before anything is written where
// they cannot apply: a linear model has no adapter to fold, --device
// without --merged says nothing, and a device the trainer has not.
func TestExport_MergedOptionsRefused(t *testing.T) {
	l, _ := trained(t)
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	for _, c := range []struct {
		opts bundle.ExportOptions
		want string
	}{
		{bundle.ExportOptions{Model: models.linearA, Dir: out, Merged: true}, "--merged folds a lora adapter into its base"},
		{bundle.ExportOptions{Model: models.linearA, Dir: out, MergeDevice: "cpu"}, "--device cpu says where --merged merges"},
		{bundle.ExportOptions{Model: models.linearA, Dir: out, Merged: true, MergeDevice: "tpu"}, `--device "tpu": want cpu or cuda`},
	} {
		_, err := bundle.Export(context.Background(), l, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("export %+v: %v, want %q", c.opts, err, c.want)
		}
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Errorf("refused exports left %v", entries)
	}
}
