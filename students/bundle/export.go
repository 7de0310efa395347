package bundle

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/students"
	"github.com/distillery/distillery/students/calibrate"
	"github.com/distillery/distillery/students/encode"
	"github.com/distillery/distillery/students/linear"
	"github.com/distillery/distillery/students/lora"
	"github.com/distillery/distillery/students/probe"
)

//go:embed predict.py
var predictPy []byte

// PredictPy is the predict.py every export carries.
func PredictPy() []byte { return slices.Clone(predictPy) }

// ExportOptions say which model to export and where.
type ExportOptions struct {
	// Model is a model id, or students.Latest (with Filter).
	Model string
	// Filter, when given, is the namespace to find the model in and the
	// package to export for a model trained before packages were stored
	// with models (its sha256 must be the model's). Without it the model
	// is looked for in every filter's models table.
	Filter *filters.Filter
	// Dir is the folder written; it must be absent or empty unless Force.
	Dir   string
	Force bool
	// Merged (lora) also writes weights/merged/: the adapter and head
	// folded into the base model's weights, a plain transformers folder
	// (the trainer's merge command, run by Python: "" is $DISTILL_PYTHON,
	// else the model's).
	Merged bool
	Python string
	// MergeDevice is where the merge runs: cpu (also ""; no GPU needed)
	// or cuda. Only with Merged.
	MergeDevice string
}

// ExportResult is what Export wrote.
type ExportResult struct {
	Dir      string    `json:"dir"`
	Manifest *Manifest `json:"manifest"`
	Bytes    int64     `json:"bytes"`
}

