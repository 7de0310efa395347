package label_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/label"
	"github.com/distillery/distillery/stages/label/oracle"
)

// Both real shapes of the reference project's labels import.
func TestImport_ReferenceShapes(t *testing.T) {
	ctx := context.Background()
	root := testutil.RepoRoot(t)
	cases := []struct {
		filter, files string
		want          int64
	}{
		{"filters/uplifting/v1", "reference/llm-distillery/filters/uplifting/v4/validation_scored/uplifting/scored_batch_*.jsonl", 16},
		{"stages/label/testdata/ai_engineering_practice/v1", "reference/llm-distillery/filters/ai-engineering-practice/v1/calibration/ai-engineering-practice/scored_batch_*.jsonl", 100},
	}
	for _, tc := range cases {
		t.Run(filepath.Base(filepath.Dir(tc.filter)), func(t *testing.T) {
			l := testutil.NewLake(t)
			f, err := filters.Load(filepath.Join(root, tc.filter))
			if err != nil {
				t.Fatal(err)
			}
			files, _ := filepath.Glob(filepath.Join(testutil.Shared(t, "reference"), "..", tc.files))
			if len(files) == 0 {
				t.Fatalf("no files match %s", tc.files)
			}
			res, err := label.Import(ctx, l, f, files)
			if err != nil {
				t.Fatal(err)
			}
			if res.RowsOut != tc.want || res.Rejected != 0 || res.NewArticles != tc.want {
				t.Fatalf("import: %+v", res)
			}
			ns := f.Namespace()
			if got := testutil.QueryInt(t, l, "SELECT count(*) FROM "+ns+".labels l JOIN corpus.raw r USING (id) WHERE l.imported AND l.oracle = 'import' AND l.tier IS NOT NULL"); got != tc.want {
				t.Errorf("%d imported labels joined to their articles, want %d", got, tc.want)
			}
			dim := f.Dimensions[0].Name
			if got := testutil.QueryInt(t, l, "SELECT count(*) FROM "+ns+".labels WHERE "+dim+"_evidence IS NOT NULL AND "+dim+" BETWEEN 0 AND 10"); got != tc.want {
				t.Errorf("%d rows with a %s score and evidence", got, dim)
			}
			again, err := label.Import(ctx, l, f, files)
			if err != nil || again.RowsOut != 0 || again.Duplicates != tc.want {
				t.Errorf("re-import: %+v, %v", again, err)
			}
		})
	}
}

// Four imports of one file at once, through separate lake handles (separate
// locks), add each label once.
func TestImport_FourAtOnce(t *testing.T) {
	ctx := context.Background()
	f := testutil.Filter(t, "stages/label/testdata/ai_engineering_practice/v1")
	files, _ := filepath.Glob(filepath.Join(testutil.Shared(t, "reference"), "llm-distillery/filters/ai-engineering-practice/v1/calibration/ai-engineering-practice/scored_batch_*.jsonl"))
	if len(files) == 0 {
		t.Fatal("no reference labels")
	}
	l := testutil.NewLake(t)
	// Both read the (empty) set of imported pairs, then append, unless they
	// take turns.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		h, err := lake.Open(ctx, l.Root)
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = label.Import(ctx, h, f, files)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	ns := f.Namespace()
	if got := testutil.QueryInt(t, l, "SELECT count(*) FROM "+ns+".labels"); got != 100 {
		t.Errorf("%d labels after four imports at once of 100, want 100", got)
	}
}

