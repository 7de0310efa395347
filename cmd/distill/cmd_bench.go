package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/internal/benchdata"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

func benchCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "bench",
		Usage: "measure distill against DuckDB on the same input",
		Subcommands: []*cli.Command{
			{
				Name:  "ingest",
				Usage: "time `distill ingest` and DuckDB's COPY (read_json_auto) TO parquet on one JSONL file",
				Flags: []cli.Flag{
					jsonFlag,
					&cli.StringFlag{Name: "file", Usage: "JSONL file to ingest"},
					&cli.Int64Flag{Name: "generate-mb", Usage: "generate a synthetic JSONL file of this many MB instead"},
					&cli.IntFlag{Name: "runs", Value: 3, Usage: "runs of each; the best is reported"},
					&cli.BoolFlag{Name: "skip-duckdb", Usage: "time distill only"},
				},
				Action: func(c *cli.Context) error { return benchIngest(c, e) },
			},
			{
				Name:      "duckdb-copy",
				Usage:     "run DuckDB's COPY (SELECT * FROM read_json_auto(IN)) TO OUT alone (the bench's baseline)",
				ArgsUsage: "IN OUT",
				Hidden:    true,
				Action: func(c *cli.Context) error {
					in, out := c.Args().Get(0), c.Args().Get(1)
					return lake.RunDuckDB(c.Context, fmt.Sprintf("COPY (SELECT * FROM read_json_auto(%s)) TO %s (FORMAT parquet)",
						lake.QuoteString(in), lake.QuoteString(out)))
				},
			},
		},
	}
}

type benchRun struct {
	Seconds  float64 `json:"seconds"`
	MBPerSec float64 `json:"mb_per_s"`
	PeakRSS  int64   `json:"peak_rss_mb"`
}

type benchReport struct {
	File string  `json:"file"`
	MB   float64 `json:"mb"`
	// Generated is the number of articles --generate-mb wrote (0: --file).
	Generated int64 `json:"articles_generated,omitempty"`
	// Ingested is what the ingest said it committed; ReadBack is what
	// SELECT count(*) reads back from the lake afterwards: the bench fails
	// when they differ (a file listed twice reads its rows twice).
	Ingested int64     `json:"rows_ingested"`
	ReadBack int64     `json:"rows_read_back"`
	Distill  benchRun  `json:"distill"`
	DuckDB   *benchRun `json:"duckdb,omitempty"`
	Ratio    float64   `json:"throughput_ratio,omitempty"`
}

