package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/internal/sample"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/pipeline"
	"github.com/distillery/distillery/stages/label/oracle"
)

// demoMarker marks a folder the demo made, so a rerun may replace it; it
// holds the manifest of what the demo left there (demo_manifest.go).
const demoMarker = ".distill-demo"

// messyInput is a small scrape with the usual faults.
const messyInput = `{"id":"messy-1","headline":"Tidal turbine array exports first power in Orkney","body":"The four-turbine array has been feeding the local grid since March, the operator said."}
{"id":"messy-2","title":"Truncated record", "content": "the crawler stopped here
{"id":"messy-3","url":"https://example.org/empty-page","tags":["scrape"]}
{"id":"messy-1","title":"Tidal turbine array exports first power in Orkney","content":"(a duplicate of line 1)"}
`

// demoQueries are printed for the user to try, and run by the demo.
var demoQueries = []struct{ what, sql string }{
	{"what the prefilter did with each kind of article (the generator's intent is kept in extra)",
		`SELECT r.extra->>'sample_kind' AS kind, round(100 * avg(p.passed::int)) AS pct_passed, coalesce(min(p.reason) FILTER (WHERE NOT p.passed), 'passed') AS e_g_reason FROM prefiltered p JOIN corpus.raw r USING (id) GROUP BY 1 ORDER BY 2 DESC, 1 NULLS LAST`},
	{"the label distribution: tiers, and mean scores by what each article really is",
		`SELECT r.extra->>'sample_kind' AS kind, l.tier, count(*) AS n, round(avg(l.overall), 2) AS overall, round(avg(l.deployment_stage), 1) AS deployment_stage FROM labels l JOIN corpus.raw r USING (id) GROUP BY ALL ORDER BY overall DESC, kind, l.tier`},
	{"split balance: articles per split and tier", `SELECT s.split, l.tier, count(*) AS n FROM splits s JOIN labels l USING (id) GROUP BY ALL ORDER BY ALL`},
	{"the student against the oracle on the test split, with the mean baseline", `SELECT model, dimension, round(mae, 3) AS mae, round(baseline_mae, 3) AS baseline_mae, round(spearman, 2) AS spearman FROM evaluations WHERE dimension IN ('overall', '_all', 'deployment_stage', 'evidence_quality') ORDER BY model, dimension`},
	{"the table as of its first snapshot (time travel), and rejected input by reason", `SELECT (SELECT count(*) FROM "corpus.raw@1") AS rows_at_1, reason, count(*) AS n FROM corpus.rejects GROUP BY reason ORDER BY n DESC, reason`},
}

// demoPipeline is the pipeline the demo writes beside its lake and runs.
const demoPipeline = `# What ` + "`distill demo`" + ` ran: the same file runs again with ` + "`distill run demo/pipeline.yaml`" + `.
lake: lake
sources:
  - path: sample.jsonl
    source: demo_sample
  - path: messy.jsonl
    source: demo_messy
filter: filters/sustainability_tech_deployment/v1
oracle:
  kind: %s
  max_cost: 1.00
split:
  seed: 42
student:
  backend: linear
evaluate:
  split: test
report:
  out: report.html
`

func demoCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "run the whole pipeline offline on a generated sample corpus (into ./demo)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "dir", Value: "demo", Usage: "folder for the sample, the lake and the report"},
			&cli.IntFlag{Name: "articles", Value: 3000, Usage: "articles in the sample corpus"},
			&cli.Uint64Flag{Name: "seed", Value: 42, Usage: "seed of the sample corpus"},
			&cli.BoolFlag{Name: "force", Usage: "replace an earlier demo's folder even when files, tags or snapshots were added to it since"},
		},
		Action: func(c *cli.Context) error {
			dir := c.String("dir")
			if err := prepareDemoDir(c.Context, dir, c.Bool("force")); err != nil {
				return err
			}
			err := runDemo(c, e, dir)
			// Recorded even when the demo failed: all it left is its own.
			if rerr := recordDemo(context.WithoutCancel(c.Context), dir); err == nil {
				err = rerr
			}
			return err
		},
	}
}