// Export writes the model's folder: weights/, calibration.json (when the
// model is calibrated), filter/, predict.py, README.txt and manifest.json
// last, hashing every other file. It writes a temporary folder beside Dir
// and renames it, so a failed export leaves nothing half-written.
func Export(ctx context.Context, l *lake.Lake, opts ExportOptions) (*ExportResult, error) {
	if opts.Dir == "" {
		return nil, errors.New("export: no folder given (-o DIR)")
	}
	switch {
	case opts.MergeDevice != "" && !opts.Merged:
		return nil, fmt.Errorf("export: --device %s says where --merged merges; add --merged or leave --device out", opts.MergeDevice)
	case opts.MergeDevice != "" && opts.MergeDevice != "cpu" && opts.MergeDevice != "cuda":
		return nil, fmt.Errorf("export: --device %q: want cpu or cuda", opts.MergeDevice)
	}
	if err := checkTarget(opts.Dir, l.Root, opts.Force); err != nil {
		return nil, err
	}
	m, ns, err := findModel(ctx, l, opts.Model, opts.Filter)
	if err != nil {
		return nil, err
	}
	pkg, err := m.Package(l, opts.Filter)
	if err != nil {
		return nil, err
	}
	info, err := modelInfo(ctx, l, ns, m)
	if err != nil {
		return nil, err
	}
	parent := filepath.Dir(filepath.Clean(opts.Dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(parent, ".distill-export-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp) // gone after the rename; a failed export's leftovers otherwise
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, err
	}
	man := &Manifest{Format: Format, Version: Version, Model: *info,
		Filter:  Filter{Name: pkg.Name, Version: pkg.Version, SHA256: pkg.SHA256},
		Scoring: scoringOf(pkg), ExportedAt: time.Now().UTC().Format(time.RFC3339), UnicodeVersion: unicode.Version}
	if opts.Merged && m.Backend != "lora" {
		return nil, fmt.Errorf("%w: --merged folds a lora adapter into its base; model %s is %s", ErrBackend, m.ID, m.Backend)
	}
	if err := writeFiles(ctx, l, m, pkg, info, tmp); err != nil {
		return nil, err
	}
	if opts.Merged {
		if err := writeMerged(ctx, m.Dir(l), lora.Python(opts.Python, m.Python()), opts.MergeDevice, filepath.Join(tmp, WeightsDir, MergedDir)); err != nil {
			return nil, err
		}
	}
	if man.Files, err = hashTree(tmp); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(tmp, ManifestFile), append(b, '\n'), 0o644); err != nil {
		return nil, err
	}
	if err := replace(tmp, opts.Dir); err != nil {
		return nil, err
	}
	res := &ExportResult{Dir: opts.Dir, Manifest: man, Bytes: int64(len(b) + 1)}
	for _, f := range man.Files {
		res.Bytes += f.Size
	}
	return res, nil
}

// checkTarget refuses a folder that holds files, unless force and the
// folder is an earlier export (its manifest.json of this format): --force
// replaces an export, never any other folder. A folder that is, holds or
// sits inside the lake is refused whatever the flags.
func checkTarget(dir, lakeRoot string, force bool) error {
	if inside, err := overlaps(dir, lakeRoot); err != nil {
		return fmt.Errorf("export to %s: %w", dir, err)
	} else if inside {
		return fmt.Errorf("%w: %s is the lake %s, inside it or holds it: export elsewhere", ErrNotEmpty, dir, lakeRoot)
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("export to %s: %w", dir, err)
	}
	if len(entries) == 0 {
		return nil
	}
	if !force {
		return fmt.Errorf("%w: %s holds %d entries (--force replaces an earlier export)", ErrNotEmpty, dir, len(entries))
	}
	if _, err := ReadManifest(dir); err != nil {
		return fmt.Errorf("%w: %s holds %d entries and no export's %s (%v): --force replaces only an earlier export; give an empty or new folder", ErrNotEmpty, dir, len(entries), ManifestFile, err)
	}
	return nil
}

// overlaps reports whether dir is root, inside it, or holds it, after
// resolving symbolic links of the parts that exist.
func overlaps(dir, root string) (bool, error) {
	a, err := resolved(dir)
	if err != nil {
		return false, err
	}
	b, err := resolved(root)
	if err != nil {
		return false, err
	}
	within := func(x, y string) bool {
		rel, err := filepath.Rel(y, x)
		return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
	}
	return within(a, b) || within(b, a), nil
}

// resolved is path made absolute with the symbolic links of its longest
// existing prefix resolved.
func resolved(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	rest := ""
	for cur := abs; ; {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(r, rest), nil
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}

// replace puts the finished folder tmp at dir, moving any old dir aside
// first and removing it only once tmp is in place.
func replace(tmp, dir string) error {
	old := ""
	if _, err := os.Stat(dir); err == nil {
		old = tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			os.Rename(old, dir)
		}
		return err
	}
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}

// findModel finds the model in f's namespace, or without f in every
// filter namespace that has a models table.
func findModel(ctx context.Context, l *lake.Lake, id string, f *filters.Filter) (*students.Model, string, error) {
	if f != nil {
		id, err := students.ResolveID(ctx, l, f, id)
		if err != nil {
			return nil, "", err
		}
		m, err := students.Find(ctx, l, f, id)
		return m, f.Namespace(), err
	}
	if id == students.Latest {
		return nil, "", fmt.Errorf("%w: %q needs --filter (the newest model of which filter?)", students.ErrNoModel, id)
	}
	tables, err := l.Tables(ctx)
	if err != nil {
		return nil, "", err
	}
	var looked []string
	for _, t := range tables {
		if t.Name.Table != spec.Models.Name || t.Current == nil {
			continue
		}
		looked = append(looked, t.Name.String())
		m, err := students.Find(ctx, l, &filters.Filter{Name: t.Name.Namespace}, id)
		if errors.Is(err, students.ErrNoModel) {
			continue
		}
		return m, t.Name.Namespace, err
	}
	if len(looked) == 0 {
		return nil, "", fmt.Errorf("%w %q: the lake has no models yet", students.ErrNoModel, id)
	}
	return nil, "", fmt.Errorf("%w %q in %s", students.ErrNoModel, id, strings.Join(looked, ", "))
}

// modelInfo is the model's whole row, read as JSON so that columns added
// later (calibration, trained_at) are taken when the table has them.
func modelInfo(ctx context.Context, l *lake.Lake, ns string, m *students.Model) (*ModelInfo, error) {
	sess, err := l.Session(ctx, ns)
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	rel, _, err := sess.Relation(ctx, lake.Ref{TableName: spec.Models.In(ns)})
	if err != nil {
		return nil, err
	}
	if err := sess.Input(ctx, "models_input", rel); err != nil {
		return nil, err
	}
	var raw string
	if err := sess.QueryRowFile(ctx, "bundle/model_row", lake.Params{"id": m.ID}, &raw); err != nil {
		return nil, err
	}
	var row struct {
		TrainedAt        string   `json:"trained_at"`
		Calibration      *string  `json:"calibration"`
		CalibratedValMAE *float64 `json:"calibrated_val_mae"`
	}
	if err := json.Unmarshal([]byte(raw), &row); err != nil {
		return nil, fmt.Errorf("model %s: its row: %w", m.ID, err)
	}
	info := &ModelInfo{ID: m.ID, Backend: m.Backend, BaseModel: m.BaseModel, Dimensions: m.Dimensions, TrainRows: m.TrainRows,
		ValRows: m.ValRows, ValMAE: m.ValMAE, BaselineValMAE: m.BaseMAE, TrainedAt: row.TrainedAt, CalibratedValMAE: row.CalibratedValMAE}
	if json.Valid([]byte(m.Params)) {
		info.Params = json.RawMessage(m.Params)
	}
	if row.Calibration != nil {
		info.Calibration = *row.Calibration
	}
	return info, nil
}

// writeFiles writes every file but the manifest into dir.
func writeFiles(ctx context.Context, l *lake.Lake, m *students.Model, pkg *filters.Filter, info *ModelInfo, dir string) error {
	if err := writeWeights(m.Dir(l), m, filepath.Join(dir, WeightsDir)); err != nil {
		return err
	}
	if info.Calibration != "" {
		src := filepath.Join(m.Dir(l), calibrate.File)
		if _, name, err := calibrate.Load(src, m.Dimensions); err != nil {
			return fmt.Errorf("model %s was calibrated (%s): %w", m.ID, info.Calibration, err)
		} else if name != info.Calibration {
			return fmt.Errorf("model %s: %s is %s, but the model was trained with %s: the file changed since", m.ID, src, name, info.Calibration)
		}
		if err := copyFile(src, filepath.Join(dir, calibrate.File)); err != nil {
			return err
		}
	}
	if err := pkg.CopyTo(filepath.Join(dir, FilterDir)); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, PredictFile), predictPy, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ReadmeFile), []byte(readme(m, pkg)), 0o644)
}

