package main

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/pipelinetest"
	"github.com/distillery/distillery/internal/testutil"
)

// scoreFilters are the shipped filters distill score --all runs together.
var scoreFilters = []string{"sustainability_tech_deployment", "uplifting"}

// productionLake is a lake of the real ai-tech sample where each filter
// package in dirs has a linear student trained on its keywords oracle's
// labels and tagged production; it returns the lake and each model's id.
func productionLake(t *testing.T, dirs ...string) (string, []string) {
	t.Helper()
	lk := filepath.Join(t.TempDir(), "lake")
	distill(t, 0, "init", "--lake", lk)
	distill(t, 0, "--lake", lk, "ingest", testutil.Shared(t, pipelinetest.Sample))
	var models []string
	for _, dir := range dirs {
		for _, stage := range []string{"prefilter", "compress", "split"} {
			if stage == "split" {
				distill(t, 0, "--lake", lk, "label", "--filter", dir, "--oracle", "keywords")
			}
			distill(t, 0, "--lake", lk, stage, "--filter", dir)
		}
		out, _ := distill(t, 0, "--lake", lk, "train", "--filter", dir, "--json")
		var tr struct{ Model struct{ ID string } }
		if err := json.Unmarshal([]byte(out), &tr); err != nil || tr.Model.ID == "" {
			t.Fatalf("train --json: %v\n%.300s", err, out)
		}
		distill(t, 0, "--lake", lk, "model", "tag", "production", tr.Model.ID, "--filter", dir)
		models = append(models, tr.Model.ID)
	}
	return lk, models
}

// sqlLines runs distill sql and returns its csv rows, header dropped.
func sqlLines(t *testing.T, lk, query string) []string {
	t.Helper()
	out, _ := distill(t, 0, "--lake", lk, "sql", "--format", "csv", query)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[1:]
}

func sqlOne(t *testing.T, lk, query string) string {
	t.Helper()
	lines := sqlLines(t, lk, query)
	if len(lines) != 1 {
		t.Fatalf("%s: %q, want one row", query, lines)
	}
	return lines[0]
}