// runDemo generates the inputs into dir and runs the demo pipeline there.
func runDemo(c *cli.Context, e *env, dir string) error {
	start := time.Now()
	samplePath := filepath.Join(dir, "sample.jsonl")
	f, err := os.Create(samplePath)
	if err != nil {
		return err
	}
	arts, err := sample.Write(f, c.Int("articles"), c.Uint64("seed"))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "generated %s (seed %d): clean-tech deployments at every stage, lab results, plans, unrelated news -> %s\n", human.Plural(int64(len(arts)), "article"), c.Uint64("seed"), samplePath)
	// A second input as messy as real scrapes: bad lines become rejects, not crashes.
	if err := os.WriteFile(filepath.Join(dir, "messy.jsonl"), []byte(messyInput), 0o644); err != nil {
		return err
	}
	fdir, err := filters.WriteBuiltin(filepath.Join(dir, "filters"), "sustainability_tech_deployment/v1")
	if err != nil {
		return err
	}
	flt, err := filters.Load(fdir)
	if err != nil {
		return err
	}
	orc := demoOracle(c, flt)
	pipePath := filepath.Join(dir, "pipeline.yaml")
	if err := os.WriteFile(pipePath, []byte(fmt.Sprintf(demoPipeline, orc.Kind())), 0o644); err != nil {
		return err
	}
	cfg, err := pipeline.Load(pipePath)
	if err != nil {
		return err
	}
	lakePath := filepath.Join(dir, "lake")
	l, err := lake.Create(c.Context, lakePath)
	if err != nil {
		return err
	}
	defer l.Close()
	l.Command = commandLine(e.args)
	if err := ingest.Init(c.Context, l); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "created lake %s; running %s:\n", lakePath, pipePath)
	res, err := pipeline.Run(c.Context, l, cfg, pipeline.Options{Out: e.stdout, Oracle: orc, Resume: "distill run " + pipePath})
	if err != nil {
		return err
	}
	if res.Report != "" {
		fmt.Fprintf(e.stdout, "\nreport: %s (open it in a browser; no network needed)\n", res.Report)
	}
	sess, err := l.Session(c.Context, flt.Namespace())
	if err != nil {
		return err
	}
	defer sess.Close()
	fmt.Fprintf(e.stdout, "\nfive queries to try:\n")
	for _, q := range demoQueries {
		fmt.Fprintf(e.stdout, "\n-- %s\ndistill --lake %s sql --filter %s %q\n", q.what, lakePath, fdir, q.sql)
		rows, err := sess.Query(c.Context, q.sql)
		if err != nil {
			return fmt.Errorf("demo query %q: %w", q.sql, err)
		}
		err = writeRows(e.stdout, rows, "table", 60)
		rows.Close()
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "\ndemo done in %.1fs: lake %s, pipeline %s (rerun it with `distill run %s`)\n", time.Since(start).Seconds(), lakePath, pipePath, pipePath)
	return nil
}

// demoOracle is Gemini when GEMINI_API_KEY is set (the demo caps spend at $1),
// else the offline keywords oracle.
func demoOracle(c *cli.Context, f *filters.Filter) oracle.Oracle {
	if os.Getenv("GEMINI_API_KEY") != "" {
		if g, err := oracle.New(c.Context, oracle.Config{Kind: "gemini", Filter: f, Timeout: time.Minute}); err == nil {
			return g
		}
	}
	return oracle.NewKeywords(f)
}

// prepareDemoDir makes dir, or empties one an earlier demo made. It never
// touches a non-empty folder the demo did not make, and, unless force, one
// the user added to or changed since the demo made it.
func prepareDemoDir(ctx context.Context, dir string, force bool) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, demoMarker), nil, 0o644)
	}
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return os.WriteFile(filepath.Join(dir, demoMarker), nil, 0o644)
	}
	if _, err := os.Stat(filepath.Join(dir, demoMarker)); err != nil {
		return fmt.Errorf("%s exists and was not made by distill demo: choose another --dir", dir)
	}
	if !force {
		changes, err := demoChanges(ctx, dir)
		if err != nil {
			return err
		}
		if len(changes) > 0 {
			return &DemoChangedError{Dir: dir, Changes: changes}
		}
	}
	for _, e := range entries {
		if e.Name() != demoMarker {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}