func benchIngest(c *cli.Context, e *env) error {
	tmp, err := os.MkdirTemp("", "distill-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	file := c.String("file")
	var generated int64
	if mb := c.Int64("generate-mb"); mb > 0 {
		file = filepath.Join(tmp, "generated.jsonl")
		f, err := os.Create(file)
		if err != nil {
			return err
		}
		n, err := benchdata.WriteJSONL(f, mb<<20, 42)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "generated %s in %s\n", human.Plural(int64(n), "article"), file)
		generated = int64(n)
	}
	if file == "" {
		return fmt.Errorf("bench ingest needs --file FILE or --generate-mb N")
	}
	st, err := os.Stat(file)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	rep := benchReport{File: file, MB: float64(st.Size()) / (1 << 20), Generated: generated}
	best := func(runs int, setup func(i int) error, args func(i int) []string, done func(i int, stdout []byte) error) (benchRun, error) {
		var b benchRun
		for i := 0; i < runs; i++ {
			if err := setup(i); err != nil {
				return b, err
			}
			r, out, err := timeChild(self, args(i)...)
			if err != nil {
				return b, err
			}
			if err := done(i, out); err != nil {
				return b, err
			}
			if b.Seconds == 0 || r.Seconds < b.Seconds {
				b.Seconds = r.Seconds
			}
			b.PeakRSS = max(b.PeakRSS, r.PeakRSS)
		}
		b.MBPerSec = rep.MB / b.Seconds
		return b, nil
	}
	runs := max(1, c.Int("runs"))
	lakeDir := func(i int) string { return filepath.Join(tmp, fmt.Sprintf("lake%d", i)) }
	rep.Distill, err = best(runs, func(i int) error {
		out, err := exec.Command(self, "--lake", lakeDir(i), "init").CombinedOutput()
		if err != nil {
			return fmt.Errorf("init: %v: %s", err, out)
		}
		return nil
	}, func(i int) []string { return []string{"--lake", lakeDir(i), "ingest", "--json", file} },
		func(i int, out []byte) error {
			rep.Ingested, rep.ReadBack, err = readBack(c.Context, lakeDir(i), out)
			if err != nil {
				return fmt.Errorf("run %d: %w", i+1, err)
			}
			return nil
		})
	if err != nil {
		return err
	}
	for i := 0; i < runs; i++ {
		os.RemoveAll(lakeDir(i))
	}
	if !c.Bool("skip-duckdb") {
		d, err := best(runs, func(int) error { return nil }, func(i int) []string {
			return []string{"bench", "duckdb-copy", file, filepath.Join(tmp, fmt.Sprintf("duck%d.parquet", i))}
		}, func(int, []byte) error { return nil })
		if err != nil {
			return err
		}
		rep.DuckDB = &d
		rep.Ratio = rep.Distill.MBPerSec / d.MBPerSec
	}
	if c.Bool("json") {
		return e.printJSON(rep)
	}
	fmt.Fprintf(e.stdout, "input: %s (%.1f MB), best of %s, whole processes\n", file, rep.MB, human.Plural(int64(runs), "run"))
	fmt.Fprintf(e.stdout, "  distill ingest:                   %6.2f s  %7.1f MB/s  peak RSS %d MB\n", rep.Distill.Seconds, rep.Distill.MBPerSec, rep.Distill.PeakRSS)
	if rep.Generated > 0 {
		fmt.Fprintf(e.stdout, "  rows: %d generated, %d ingested, %d read back by SELECT count(*) FROM %s\n", rep.Generated, rep.Ingested, rep.ReadBack, spec.Raw.For(nil))
	} else {
		fmt.Fprintf(e.stdout, "  rows: %d ingested, %d read back by SELECT count(*) FROM %s\n", rep.Ingested, rep.ReadBack, spec.Raw.For(nil))
	}
	if rep.DuckDB != nil {
		fmt.Fprintf(e.stdout, "  duckdb COPY read_json_auto->parquet: %4.2f s  %7.1f MB/s  peak RSS %d MB\n", rep.DuckDB.Seconds, rep.DuckDB.MBPerSec, rep.DuckDB.PeakRSS)
		fmt.Fprintf(e.stdout, "  distill / duckdb throughput: %.2f\n", rep.Ratio)
	}
	return nil
}

// errReadBack means the lake read back a different row count than the
// ingest committed.
var errReadBack = errors.New("row count read back from the lake differs from the count ingested")

// readBack returns the rows an `ingest --json` run says it committed and
// the rows SELECT count(*) reads from its table afterwards (a second path:
// DuckDB over the snapshot's file list), with errReadBack when they differ.
func readBack(ctx context.Context, dir string, ingestJSON []byte) (ingested, read int64, err error) {
	var res struct {
		RowsOut *int64 `json:"rows_out"`
	}
	if err := json.Unmarshal(ingestJSON, &res); err != nil || res.RowsOut == nil {
		return 0, 0, fmt.Errorf("ingest --json printed %q: want a rows_out count (%v)", ingestJSON, err)
	}
	l, err := lake.Open(ctx, dir)
	if err != nil {
		return 0, 0, err
	}
	defer l.Close()
	sess, err := l.Session(ctx, "")
	if err != nil {
		return 0, 0, err
	}
	defer sess.Close()
	if err := sess.QueryRow(ctx, "SELECT count(*) FROM "+spec.Raw.For(nil).String(), &read); err != nil {
		return 0, 0, fmt.Errorf("count %s: %w", spec.Raw.For(nil), err)
	}
	if *res.RowsOut != read {
		return *res.RowsOut, read, fmt.Errorf("%w: ingested %s, %s reads back %d", errReadBack, human.Plural(*res.RowsOut, "row"), spec.Raw.For(nil), read)
	}
	return *res.RowsOut, read, nil
}

// timeChild runs this binary with args and returns wall time, peak RSS and
// what it printed on stdout.
func timeChild(self string, args ...string) (benchRun, []byte, error) {
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), "DISTILL_NO_PROGRESS=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return benchRun{}, nil, fmt.Errorf("%v: %v: %s%s", args, err, stdout.Bytes(), stderr.Bytes())
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss / 1024 // KiB on Linux
	}
	return benchRun{Seconds: wall.Seconds(), PeakRSS: rss}, stdout.Bytes(), nil
}