// distill score --all PATH: the new folder is ingested, then every article
// of corpus.raw is scored once by each filter's production model; --json
// says what distill sql reads back. --out x.csv is refused before anything
// is ingested or scored; --out .parquet and .jsonl hold one row per
// filter and article.
func TestCLI_ScoreAll(t *testing.T) {
	root := testutil.RepoRoot(t)
	var dirs []string
	for _, f := range scoreFilters {
		dirs = append(dirs, filepath.Join(root, "filters", f, "v1"))
	}
	lk, models := productionLake(t, dirs...)
	bbc := testutil.Shared(t, "corpus/bbc-fulltext/bbc/tech")

	raw := sqlOne(t, lk, "SELECT count(*) FROM corpus.raw")
	out, _ := distill(t, 0, "--lake", lk, "score", "--all", "--json", bbc)
	var res struct {
		RowsIn  int64 `json:"rows_in"`
		RowsOut int64 `json:"rows_out"`
		Ingest  struct {
			RowsOut int64 `json:"rows_out"`
		} `json:"ingest"`
		Filters []struct {
			Filter, Model             string
			Scored, Rejected, Already int64
		} `json:"filters"`
	}
	if err := json.Unmarshal([]byte(strings.ReplaceAll(out, "already_scored", "already")), &res); err != nil {
		t.Fatalf("score --json: %v\n%s", err, out)
	}
	all := sqlOne(t, lk, "SELECT count(*) FROM corpus.raw")
	n, _ := strconv.ParseInt(all, 10, 64)
	if before, _ := strconv.ParseInt(raw, 10, 64); res.Ingest.RowsOut == 0 || n != before+res.Ingest.RowsOut || res.RowsIn != n || res.RowsOut != 2*n || len(res.Filters) != 2 {
		t.Fatalf("score --all %s: ingested %d, read %d, wrote %d, %d filters; corpus.raw %s then %d", bbc, res.Ingest.RowsOut, res.RowsIn, res.RowsOut, len(res.Filters), raw, n)
	}
	for i, fr := range res.Filters {
		f := scoreFilters[i]
		if fr.Filter != f || fr.Model != models[i] || fr.Already != 0 {
			t.Errorf("filter %d: %+v, want %s with %s", i, fr, f, models[i])
		}
		got := sqlOne(t, lk, "SELECT count(*) || ' ' || count(DISTINCT id) || ' ' || count(*) FILTER (WHERE passed) || ' ' || count(*) FILTER (WHERE NOT passed) || ' ' || count(DISTINCT model) FROM "+f+".scores")
		if want := strings.Join([]string{all, all, itoa(fr.Scored), itoa(fr.Rejected), "1"}, " "); got != want {
			t.Errorf("%s.scores (rows, ids, passed, rejected, models): %s, want %s (--json)", f, got, want)
		}
		if miss := sqlOne(t, lk, "SELECT count(*) FROM corpus.raw r ANTI JOIN "+f+".scores s USING (id)"); miss != "0" {
			t.Errorf("%s: %s articles of corpus.raw unscored", f, miss)
		}
	}
	if fr := res.Filters[1]; fr.Scored == 0 || fr.Rejected == 0 {
		t.Errorf("uplifting scored %d, rejected %d: want some of each", fr.Scored, fr.Rejected)
	}

	// --out x.csv: refused before the PATH is ingested or anything scored.
	csv := filepath.Join(t.TempDir(), "x.csv")
	counts := func() string {
		return sqlOne(t, lk, "SELECT (SELECT count(*) FROM corpus.raw) || ' ' || (SELECT count(*) FROM "+scoreFilters[0]+".scores) || ' ' || (SELECT count(*) FROM "+scoreFilters[1]+".scores)")
	}
	before := counts()
	_, errOut := distill(t, 1, "--lake", lk, "score", "--all", "--out", csv, testutil.Shared(t, "corpus/bbc-fulltext/bbc/business"))
	if !strings.Contains(errOut, "x.csv") || !strings.Contains(errOut, ".parquet") {
		t.Errorf("--out x.csv: %s", errOut)
	}
	if _, err := os.Stat(csv); !os.IsNotExist(err) {
		t.Errorf("--out x.csv wrote %s: %v", csv, err)
	}
	if after := counts(); after != before {
		t.Errorf("--out x.csv changed the lake (corpus.raw, scores rows): %s, was %s", after, before)
	}

	for _, c := range []struct{ ext, reader string }{{".parquet", "read_parquet"}, {".jsonl", "read_json_auto"}} {
		path := filepath.Join(t.TempDir(), "x"+c.ext)
		out, _ := distill(t, 0, "--lake", lk, "score", "--all", "--out", path, "--json")
		var again struct {
			RowsIn int64 `json:"rows_in"`
			Export struct{ Rows int64 }
		}
		if err := json.Unmarshal([]byte(out), &again); err != nil || again.RowsIn != 0 || again.Export.Rows != 2*n {
			t.Errorf("score --all --out %s: %+v, %v; want nothing scored, %d rows exported", path, again, err, 2*n)
		}
		got := sqlLines(t, lk, "SELECT filter, count(*), count(DISTINCT id) FROM "+c.reader+"('"+path+"') GROUP BY 1 ORDER BY 1")
		want := []string{scoreFilters[0] + "," + all + "," + all, scoreFilters[1] + "," + all + "," + all}
		if strings.Join(got, ";") != strings.Join(want, ";") {
			t.Errorf("%s read back (filter, rows, ids): %q, want %q", c.ext, got, want)
		}
	}
}

// A filter without a production model is refused, naming the command that
// tags one; --all on a lake with none is refused too.
func TestCLI_ScoreWithoutProduction(t *testing.T) {
	lk := filepath.Join(t.TempDir(), "lake")
	distill(t, 0, "init", "--lake", lk)
	distill(t, 0, "--lake", lk, "ingest", testutil.Shared(t, "corpus/bbc-fulltext/bbc/tech"))
	fdir := filepath.Join(testutil.RepoRoot(t), "filters/uplifting/v1")
	_, errOut := distill(t, 1, "--lake", lk, "score", "--filter", fdir)
	if !strings.Contains(errOut, "uplifting") || !strings.Contains(errOut, "distill model tag production") {
		t.Errorf("score --filter without a production model: %s", errOut)
	}
	// A filter with models but none tagged: --all still finds nothing.
	distill(t, 0, "--lake", lk, "prefilter", "--filter", fdir)
	_, errOut = distill(t, 1, "--lake", lk, "score", "--all")
	if !strings.Contains(errOut, "production") || !strings.Contains(errOut, "distill model tag production") {
		t.Errorf("score --all on a lake without production models: %s", errOut)
	}
	if _, errOut := distill(t, 1, "--lake", lk, "sql", "SELECT count(*) FROM uplifting.scores"); !strings.Contains(errOut, "scores") {
		t.Errorf("a refused run made uplifting.scores: %s", errOut)
	}
}

