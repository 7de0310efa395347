package label_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
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

// promptOf is the prompt text of a Gemini request body.
func promptOf(body map[string]any) string {
	contents, _ := body["contents"].([]any)
	var b strings.Builder
	for _, c := range contents {
		parts, _ := c.(map[string]any)["parts"].([]any)
		for _, p := range parts {
			s, _ := p.(map[string]any)["text"].(string)
			b.WriteString(s)
		}
	}
	return b.String()
}

// Evidence modes: full is today's prompt and schema (today's keys, so a
// rerun asks nothing); none sends a schema without evidence, asks for
// scores only in the prompt and takes answers with no evidence; short adds
// one line capping the evidence. Each mode is a key of its own, asked once;
// the labels record the mode.
func TestRun_EvidenceModes(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithCompressed(t, 40)
	rec := newRecorder(t, f)
	flash := geminiModel(t, rec.URL, "gemini-2.5-flash")
	m := passed(t, l, f)
	labels := spec.Labels.For(f).String()
	for _, tc := range []struct {
		evidence string
		calls    int64
		schema   bool   // the schema asks for evidence
		note     string // the prompt ends with ("" for the filter's prompt as it is)
	}{
		{"", m, true, ""},
		{filters.EvidenceNone, m, false, "Answer with scores only: for every dimension an object with its \"score\" and no \"evidence\".\n"},
		{filters.EvidenceNone, 0, false, ""},
		{filters.EvidenceShort, m, true, fmt.Sprintf("Keep each dimension's \"evidence\" to at most %d words.\n", label.ShortEvidenceWords)},
		{filters.EvidenceFull, 0, true, ""},
	} {
		res, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: flash, Evidence: tc.evidence})
		bodies := rec.take()
		if err != nil || int64(len(bodies)) != tc.calls || res.Failed != 0 {
			t.Fatalf("evidence %q: %d calls, want %d (%+v, %v)", tc.evidence, len(bodies), tc.calls, res, err)
		}
		for _, b := range bodies {
			p := promptOf(b)
			if schemaHasEvidence(b) != tc.schema {
				t.Errorf("evidence %q: the schema asks for evidence: %v, want %v", tc.evidence, !tc.schema, tc.schema)
			}
			if tc.note == "" && (strings.Contains(p, "scores only") || strings.Contains(p, "at most")) || tc.note != "" && !strings.HasSuffix(p, "\n\n"+tc.note) {
				t.Errorf("evidence %q: the prompt ends %q, want %q", tc.evidence, p[max(0, len(p)-120):], tc.note)
			}
			break
		}
	}
	byMode := testutil.QueryStrings(t, l, "SELECT evidence_mode || ':' || count(*) || ':' || count("+f.Dimensions[0].Name+"_evidence) || ':' || count("+f.Dimensions[0].Name+") FROM "+labels+" GROUP BY evidence_mode ORDER BY evidence_mode")
	if want := []string{fmt.Sprintf("full:%d:%d:%d", m, m, m), fmt.Sprintf("none:%d:0:%d", m, m), fmt.Sprintf("short:%d:%d:%d", m, m, m)}; !slices.Equal(byMode, want) {
		t.Errorf("labels by evidence mode (rows, evidence, scores) %v, want %v", byMode, want)
	}
	// Full is today's key; the others are not.
	checkFullKeys(t, l, f, flash)
}

// checkFullKeys checks that orc's labels of evidence full have today's
// CacheKey and the others another key.
func checkFullKeys(t *testing.T, l *lake.Lake, f *filters.Filter, orc oracle.Oracle) {
	t.Helper()
	schema, _ := json.Marshal(oracle.ResponseSchema(f))
	text := compressedTexts(t, l, f)
	rows := testutil.QueryStrings(t, l, fmt.Sprintf("SELECT id || chr(0) || evidence_mode || chr(0) || cache_key FROM %s WHERE model = '%s'", spec.Labels.For(f), orc.Model()))
	for _, s := range rows {
		parts := strings.Split(s, "\x00")
		today := label.CacheKey(orc.Kind(), orc.Model(), f.RenderPrompt(text[parts[0]]), schema, f.Oracle.Temperature, f.Oracle.MaxOutputTokens)
		if (parts[1] == filters.EvidenceFull) != (parts[2] == today) {
			t.Fatalf("%s evidence %s: key %s, today's %s: want the same under full only", parts[0], parts[1], parts[2], today)
		}
	}
}

// A batch job is made with the run's settings (the thinking budget in each
// request's config, the schema of the evidence mode) and its labels record
// them when collected.
func TestBatch_Settings(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithCompressed(t, 30)
	var mu sync.Mutex
	var reqs []map[string]any
	var metas []json.RawMessage
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost {
			var body struct {
				Batch struct {
					InputConfig struct {
						Requests struct {
							Requests []struct {
								Request  map[string]any  `json:"request"`
								Metadata json.RawMessage `json:"metadata"`
							} `json:"requests"`
						} `json:"requests"`
					} `json:"inputConfig"`
				} `json:"batch"`
			}
			json.NewDecoder(r.Body).Decode(&body)
			for _, q := range body.Batch.InputConfig.Requests.Requests {
				reqs, metas = append(reqs, q.Request), append(metas, q.Metadata)
			}
			fmt.Fprint(w, `{"name":"batches/job-1","metadata":{"state":"BATCH_STATE_PENDING"}}`)
			return
		}
		var resps []string
		for i, m := range metas {
			text, _ := json.Marshal(answer(f, i, false))
			resps = append(resps, fmt.Sprintf(`{"response":{"candidates":[{"content":{"role":"model","parts":[{"text":%s}]}}],"usageMetadata":{"promptTokenCount":1000,"candidatesTokenCount":50}},"metadata":%s}`, text, m))
		}
		fmt.Fprintf(w, `{"name":"batches/job-1","metadata":{"state":"BATCH_STATE_SUCCEEDED","output":{"inlinedResponses":{"inlinedResponses":[%s]}}}}`, strings.Join(resps, ","))
	}))
	t.Cleanup(srv.Close)
	g := geminiModel(t, srv.URL, "gemini-2.5-flash")
	opts := label.Options{Filter: f, Oracle: g, Evidence: filters.EvidenceNone, ThinkingBudget: ptr(512)}
	sub, err := label.SubmitBatch(ctx, l, opts)
	if n := passed(t, l, f); err != nil || int64(sub.Requests) != n {
		t.Fatalf("submit: %+v, %v", sub, err)
	}
	for _, q := range reqs {
		if b, ok := thinkingBudgetOf(q); !ok || b != 512 || schemaHasEvidence(q) {
			t.Fatalf("batch request config %v: want thinkingBudget 512 and no evidence in the schema", q["generationConfig"])
		}
	}
	res, _, err := label.Collect(ctx, l, label.Options{Filter: f, Oracle: g})
	if err != nil || res.Labeled != int64(sub.Requests) {
		t.Fatalf("collect: %+v, %v", res, err)
	}
	rows := testutil.QueryStrings(t, l, "SELECT DISTINCT thinking_budget || '/' || evidence_mode FROM "+spec.Labels.For(f).String())
	if !slices.Equal(rows, []string{"512/none"}) {
		t.Errorf("collected labels record %v, want 512/none", rows)
	}
	if again, err := label.Run(ctx, l, opts); err != nil || again.Calls != 0 || again.AlreadyDone != int64(sub.Requests) {
		t.Errorf("a live run with the batch's settings: %+v, %v: want it all done", again, err)
	}
}
