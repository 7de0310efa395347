package lineage_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/inspect/lineage"
	"github.com/distillery/distillery/internal/sample"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/compress"
	"github.com/distillery/distillery/stages/label"
	"github.com/distillery/distillery/stages/label/oracle"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/stages/prefilter"
	"github.com/distillery/distillery/stages/split"
	"github.com/distillery/distillery/stages/train"
)

// pipelineLake runs the real stages, each as its own run: 20 sample
// articles ingested and prefiltered, then one more article (id solar)
// ingested and prefiltered, then compress and a keywords label of all.
// solar is therefore in corpus.raw@2 and prefiltered@2, compressed@1 and
// labels@1 (with labelBatch 0: one commit of every label).
// solar is the id of the article followed: it sorts among the sample's ids,
// so a labeler committing in small batches commits it in a middle batch.
const solar = "sample-00010-solar"

func pipelineLake(t *testing.T, labelBatch int) (*lake.Lake, *filters.Filter) {
	t.Helper()
	ctx := context.Background()
	l := testutil.NewLake(t)
	dir := t.TempDir()
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	step := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		l.RunID = lake.NewRunID() // each stage is a run of its own, as from the CLI
	}
	first := filepath.Join(dir, "sample.jsonl")
	fh, _ := os.Create(first)
	sample.Write(fh, 20, 7)
	fh.Close()
	_, err := ingest.Run(ctx, l, ingest.Options{Paths: []string{first}})
	step(err)
	_, err = prefilter.Run(ctx, l, prefilter.Options{Filter: f})
	step(err)
	second := filepath.Join(dir, "solar.jsonl")
	body := strings.Repeat("A 50 MW solar farm and a wind farm were commissioned and are in operation according to the grid operator. ", 8)
	os.WriteFile(second, []byte(`{"id":"`+solar+`","title":"Solar farm online","source":"wire","url":"https://example.com/s1","content":"`+body+`"}`+"\n"), 0o644)
	_, err = ingest.Run(ctx, l, ingest.Options{Paths: []string{second}})
	step(err)
	_, err = prefilter.Run(ctx, l, prefilter.Options{Filter: f})
	step(err)
	_, err = compress.Run(ctx, l, compress.Options{Filter: f})
	step(err)
	_, err = label.Run(ctx, l, label.Options{Filter: f, Oracle: oracle.NewKeywords(f), BatchSize: labelBatch, Concurrency: 1})
	step(err)
	return l, f
}