// copyArticles writes the first n articles of the ai-tech sample to a
// JSON lines file, each id prefixed: the same texts as new articles.
func copyArticles(t *testing.T, n int, prefix string) string {
	t.Helper()
	f, err := os.Open(testutil.Shared(t, pipelinetest.Sample))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(gz)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var lines []string
	for len(lines) < n && sc.Scan() {
		var rec map[string]any
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.UseNumber()
		if err := dec.Decode(&rec); err != nil {
			t.Fatal(err)
		}
		rec["id"] = prefix + fmt.Sprint(rec["id"])
		b, _ := json.Marshal(rec)
		lines = append(lines, string(b))
	}
	path := filepath.Join(t.TempDir(), strings.TrimSuffix(prefix, "-")+".jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// sameScores says how many of the articles copied with prefix have the
// verdict, reason, text, overall and tier of the originals, of how many.
func sameScores(t *testing.T, lk, prefix string) string {
	t.Helper()
	return sqlOne(t, lk, `SELECT count(*) FILTER (WHERE a.passed = b.passed AND a.reason = b.reason
		AND a.text_sha256 IS NOT DISTINCT FROM b.text_sha256 AND a.tier IS NOT DISTINCT FROM b.tier
		AND coalesce(abs(a.overall - b.overall), 0) < 1e-9) || ' of ' || count(*)
		FROM uplifting.scores a JOIN uplifting.scores b ON b.id = '`+prefix+`' || a.id`)
}

// Score applies the package stored with the production model: editing the
// folder it was trained from changes nothing. A model trained before
// packages were stored scores only with --filter naming a package of its
// recorded sha256, and otherwise the error names that sha256.
func TestCLI_ScoreUsesTheStoredPackage(t *testing.T) {
	const minChars = "min_chars: 200"
	fdir := copyFilter(t, "filters/uplifting/v1", minChars, minChars)
	lk, models := productionLake(t, fdir)
	distill(t, 0, "--lake", lk, "score", "--filter", fdir)
	passed := sqlOne(t, lk, "SELECT count(*) FILTER (WHERE passed) FROM uplifting.scores")

	// Every article too short for the edited package.
	yaml := filepath.Join(fdir, "filter.yaml")
	orig, err := os.ReadFile(yaml)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(orig), minChars, "min_chars: 900000", 1)
	if err := os.WriteFile(yaml, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	distill(t, 0, "--lake", lk, "score", "--filter", fdir, copyArticles(t, 600, "again-"))
	if got := sameScores(t, lk, "again-"); got != "600 of 600" {
		t.Errorf("after the folder's edit, the same articles scored the same: %s (%s passed before)", got, passed)
	}

	// A model from before packages were stored with models.
	artifact := sqlOne(t, lk, "SELECT artifact FROM uplifting.models WHERE id = '"+models[0]+"'")
	if err := os.RemoveAll(filepath.Join(lk, artifact, "filter")); err != nil {
		t.Fatal(err)
	}
	sha := sqlOne(t, lk, "SELECT filter_sha256 FROM uplifting.models WHERE id = '"+models[0]+"'")
	third := copyArticles(t, 600, "third-")
	for _, args := range [][]string{{"--filter", fdir}, {"--all"}} {
		_, errOut := distill(t, 1, append([]string{"--lake", lk, "score"}, args...)...)
		if !strings.Contains(errOut, sha) {
			t.Errorf("score %v with no stored package and none of sha256 %s given: %s", args, sha, errOut)
		}
	}
	if err := os.WriteFile(yaml, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	distill(t, 0, "--lake", lk, "score", "--filter", fdir, third)
	if got := sameScores(t, lk, "third-"); got != "600 of 600" {
		t.Errorf("an old model with --filter of its sha256: %s the same", got)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
