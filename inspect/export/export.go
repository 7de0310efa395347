// Package export writes a split of a filter's examples as a training file:
// regression rows (id, text, labels, dimension_names) or instruction rows
// (instruction, input, output), as JSONL, Parquet or an Arrow IPC stream,
// files Hugging Face datasets, axolotl and Unsloth load as they are. Run is
// the entry point.
package export

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/distillery/distillery"
	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
)

// Options say what to export and where.
type Options struct {
	Filter *filters.Filter
	// Split is train, val, test or all.
	Split string
	// Format is jsonl, parquet or arrow (an Arrow IPC stream).
	Format string
	// Style is regression or instruction.
	Style string
	// Out is the file to write (default export/<filter>_<split>_<style>.<ext>).
	Out string
	// Labels and Splits pin snapshots (zero: current); Combine as in curate.
	Labels, Splits lake.Ref
	Combine        string
	// WithBalancedOut keeps training articles --balance left out.
	WithBalancedOut bool
}

var extensions = map[string]string{"jsonl": ".jsonl", "parquet": ".parquet", "arrow": ".arrow"}

// Validate fills defaults and checks the options.
func (o *Options) Validate() error {
	if o.Filter == nil {
		return errors.New("export: no filter")
	}
	if o.Split == "" {
		o.Split = "train"
	}
	if o.Format == "" {
		o.Format = "jsonl"
	}
	if o.Style == "" {
		o.Style = "regression"
	}
	if o.Combine == "" {
		o.Combine = o.Filter.Splits.Combine
	}
	switch o.Split {
	case "train", "val", "test", "all":
	default:
		return fmt.Errorf("split %q: want train, val, test or all", o.Split)
	}
	ext, ok := extensions[o.Format]
	if !ok {
		return fmt.Errorf("format %q: want jsonl, parquet or arrow", o.Format)
	}
	if o.Style != "regression" && o.Style != "instruction" {
		return fmt.Errorf("style %q: want regression or instruction", o.Style)
	}
	if o.Out == "" {
		o.Out = filepath.Join("export", fmt.Sprintf("%s_%s_%s%s", o.Filter.Name, o.Split, o.Style, ext))
	}
	return curate.CheckCombine(o.Combine)
}

// Result says what was written.
type Result struct {
	Path       string   `json:"path"`
	Rows       int64    `json:"rows"`
	Dimensions []string `json:"dimension_names"`
	Labels     string   `json:"labels"`
	Splits     string   `json:"splits"`
	Compressed string   `json:"compressed"`
	NoText     int64    `json:"without_text"`
	Skipped    int64    `json:"balanced_out_skipped"`
}

// Instruction is the filter's prompt with the article placeholder pointing
// at the input: the same prompt the oracle was given.
func Instruction(f *filters.Filter) string {
	return strings.TrimSpace(strings.Replace(f.Prompt, filters.Placeholder, "[the article is the input below]", 1))
}

// Run writes the file.
func Run(ctx context.Context, l *lake.Lake, opts Options) (*Result, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	sess, err := l.Session(ctx, opts.Filter.Namespace())
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	set, err := curate.DefineExamples(ctx, sess, opts.Filter, opts.Labels, opts.Splits, opts.Combine)
	if err != nil {
		return nil, err
	}
	res := &Result{Path: opts.Out, Dimensions: set.Dimensions, Labels: set.Labels.Ref().String(), Splits: set.Splits.Ref().String(),
		Compressed: set.Compressed.Ref().String(), NoText: set.NoText}
	if !opts.WithBalancedOut {
		if err := sess.QueryRowFile(ctx, "students/balanced_out", lake.Params{"split": opts.Split}, &res.Skipped); err != nil {
			return nil, err
		}
	}
	err = sess.TempTable(ctx, "export_examples", "students/export_examples",
		lake.Params{"split": opts.Split, "with_balanced_out": opts.WithBalancedOut})
	if err == nil {
		err = sess.SetVariables(ctx, lake.Vars{"instruction": Instruction(opts.Filter)})
	}
	if err != nil {
		return nil, err
	}
	if err := sess.QueryRow(ctx, "SELECT count(*) FROM export_examples", &res.Rows); err != nil {
		return nil, err
	}
	if res.Rows == 0 {
		return nil, fmt.Errorf("split %s of %s has no examples to export", opts.Split, res.Splits)
	}
	if dir := filepath.Dir(opts.Out); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	query := distillery.SQL("students/export_" + opts.Style)
	switch opts.Format {
	case "jsonl":
		_, err = sess.Exec(ctx, "COPY ("+query+") TO $path (FORMAT json)", sql.Named("path", opts.Out))
	case "parquet":
		_, err = sess.Exec(ctx, "COPY ("+query+") TO $path (FORMAT parquet, COMPRESSION zstd)", sql.Named("path", opts.Out))
	case "arrow":
		err = writeArrow(ctx, sess, query, opts.Out)
	}
	if err != nil {
		os.Remove(opts.Out)
		return nil, fmt.Errorf("write %s: %w", opts.Out, err)
	}
	return res, nil
}

// writeArrow writes the query's rows as an Arrow IPC stream (what
// `datasets.Dataset.from_file` and pyarrow.ipc.open_stream read).
func writeArrow(ctx context.Context, sess *lake.Session, query, path string) error {
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := sess.WriteArrowStream(ctx, query, fh); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}
