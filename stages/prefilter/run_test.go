package prefilter_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/prefilter"
)

func load(t testing.TB, rel string) *filters.Filter {
	t.Helper()
	f, err := filters.Load(filepath.Join(testutil.RepoRoot(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

const stdv1 = "filters/sustainability_tech_deployment/v1"

func ingestPaths(t *testing.T, l *lake.Lake, paths ...string) {
	t.Helper()
	if _, err := ingest.Run(context.Background(), l, ingest.Options{Paths: paths}); err != nil {
		t.Fatal(err)
	}
}

// The two shipped filters on the real corpora: plausible pass rates.
func TestRun_RealCorpora(t *testing.T) {
	ctx := context.Background()
	l := testutil.NewLake(t)
	ingestPaths(t, l, testutil.Shared(t, "corpus/ai-tech-articles/ai-tech-articles.sample.jsonl.gz"),
		testutil.Shared(t, "corpus/bbc-fulltext/bbc"), testutil.Shared(t, "corpus/ag_news/test.csv"))
	for _, rel := range []string{stdv1, "filters/uplifting/v1"} {
		f := load(t, rel)
		res, err := prefilter.Run(ctx, l, prefilter.Options{Filter: f})
		if err != nil {
			t.Fatal(err)
		}
		if res.RowsIn != 14856 || res.Passed+res.Blocked != res.RowsIn || res.Mode != "full" {
			t.Errorf("%s: %+v", rel, res)
		}
	}
	share := func(ns, where string) float64 {
		q := "SELECT avg(p.passed::int)*100 FROM " + ns + ".prefiltered p JOIN corpus.raw r USING (id) WHERE " + where
		s, _ := l.Session(ctx, "")
		defer s.Close()
		var v float64
		if err := s.QueryRow(ctx, q, &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if got := share("sustainability_tech_deployment", "dataset LIKE 'ai-tech%'"); got < 3 || got > 18 {
		t.Errorf("sustainability pass rate on ai-tech = %.1f%%, want a plausible 3-18%%", got)
	}
	if got := share("sustainability_tech_deployment", "file LIKE '%/sport/%'"); got > 0.5 {
		t.Errorf("sustainability pass rate on BBC sport = %.1f%%, want almost nothing", got)
	}
	if got := share("uplifting", "dataset = 'bbc'"); got < 1 {
		t.Errorf("uplifting passes %.1f%% of BBC: nothing is hard-wired to the first filter?", got)
	}
	if n := testutil.QueryInt(t, l, `SELECT count(*) FROM sustainability_tech_deployment.prefiltered WHERE reason LIKE 'too_short:%' AND rule = 'min_chars'`); n == 0 {
		t.Error("AG News leads (about 200 characters) should be too short")
	}
}

func TestRun_IncrementalAndRulesChange(t *testing.T) {
	ctx := context.Background()
	l := testutil.NewLake(t)
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	art := func(id, title string) string {
		return `{"id":"` + id + `","title":"` + title + `","content":"` + strings.Repeat("A solar plant and a wind farm were commissioned. ", 10) + `"}` + "\n"
	}
	ingestPaths(t, l, write("a.jsonl", art("a1", "One")+art("a2", "Two")))
	pkg := filepath.Join(dir, "stdv", "v1")
	os.MkdirAll(pkg, 0o755)
	src := filepath.Join(testutil.RepoRoot(t), stdv1)
	for _, name := range []string{"filter.yaml", "prompt.md", "README.md"} {
		b, _ := os.ReadFile(filepath.Join(src, name))
		os.WriteFile(filepath.Join(pkg, name), b, 0o644)
	}
	f, err := filters.Load(pkg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := prefilter.Run(ctx, l, prefilter.Options{Filter: f})
	if err != nil || res.RowsIn != 2 || res.Passed != 2 {
		t.Fatalf("first run: %+v, %v", res, err)
	}
	res, _ = prefilter.Run(ctx, l, prefilter.Options{Filter: f})
	if res.RowsIn != 2 || res.RowsOut != 0 || res.AlreadyDecided != 2 || res.Mode != "none" {
		t.Errorf("rerun decided again: %+v", res)
	}
	ingestPaths(t, l, write("b.jsonl", art("b1", "Three")))
	res, _ = prefilter.Run(ctx, l, prefilter.Options{Filter: f})
	if res.RowsIn != 3 || res.RowsOut != 1 || res.AlreadyDecided != 2 || res.Mode != "incremental" {
		t.Errorf("after adding one article: %+v", res)
	}
	// Editing the rules re-decides everything, replacing the table; the old
	// decisions stay readable by time travel.
	b, _ := os.ReadFile(filepath.Join(pkg, "filter.yaml"))
	os.WriteFile(filepath.Join(pkg, "filter.yaml"), []byte(strings.Replace(string(b), "min_chars: 300", "min_chars: 5000", 1)), 0o644)
	edited, err := filters.Load(pkg)
	if err != nil {
		t.Fatal(err)
	}
	what, err := prefilter.WhatIf(ctx, l, f, edited, lake.Ref{})
	if err != nil || what.ToBlocked != 3 || what.ToPassed != 0 || what.Reasons[0].Reason != "too_short" {
		t.Errorf("what-if: %+v, %v", what, err)
	}
	if n := testutil.QueryInt(t, l, `SELECT count(*) FROM sustainability_tech_deployment.prefiltered WHERE passed`); n != 3 {
		t.Errorf("what-if wrote: %d passed rows", n)
	}
	res, _ = prefilter.Run(ctx, l, prefilter.Options{Filter: edited})
	if res.RowsIn != 3 || res.RowsOut != 3 || res.AlreadyDecided != 0 || res.Mode != "full" || res.Passed != 0 {
		t.Errorf("after editing the rules: %+v", res)
	}
	if n := testutil.QueryInt(t, l, `SELECT count(*) FROM sustainability_tech_deployment.prefiltered`); n != 3 {
		t.Errorf("table has %d rows, want one per article", n)
	}
	if n := testutil.QueryInt(t, l, `SELECT count(*) FROM "sustainability_tech_deployment.prefiltered@2" WHERE passed`); n != 3 {
		t.Errorf("old decisions by time travel: %d passed, want 3", n)
	}
	snaps, _ := l.Snapshots(ctx, spec.Prefiltered.For(f))
	if last := snaps[len(snaps)-1]; last.Filter != edited.Ref() || last.Operation != "overwrite" || !strings.Contains(last.Inputs, "corpus.raw@2") {
		t.Errorf("last snapshot = %+v", last)
	}
}
