package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/internal/sample"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/stages/compress"
	"github.com/distillery/distillery/stages/label"
	"github.com/distillery/distillery/stages/label/oracle"
	"github.com/distillery/distillery/stages/prefilter"
	"github.com/urfave/cli/v2"
)

// demoMarker marks a folder the demo made, so a rerun may replace it.
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
		`SELECT r.extra->>'sample_kind' AS kind, round(100 * avg(p.passed::int)) AS pct_passed, any_value(p.reason ORDER BY p.passed) AS e_g_reason FROM prefiltered p JOIN corpus.raw r USING (id) GROUP BY 1 ORDER BY 2 DESC`},
	{"the model input for one article, exactly as the oracle will see it (--format csv shows it whole)", `SELECT text FROM compressed ORDER BY words DESC LIMIT 1`},
	{"the label distribution: tiers, and mean scores by what each article really is",
		`SELECT r.extra->>'sample_kind' AS kind, l.tier, count(*) AS n, round(avg(l.overall), 2) AS overall, round(avg(l.deployment_stage), 1) AS deployment_stage FROM labels l JOIN corpus.raw r USING (id) GROUP BY ALL ORDER BY overall DESC`},
	{"the table as of its first snapshot (time travel)", `SELECT count(*) AS rows_at_1 FROM "corpus.raw@1"`},
	{"rejected input, by reason", `SELECT reason, count(*) AS n FROM corpus.rejects GROUP BY 1 ORDER BY 2 DESC`},
}

func demoCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "run the pipeline offline on a generated sample corpus (into ./demo)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "dir", Value: "demo", Usage: "folder for the sample, the lake and the report"},
			&cli.IntFlag{Name: "articles", Value: 3000, Usage: "articles in the sample corpus"},
			&cli.Uint64Flag{Name: "seed", Value: 42, Usage: "seed of the sample corpus"},
		},
		Action: func(c *cli.Context) error {
			dir := c.String("dir")
			if err := prepareDemoDir(dir); err != nil {
				return err
			}
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
			fmt.Fprintf(e.stdout, "1. generated %d articles (seed %d) in %s\n", len(arts), c.Uint64("seed"), samplePath)
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
			fmt.Fprintf(e.stdout, "2. created lake %s\n", lakePath)
			res, err := ingest.Run(c.Context, l, ingest.Options{Paths: []string{samplePath}, Source: "demo_sample"})
			if err != nil {
				return err
			}
			fmt.Fprint(e.stdout, "3. ")
			printIngest(e, res)
			// A second input as messy as real scrapes: bad lines become rejects, not crashes.
			messyPath := filepath.Join(dir, "messy.jsonl")
			if err := os.WriteFile(messyPath, []byte(messyInput), 0o644); err != nil {
				return err
			}
			res, err = ingest.Run(c.Context, l, ingest.Options{Paths: []string{messyPath}, Source: "demo_messy"})
			if err != nil {
				return err
			}
			fmt.Fprint(e.stdout, "   ")
			printIngest(e, res)
			// The shipped sustainability filter: prefilter, then compress.
			fdir, err := filters.WriteBuiltin(filepath.Join(dir, "filters"), "sustainability_tech_deployment/v1")
			if err != nil {
				return err
			}
			flt, err := filters.Load(fdir)
			if err != nil {
				return err
			}
			pre, err := prefilter.Run(c.Context, l, prefilter.Options{Filter: flt})
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "4. prefilter (%s): %d articles decided, %d passed, %d blocked -> %s.prefiltered\n", fdir, pre.RowsIn, pre.Passed, pre.Blocked, flt.Namespace())
			printReasons(e, pre.ByReason, 5)
			cmp, err := compress.Run(c.Context, l, compress.Options{Filter: flt})
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "5. compress: %d passed articles rendered as model input (mean %.0f words, %d cut) -> %s.compressed\n", cmp.RowsOut, cmp.MeanWords, cmp.Truncated, flt.Namespace())
			lab, err := label.Run(c.Context, l, label.Options{Filter: flt, Oracle: demoOracle(c, flt, e), MaxCost: 1.00})
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "6. label: %d articles scored by the %s oracle (%s), $%.4f -> %s.labels\n", lab.RowsOut, lab.Oracle, lab.Model, lab.Cost, flt.Namespace())
			sess, err := l.Session(c.Context, flt.Namespace())
			if err != nil {
				return err
			}
			defer sess.Close()
			fmt.Fprintf(e.stdout, "7. five queries to try (add --filter %s for the filter's tables):\n", fdir)
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
			return nil
		},
	}
}

// demoOracle is Gemini when GEMINI_API_KEY is set (the demo caps spend at $1),
// else the offline keywords oracle.
func demoOracle(c *cli.Context, f *filters.Filter, e *env) oracle.Oracle {
	if os.Getenv("GEMINI_API_KEY") != "" {
		if g, err := oracle.NewGemini(c.Context, f.Oracle.Model, "", time.Minute); err == nil {
			return g
		}
	}
	return oracle.NewKeywords(f)
}

// prepareDemoDir makes dir, or empties one an earlier demo made; it refuses
// to touch a non-empty folder the demo did not make.
func prepareDemoDir(dir string) error {
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
	if len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(dir, demoMarker)); err != nil {
			return fmt.Errorf("%s exists and was not made by distill demo: choose another --dir", dir)
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
	return os.WriteFile(filepath.Join(dir, demoMarker), nil, 0o644)
}