// loraSkip are the files of a lora artifact an export leaves out: the
// filter package and calibration (exported beside weights/), and what only
// training needed.
var loraSkip = map[string]bool{filters.StoredDir: true, calibrate.File: true, "val_predictions.arrow": true, "distill_run.json": true}

// writeWeights writes the model's weights into dir: linear as JSON, embed
// as its probe JSON and hashed encoder files, lora as the trainer saved
// its adapter, head and tokenizer.
func writeWeights(src string, m *students.Model, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	switch m.Backend {
	case "linear":
		lm, err := linear.Load(filepath.Join(src, "model.gob"))
		if err != nil {
			return err
		}
		b, err := json.Marshal(lm.Portable())
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, LinearFile), append(b, '\n'), 0o644)
	case "embed":
		pm, err := readProbe(src)
		if err != nil {
			return err
		}
		if !encode.IsHashed(pm.Encoder) {
			return fmt.Errorf("%w: model %s is an embed model on the sentence encoder %s, whose weights live outside the lake: only hashed-encoder embed models are exported", ErrBackend, m.ID, pm.Encoder)
		}
		if err := copyFile(filepath.Join(src, probe.File), filepath.Join(dir, probe.File)); err != nil {
			return err
		}
		return copyTree(filepath.Join(src, probe.EncoderDir), filepath.Join(dir, probe.EncoderDir), nil)
	case "lora":
		return copyTree(src, dir, loraSkip)
	}
	return fmt.Errorf("%w: model %s has backend %q", ErrBackend, m.ID, m.Backend)
}

// readProbe reads an embed model's probe.json (its encoder's name).
func readProbe(dir string) (*probe.Model, error) {
	b, err := os.ReadFile(filepath.Join(dir, probe.File))
	if err != nil {
		return nil, err
	}
	var pm probe.Model
	if err := json.Unmarshal(b, &pm); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, probe.File), err)
	}
	return &pm, nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// copyTree copies the regular files under src into dst, leaving out the
// top-level entries named in skip.
func copyTree(src, dst string, skip map[string]bool) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if rel != "." && skip[strings.Split(filepath.ToSlash(rel), "/")[0]] {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return copyFile(p, filepath.Join(dst, rel))
	})
}

// MergedDir is the folder under weights/ that --merged writes.
const MergedDir = "merged"

// writeMerged runs the trainer's merge command: the model's adapter and
// head folded into its base, checked against the adapter on probe inputs
// by the trainer before anything is written (trainer/PROTOCOL.md), on
// device ("": the trainer's default, cpu).
func writeMerged(ctx context.Context, src, python, device, dir string) error {
	args := []string{"merge", "--model", src, "--out", dir}
	if device != "" {
		args = append(args, "--device", device)
	}
	return lora.Run(ctx, lora.Command{
		Name: "lora merge", Python: python,
		Args: args,
		Read: func(r io.Reader) error {
			_, err := io.Copy(io.Discard, r)
			return err
		},
	})
}
