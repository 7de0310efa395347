package runlog_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/inspect/runlog"
	"github.com/distillery/distillery/internal/sample"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/stages/compress"
	"github.com/distillery/distillery/stages/label"
	"github.com/distillery/distillery/stages/label/oracle"
	"github.com/distillery/distillery/stages/prefilter"
)

func TestRun_PipelineInOrder(t *testing.T) {
	ctx := context.Background()
	l := testutil.NewLake(t)
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	p := filepath.Join(t.TempDir(), "s.jsonl")
	fh, _ := os.Create(p)
	sample.Write(fh, 20, 7)
	fh.Close()
	steps := []func() error{
		func() error { _, err := ingest.Run(ctx, l, ingest.Options{Paths: []string{p}}); return err },
		func() error { _, err := prefilter.Run(ctx, l, prefilter.Options{Filter: f}); return err },
		func() error { _, err := compress.Run(ctx, l, compress.Options{Filter: f}); return err },
		func() error {
			_, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: oracle.NewKeywords(f), BatchSize: 3, Concurrency: 1})
			return err
		},
	}
	for _, step := range steps {
		l.RunID = lake.NewRunID() // one run per stage, as from the CLI
		l.Command = "distill step"
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	res, err := runlog.Run(ctx, l, runlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range res.Entries {
		got = append(got, e.Stage+" "+e.Table)
	}
	ns := f.Namespace()
	want := []string{"ingest corpus.raw", "prefilter " + ns + ".prefiltered", "compress " + ns + ".compressed",
		"label " + ns + ".oracle_calls", "label " + ns + ".labels"}
	if len(got) == len(want) && got[3] == want[4] && got[4] == want[3] {
		got[3], got[4] = got[4], got[3] // one run's two tables: in commit order unless in one millisecond
	}
	if !slices.Equal(got, want) {
		t.Fatalf("log = %q, want %q", got, want)
	}
	for i := 1; i < len(res.Entries); i++ {
		if res.Entries[i].Time.Before(res.Entries[i-1].Time) {
			t.Errorf("entry %d is older than entry %d", i, i-1)
		}
	}
	pre, lbl, calls := res.Entries[1], res.Entries[4], res.Entries[3]
	if lbl.Table != ns+".labels" {
		lbl, calls = calls, lbl
	}
	if !slices.Equal(pre.ShortInputs(), []string{"corpus.raw@1"}) || pre.Output() != ns+".prefiltered@1" || pre.RowsAdded != 20 || pre.Command != "distill step" {
		t.Errorf("prefilter entry = %+v (inputs %v, output %s)", pre, pre.ShortInputs(), pre.Output())
	}
	labeled := testutil.QueryInt(t, l, "SELECT count(*) FROM "+ns+".labels")
	if len(lbl.Snapshots) < 2 || lbl.Output() != ns+".labels@1-"+strconv.FormatInt(lbl.Seq, 10) || lbl.RowsAdded != labeled || lbl.CostUSD == nil || *lbl.CostUSD != 0 {
		t.Errorf("label entry: %d snapshots, output %s, %d rows (want %d), cost %v", len(lbl.Snapshots), lbl.Output(), lbl.RowsAdded, labeled, lbl.CostUSD)
	}
	if calls.CostUSD != nil {
		t.Error("an oracle_calls entry has a labels cost")
	}
	if pre.Stage != "prefilter" || pre.RunID == res.Entries[2].RunID || lbl.RunID != calls.RunID {
		t.Error("run ids: each stage its own run, labels and oracle_calls one run")
	}
}

func TestRun_CostTableAndLimit(t *testing.T) {
	ctx := context.Background()
	l := testutil.NewLake(t)
	labels := lake.TableName{Namespace: "f", Table: "labels"}
	other := lake.TableName{Namespace: "f", Table: "notes"}
	schema := lake.Schema{{Name: "id", Type: lake.String}, {Name: "cost_usd", Type: lake.Double}, {Name: "run_id", Type: lake.String}}
	for _, n := range []lake.TableName{labels, other} {
		if err := l.EnsureTable(ctx, n, schema); err != nil {
			t.Fatal(err)
		}
	}
	write := func(n lake.TableName, replace bool, costs ...float64) {
		t.Helper()
		p, err := l.WriteRows(ctx, n, func(rb *lake.RowBuilder) error {
			for i, c := range costs {
				rb.String("id", string(rune('a'+i)))
				rb.Double("cost_usd", c)
				rb.String("run_id", l.RunID)
				rb.EndRow()
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Commit(ctx, lake.Commit{Stage: "s-" + n.Table, Replace: replace}); err != nil {
			t.Fatal(err)
		}
	}
	l.RunID = "run1"
	write(labels, false, 0.25, 0.5)
	write(labels, false, 0.125) // a second batch of run1
	write(other, false, 9)
	l.RunID = "run2"
	write(labels, true, 1) // replaces run1's rows: run1's cost is still read at its own snapshot

	res, err := runlog.Run(ctx, l, runlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entries) != 3 {
		t.Fatalf("%d entries, want 3: %+v", len(res.Entries), res.Entries)
	}
	costs := map[string]float64{}
	for _, e := range res.Entries {
		if e.Table == labels.String() {
			costs[e.RunID] = *e.CostUSD
		}
	}
	if math.Abs(costs["run1"]-0.875) > 1e-12 || costs["run2"] != 1 {
		t.Errorf("costs = %v, want run1 0.875, run2 1", costs)
	}
	res, err = runlog.Run(ctx, l, runlog.Options{Table: labels, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entries) != 1 || res.Entries[0].RunID != "run2" || res.Entries[0].Operation != "overwrite" {
		t.Errorf("--table labels --limit 1 = %+v, want run2's overwrite", res.Entries)
	}
}