// label and `label import` write one table and take one lock for it: a
// labeling run is refused (ErrBusy, naming the holder) while an import
// holds the labels table, and an import waits while a labeling run does.
func TestRun_OneLockWithImport(t *testing.T) {
	ctx := context.Background()
	l := testutil.NewLake(t)
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	other, err := lake.Open(ctx, l.Root)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	held, err := other.LockTable(ctx, spec.Labels.For(f), "label import", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = label.Run(ctx, l, label.Options{Filter: f, Oracle: oracle.NewKeywords(f)})
	if !errors.Is(err, label.ErrBusy) || !strings.Contains(err.Error(), "label import") {
		t.Errorf("label while an import holds %s: %v; want ErrBusy naming the import", spec.Labels.For(f), err)
	}
	held.Unlock()

	running, err := other.TryLockTable(spec.Labels.For(f), "label")
	if err != nil {
		t.Fatal(err)
	}
	told := make(chan string, 1)
	waited, cancel := context.WithCancel(ctx)
	go func() {
		k, err := l.LockTable(waited, spec.Labels.For(f), "label import", func(msg string) { told <- msg })
		if err == nil {
			k.Unlock()
		}
	}()
	if msg := <-told; !strings.Contains(msg, "label import: waiting") || !strings.Contains(msg, "label") {
		t.Errorf("an import while label runs: %q", msg)
	}
	cancel()
	running.Unlock()
}

// aiValidation is the reference project's validation sample for its
// ai-engineering-practice filter: 43 records (one id twice, with the same
// analysis) whose per-dimension {"score", "evidence"} objects sit under
// "dimensions", beside the article's fields.
const aiValidation = "reference/llm-distillery/filters/ai-engineering-practice/v1/validation_sample.jsonl"

// rewrite writes a copy of a real JSONL file with each record changed by
// edit, and returns its path. Values edit leaves alone keep their bytes.
func rewrite(t *testing.T, src string, edit func(i int, rec map[string]json.RawMessage)) string {
	t.Helper()
	var out bytes.Buffer
	for i, line := range strings.Split(strings.TrimSpace(readFile(t, src)), "\n") {
		var rec map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		edit(i, rec)
		out.WriteString(rawObject(rec) + "\n")
	}
	p := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.WriteFile(p, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// rawObject writes an object whose values are kept as they are.
func rawObject(m map[string]json.RawMessage) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, strconv.Quote(k)+": "+string(m[k]))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// --key names the analysis and --dim a path inside it: a score read from
// a dotted path leaves its sibling evidence in extra, and the same analysis
// under another mapping is another label.
func TestImport_KeyAndDims(t *testing.T) {
	ctx := context.Background()
	f := testutil.Filter(t, "stages/label/testdata/ai_engineering_practice/v1")
	src := testutil.Shared(t, aiValidation)
	l := testutil.NewLake(t)
	res, err := label.ImportWith(ctx, l, label.ImportOptions{Filter: f, Paths: []string{src}, Key: "dimensions"})
	if err != nil {
		t.Fatal(err)
	}
	if res.RowsIn != 43 || res.RowsOut != 42 || res.Duplicates != 1 || res.Rejected != 0 {
		t.Fatalf("--key dimensions: %+v", res)
	}
	// Every field of the analysis has a column: nothing is left for extra.
	if got := testutil.QueryInt(t, l, "SELECT count(*) FROM ai_engineering_practice.labels WHERE extra IS NULL AND practitioner_voice_evidence <> '' AND model = 'unknown' AND oracle = 'import'"); got != 42 {
		t.Errorf("%d of 42 labels with evidence, no extra, model unknown", got)
	}

	res, err = label.ImportWith(ctx, l, label.ImportOptions{Filter: f, Paths: []string{src}, Key: "dimensions",
		Dims: []string{"practitioner_voice=practitioner_voice.score", "workflow_detail"}})
	if err != nil || res.RowsOut != 42 || res.Duplicates != 1 {
		t.Fatalf("the same analysis under another mapping: %+v, %v", res, err)
	}
	want := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(readFile(t, src)), "\n") {
		var rec struct {
			ID         string
			Dimensions map[string]struct {
				Score    float64
				Evidence string
			}
		}
		json.Unmarshal([]byte(line), &rec)
		pv, wd := rec.Dimensions["practitioner_voice"], rec.Dimensions["workflow_detail"]
		ev, _ := json.Marshal(map[string]any{"practitioner_voice": map[string]string{"evidence": pv.Evidence}})
		want[rec.ID] = fmt.Sprintf("%s|%.1f|%.1f|%s|%s", rec.ID, pv.Score, wd.Score, wd.Evidence, ev)
	}
	got := testutil.QueryStrings(t, l, `SELECT concat_ws('|', id, practitioner_voice, workflow_detail, workflow_detail_evidence, extra)
		FROM ai_engineering_practice.labels WHERE practitioner_voice_evidence IS NULL ORDER BY id`)
	if len(got) != 42 {
		t.Fatalf("%d labels of the --dim mapping, want 42", len(got))
	}
	for _, g := range got {
		if id, _, _ := strings.Cut(g, "|"); g != want[id] {
			t.Errorf("label read back:\n got %s\nwant %s", g, want[id])
		}
	}
	if n := testutil.QueryInt(t, l, "SELECT count(*) FROM corpus.raw"); n != 42 {
		t.Errorf("%d articles in corpus.raw, want 42", n)
	}
}

// What an analysis holds beyond the columns is kept, compact with sorted
// keys, in extra: the uplifting labels' key_markers and filter_name, not
// their reasoning (the evidence of every dimension, which has none of its
// own), nor analyzed_by (the model) or analyzed_at (labeled_at).
func TestImport_ExtraKeepsUnmapped(t *testing.T) {
	ctx := context.Background()
	f := testutil.Filter(t, "filters/uplifting/v1")
	src := testutil.Shared(t, "reference/llm-distillery/filters/uplifting/v4/validation_scored/uplifting/scored_batch_001.jsonl")
	l := testutil.NewLake(t)
	if res, err := label.Import(ctx, l, f, []string{src}); err != nil || res.RowsOut != 16 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	var want []string
	for _, line := range strings.Split(strings.TrimSpace(readFile(t, src)), "\n") {
		var rec struct {
			ID       string
			Analysis struct {
				KeyMarkers []string `json:"key_markers"`
				FilterName string   `json:"filter_name"`
			} `json:"uplifting_analysis"`
		}
		json.Unmarshal([]byte(line), &rec)
		markers, _ := json.Marshal(rec.Analysis.KeyMarkers)
		want = append(want, fmt.Sprintf(`%s|{"filter_name":%q,"key_markers":%s}`, rec.ID, rec.Analysis.FilterName, markers))
	}
	slices.Sort(want)
	got := testutil.QueryStrings(t, l, "SELECT id || '|' || extra FROM uplifting.labels ORDER BY id")
	if !slices.Equal(got, want) {
		t.Errorf("extra:\n got %q\nwant %q", got, want)
	}
	if n := testutil.QueryInt(t, l, "SELECT count(*) FROM uplifting.labels WHERE agency_evidence LIKE '(overall reasoning) %' AND model <> 'unknown' AND year(labeled_at) = 2025"); n != 16 {
		t.Errorf("%d of 16 labels with the reasoning as evidence, analyzed_by as model, analyzed_at as labeled_at", n)
	}

	// A dotted --key reaches the same analysis nested deeper: the same labels
	// (the same cache keys: re-importing adds nothing), and the record's
	// article holds no trace of it.
	nested := rewrite(t, src, func(_ int, rec map[string]json.RawMessage) {
		rec["review"] = json.RawMessage(rawObject(map[string]json.RawMessage{"round1": rec["uplifting_analysis"]}))
		delete(rec, "uplifting_analysis")
	})
	other := testutil.NewLake(t)
	res, err := label.ImportWith(ctx, other, label.ImportOptions{Filter: f, Paths: []string{nested}, Key: "review.round1"})
	if err != nil || res.RowsOut != 16 {
		t.Fatalf("--key review.round1: %+v, %v", res, err)
	}
	q := "SELECT concat_ws('|', id, agency, wonder, overall, tier, agency_evidence, content_type, model, labeled_at, cache_key, extra) FROM uplifting.labels ORDER BY id"
	if a, b := testutil.QueryStrings(t, l, q), testutil.QueryStrings(t, other, q); !slices.Equal(a, b) {
		t.Errorf("nested analysis imported as:\n%q\nthe top-level one as:\n%q", b, a)
	}
	if n := testutil.QueryInt(t, other, "SELECT count(*) FROM corpus.raw WHERE extra LIKE '%review%' OR extra LIKE '%round1%'"); n != 0 {
		t.Errorf("%d articles keep the nested analysis in corpus.raw", n)
	}
	if again, err := label.ImportWith(ctx, l, label.ImportOptions{Filter: f, Paths: []string{nested}, Key: "review.round1"}); err != nil || again.RowsOut != 0 || again.Duplicates != 16 {
		t.Errorf("the nested copy into the first lake: %+v, %v", again, err)
	}
}

// --oracle and --model name the labels and make them other labels than the
// same analysis imported before; a person's review still holding nulls is
// rejected, naming what is unjudged, never imported as 0.
func TestImport_OracleModelAndUnjudged(t *testing.T) {
	ctx := context.Background()
	f := testutil.Filter(t, "filters/uplifting/v1")
	src := testutil.Shared(t, "reference/llm-distillery/filters/uplifting/v4/validation_scored/uplifting/scored_batch_001.jsonl")
	l := testutil.NewLake(t)
	if _, err := label.Import(ctx, l, f, []string{src}); err != nil {
		t.Fatal(err)
	}
	// The odd records are judged; the even ones keep nulls (all of them, or
	// agency and wonder alone).
	review := rewrite(t, src, func(i int, rec map[string]json.RawMessage) {
		var a map[string]any
		json.Unmarshal(rec["uplifting_analysis"], &a)
		delete(rec, "uplifting_analysis")
		h := map[string]any{"reasoning": ""}
		for _, d := range f.Dimensions {
			switch {
			case i%2 == 1:
				h[d.Name] = map[string]any{"score": a[d.Name], "evidence": "checked by hand"}
			case i%4 == 0 || d.Name == "agency" || d.Name == "wonder":
				h[d.Name] = nil
			default:
				h[d.Name] = map[string]any{"score": a[d.Name], "evidence": "", "confidence": "low"}
			}
		}
		rec["human_analysis"], _ = json.Marshal(h)
	})
	opts := label.ImportOptions{Filter: f, Paths: []string{review}, Key: "human_analysis", Oracle: "human", Model: "alice"}
	res, err := label.ImportWith(ctx, l, opts)
	if err != nil || res.RowsOut != 8 || res.Rejected != 8 || res.Unjudged != 8 || res.NewArticles != 0 || res.ByModel["alice"] != 8 {
		t.Fatalf("half-judged review: %+v, %v", res, err)
	}
	if p := res.Problems[0]; !strings.HasPrefix(p, review+":1: ") || !strings.Contains(p, "not judged yet: "+strings.Join(f.DimensionNames(), ", ")) {
		t.Errorf("first problem: %q", p)
	}
	if p := res.Problems[1]; !strings.HasPrefix(p, review+":3: ") || !strings.HasSuffix(p, "not judged yet: agency, wonder still null") {
		t.Errorf("second problem: %q", p)
	}
	if n := testutil.QueryInt(t, l, `SELECT count(*) FROM uplifting.labels h JOIN uplifting.labels i USING (id)
		WHERE h.oracle = 'human' AND h.model = 'alice' AND h.imported AND i.oracle = 'import'
		AND h.agency = i.agency AND h.wonder = i.wonder AND h.overall = i.overall AND h.agency_evidence = 'checked by hand' AND h.extra IS NULL`); n != 8 {
		t.Errorf("%d of 8 human labels with the judged scores", n)
	}
	if again, err := label.ImportWith(ctx, l, opts); err != nil || again.RowsOut != 0 || again.Duplicates != 8 {
		t.Errorf("re-import: %+v, %v", again, err)
	}
	opts.Model = "bob"
	if bob, err := label.ImportWith(ctx, l, opts); err != nil || bob.RowsOut != 8 {
		t.Errorf("the same review as bob's: %+v, %v", bob, err)
	}
}

// Bad options fail before any file is read; bad records are rejected
// naming file:line, the id and the field.
func TestImport_Errors(t *testing.T) {
	ctx := context.Background()
	f := testutil.Filter(t, "stages/label/testdata/ai_engineering_practice/v1")
	src := testutil.Shared(t, aiValidation)
	for _, tc := range []struct{ dim, want string }{
		{"dimensions.relevance", `no dimension "relevance" (its dimensions: workflow_detail, validation_coverage, methodological_rigor, practitioner_voice, educational_applicability)`},
		{"rigor=dimensions.methodological_rigor", `no dimension "rigor"`},
		{"workflow_detail=a..b", "empty segment"},
	} {
		_, err := label.ImportWith(ctx, testutil.NewLake(t), label.ImportOptions{Filter: f, Paths: []string{"/no/such/file.jsonl"}, Dims: []string{tc.dim}})
		if !errors.Is(err, label.ErrOptions) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--dim %s: %v, want ErrOptions saying %q", tc.dim, err, tc.want)
		}
	}
	// An oracle is one word: agree names it with its model, KIND/MODEL.
	for _, o := range []string{"human/alice", "human alice"} {
		_, err := label.ImportWith(ctx, testutil.NewLake(t), label.ImportOptions{Filter: f, Paths: []string{src}, Oracle: o})
		if !errors.Is(err, label.ErrOptions) || !strings.Contains(err.Error(), "--model") {
			t.Errorf("--oracle %q: %v", o, err)
		}
	}
	for _, tc := range []struct {
		name, key string
		dims      []string
		want      string
	}{
		{"key missing", "analysis.dimensions", nil, src + `:1: science_mdpi_sustainability_db70d8033d9a: no analysis.dimensions in the record`},
		{"dim path missing", "dimensions", []string{"workflow_detail=workflow_detail.value"}, src + `:1: science_mdpi_sustainability_db70d8033d9a: dimension workflow_detail: no workflow_detail.value in dimensions`},
		{"dim not a number", "dimensions", []string{"workflow_detail=workflow_detail.evidence"}, src + `:1: science_mdpi_sustainability_db70d8033d9a: dimension workflow_detail (dimensions.workflow_detail.evidence): "The paper discusses the workflow of usin…" is not a number`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := testutil.NewLake(t)
			res, err := label.ImportWith(ctx, l, label.ImportOptions{Filter: f, Paths: []string{src}, Key: tc.key, Dims: tc.dims})
			if !errors.Is(err, label.ErrAllRejected) || res.Rejected != 43 || !strings.HasPrefix(res.Problems[0], tc.want) {
				t.Fatalf("err %v, %d rejected, first problem %q; want it to start %q", err, res.Rejected, res.Problems, tc.want)
			}
			if res.NewArticles != 0 {
				t.Errorf("%d articles ingested from rejected records", res.NewArticles)
			}
		})
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