func TestRun_ArticleThroughThePipeline(t *testing.T) {
	l, f := pipelineLake(t, 0)
	ctx := context.Background()
	res, err := lineage.Run(ctx, l, lineage.Options{ID: solar})
	if err != nil {
		t.Fatal(err)
	}
	ns := f.Namespace()
	var order []string
	byTable := map[string]lineage.Table{}
	for _, tb := range res.Tables {
		order = append(order, tb.Table)
		byTable[tb.Table] = tb
	}
	want := []string{"corpus.raw", ns + ".prefiltered", ns + ".compressed", ns + ".labels", ns + ".oracle_calls"}
	if strings.Join(order, " ") != strings.Join(want, " ") {
		t.Fatalf("tables = %v, want %v", order, want)
	}
	for _, c := range []struct {
		table, stage string
		seq          int64
	}{{"corpus.raw", "ingest", 2}, {ns + ".prefiltered", "prefilter", 2}, {ns + ".compressed", "compress", 1}, {ns + ".labels", "label", 1}} {
		tb := byTable[c.table]
		if len(tb.Rows) != 1 {
			t.Errorf("%s: %d rows, want 1", c.table, len(tb.Rows))
			continue
		}
		r := tb.Rows[0]
		if r.Seq != c.seq || r.Stage != c.stage || r.SnapshotID == 0 || r.RunID == "" || r.Time == nil {
			t.Errorf("%s: added by @%d %s (snapshot %d, run %q), want @%d %s", c.table, r.Seq, r.Stage, r.SnapshotID, r.RunID, c.seq, c.stage)
		}
	}
	raw := byTable["corpus.raw"].Rows[0].Fields
	if raw.Get("title") != "Solar farm online" || raw.Get("source") != "wire" || !strings.HasSuffix(raw.Get("file:line").(string), "solar.jsonl:1") {
		t.Errorf("raw fields = %+v", raw)
	}
	if pre := byTable[ns+".prefiltered"].Rows[0].Fields; pre.Get("passed") != true || pre.Get("reason") != "passed" {
		t.Errorf("prefiltered fields = %+v", pre)
	}
	lbl := byTable[ns+".labels"].Rows[0].Fields
	for _, d := range f.Dimensions {
		if _, ok := lbl.Get(d.Name).(float64); !ok {
			t.Errorf("labels fields lack the score of %s: %+v", d.Name, lbl)
		}
	}
	if lbl.Get("oracle") != "keywords" || lbl.Get("tier") == nil || lbl.Get("prompt_sha256") == nil {
		t.Errorf("labels fields = %+v", lbl)
	}
	// The same article's rows name the runs that made them: raw and
	// prefiltered by different runs, labels and oracle_calls by one.
	if a, b := byTable["corpus.raw"].Rows[0].RunID, byTable[ns+".prefiltered"].Rows[0].RunID; a == b {
		t.Errorf("raw and prefiltered rows share run %s", a)
	}
	b, err := json.Marshal(res)
	if err != nil || !strings.Contains(string(b), `"fields":{"title":"Solar farm online","source":"wire"`) {
		t.Errorf("json = %s, %v", b, err)
	}

	// A blocked article stops at the prefilter: no compressed or label row.
	blocked := firstBlocked(t, l, ns)
	res, err = lineage.Run(ctx, l, lineage.Options{ID: blocked, Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range res.Tables {
		if n := len(tb.Rows); (tb.Table == ns+".compressed" || tb.Table == ns+".labels") && n != 0 || tb.Table == ns+".prefiltered" && n != 1 {
			t.Errorf("blocked article %s: %s has %d rows", blocked, tb.Table, n)
		}
	}
}

func firstBlocked(t *testing.T, l *lake.Lake, ns string) string {
	ids := testutil.QueryStrings(t, l, "SELECT id FROM "+ns+".prefiltered WHERE NOT passed ORDER BY id LIMIT 1")
	if len(ids) != 1 {
		t.Fatal("the sample has no blocked article")
	}
	return ids[0]
}

func TestRun_UnknownID(t *testing.T) {
	l, f := pipelineLake(t, 0)
	_, err := lineage.Run(context.Background(), l, lineage.Options{ID: "no-such-article"})
	if !errors.Is(err, lineage.ErrUnknownID) || !strings.Contains(err.Error(), `"no-such-article"`) || !strings.Contains(err.Error(), "corpus.raw") {
		t.Errorf("err = %v, want ErrUnknownID naming the id and the tables searched", err)
	}
	_, err = lineage.Run(context.Background(), l, lineage.Options{ID: solar, Namespace: "nope"})
	if !errors.Is(err, lake.ErrNoTable) {
		t.Errorf("unknown namespace: err = %v, want ErrNoTable", err)
	}
	if _, err := lineage.Run(context.Background(), l, lineage.Options{ID: solar, Namespace: f.Namespace()}); err != nil {
		t.Errorf("with the filter's namespace: %v", err)
	}
}

// A labeler run commits in batches: several snapshots carry its run id, and
// the row is credited to the first that holds it (not the run's first or last).
func TestRun_LabelBatches(t *testing.T) {
	l, f := pipelineLake(t, 2)
	ctx := context.Background()
	labels := spec.Labels.For(f)
	snaps, err := l.Snapshots(ctx, labels)
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) < 3 || snaps[0].RunID != snaps[len(snaps)-1].RunID {
		t.Fatalf("want several label snapshots of one run, got %d", len(snaps))
	}
	var want int64
	for _, s := range snaps {
		if testutil.QueryInt(t, l, fmt.Sprintf(`SELECT count(*) FROM "%s@%d" WHERE id = '%s'`, labels, s.Seq, solar)) > 0 {
			want = s.Seq
			break
		}
	}
	if want < 2 || want == snaps[len(snaps)-1].Seq {
		t.Fatalf("the article is in the first label batch that holds it at @%d: want one in the middle", want)
	}
	res, err := lineage.Run(ctx, l, lineage.Options{ID: solar, Namespace: f.Namespace()})
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range res.Tables {
		if tb.Table == labels.String() && (len(tb.Rows) != 1 || tb.Rows[0].Seq != want) {
			t.Errorf("labels rows = %+v, want one added by @%d", tb.Rows, want)
		}
	}
}

// A table whose rows are not about articles (models: one row per trained
// student, its id the model's) is no place an article stops: it is never
// listed as "(no row)". The models that predicted the article are listed
// instead, found through its predictions.
func TestRun_ModelsThroughPredictions(t *testing.T) {
	l, f := pipelineLake(t, 0)
	ctx := context.Background()
	if _, err := split.Run(ctx, l, split.Options{Filter: f}); err != nil {
		t.Fatal(err)
	}
	l.RunID = lake.NewRunID()
	tr, err := train.Run(ctx, l, train.Options{Filter: f, MinTrain: 1})
	if err != nil {
		t.Fatal(err)
	}
	l.RunID = lake.NewRunID()
	if _, err := predict.Run(ctx, l, predict.Options{Filter: f, Model: tr.Model.ID, Split: "all"}); err != nil {
		t.Fatal(err)
	}
	models := spec.Models.For(f).String()
	check := func(id string, wantModels int) {
		t.Helper()
		res, err := lineage.Run(ctx, l, lineage.Options{ID: id})
		if err != nil {
			t.Fatal(err)
		}
		var got *lineage.Table
		for i, tb := range res.Tables {
			if tb.Table == models {
				got = &res.Tables[i]
			}
		}
		switch {
		case wantModels == 0 && got != nil:
			t.Errorf("%s: models listed with %d rows, want not listed", id, len(got.Rows))
		case wantModels > 0 && (got == nil || len(got.Rows) != wantModels):
			t.Errorf("%s: models = %+v, want %d rows", id, got, wantModels)
		case got != nil && (got.Rows[0].Fields.Get("id") != tr.Model.ID || got.Rows[0].Stage != "train"):
			t.Errorf("%s: models row = %+v, want model %s added by train", id, got.Rows[0], tr.Model.ID)
		}
	}
	check(solar, 1)
	check(firstBlocked(t, l, f.Namespace()), 0)
}
