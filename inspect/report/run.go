// Package report writes a filter's lake as one self-contained HTML page:
// the prefilter funnel from corpus.raw to a split, tier distribution,
// per-dimension score histograms, split balance, labels and cost over time
// by oracle model, each model's MAE per dimension beside the mean baseline,
// tier confusion heat maps and every table's snapshot history, all as
// inline SVG drawn in Go. Every number comes from SQL (sql/report/,
// sql/stats/, sql/split/) over the lake; a section whose table does not
// exist yet says so. Run is the entry point; Collect, Build and Page.Write
// are its three steps.
package report

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/distillery/distillery/lake"
)

// Result says what was written.
type Result struct {
	Filter string `json:"filter"`
	// Out is the file written ("" when the page went to Options.Writer).
	Out   string `json:"out,omitempty"`
	Bytes int    `json:"bytes"`
	// Charts counts the figures; Sections lists every section with its
	// charts, or why it has none.
	Charts   int             `json:"charts"`
	Sections []SectionResult `json:"sections"`
	// Read lists the snapshots the numbers come from.
	Read    []string `json:"read"`
	Seconds float64  `json:"seconds"`
}

// SectionResult is one section of the page.
type SectionResult struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Charts  int    `json:"charts"`
	Missing string `json:"missing,omitempty"`
}

// Run reads the lake and writes the report.
func Run(ctx context.Context, l *lake.Lake, opts Options) (*Result, error) {
	start := time.Now()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	d, err := Collect(ctx, l, opts)
	if err != nil {
		return nil, err
	}
	page := Build(d)
	var buf bytes.Buffer
	if err := page.Write(&buf); err != nil {
		return nil, fmt.Errorf("render report: %w", err)
	}
	res := &Result{Filter: d.Filter, Bytes: buf.Len()}
	for _, s := range page.Sections {
		res.Sections = append(res.Sections, SectionResult{ID: s.ID, Title: s.Title, Charts: len(s.Charts), Missing: s.Missing})
		res.Charts += len(s.Charts)
	}
	for _, r := range append([]string{d.Labels, d.Splits, d.Calls, d.Evaluations}, d.FunnelRead...) {
		if r != "" && !slices.Contains(res.Read, r) {
			res.Read = append(res.Read, r)
		}
	}
	if opts.Writer != nil {
		if _, err := opts.Writer.Write(buf.Bytes()); err != nil {
			return nil, err
		}
	} else {
		if err := writeFile(opts.Out, buf.Bytes()); err != nil {
			return nil, err
		}
		res.Out = opts.Out
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// writeFile replaces path with data through a temporary file in the same
// folder, so a reader never sees half a report.
func writeFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".report-*.html")
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	return nil
}
