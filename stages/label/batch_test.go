package label_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/stages/label"
	"github.com/distillery/distillery/stages/label/oracle"
)

// fakeBatchAPI speaks the Gemini Batch API: POST
// models/{model}:batchGenerateContent creates a job, GET batches/{id}
// reports it running once, then succeeded with inlined responses (the first
// request's answer is an error).
func fakeBatchAPI(t *testing.T, f *filters.Filter) (*httptest.Server, *int) {
	var mu sync.Mutex
	var metas []map[string]string
	gets, created := 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/v1beta/models/gemini-2.5-flash:batchGenerateContent"):
			var body struct {
				Batch struct {
					InputConfig struct {
						Requests struct {
							Requests []struct {
								Request  map[string]any    `json:"request"`
								Metadata map[string]string `json:"metadata"`
							} `json:"requests"`
						} `json:"requests"`
					} `json:"inputConfig"`
				} `json:"batch"`
			}
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
				t.Errorf("batch body: %v", err)
			}
			for _, q := range body.Batch.InputConfig.Requests.Requests {
				if q.Request["contents"] == nil || q.Metadata["key"] == "" {
					t.Errorf("inlined request without contents or key: %v", q)
				}
				metas = append(metas, q.Metadata)
			}
			created++
			fmt.Fprint(w, `{"name":"batches/job-1","metadata":{"@type":"type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch","model":"models/gemini-2.5-flash","state":"BATCH_STATE_PENDING"}}`)
		case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/v1beta/batches/job-1"):
			gets++
			if gets == 1 {
				fmt.Fprint(w, `{"name":"batches/job-1","metadata":{"state":"BATCH_STATE_RUNNING"}}`)
				return
			}
			var resps []string
			for i, m := range metas {
				mj, _ := json.Marshal(m)
				if i == 0 {
					resps = append(resps, fmt.Sprintf(`{"error":{"code":500,"message":"internal"},"metadata":%s}`, mj))
					continue
				}
				var parts []string
				for _, d := range f.Dimensions {
					parts = append(parts, fmt.Sprintf(`\"%s\": {\"score\": 4, \"evidence\": \"e\"}`, d.Name))
				}
				resps = append(resps, fmt.Sprintf(`{"response":{"candidates":[{"content":{"role":"model","parts":[{"text":"{%s}"}]}}],"usageMetadata":{"promptTokenCount":1000,"candidatesTokenCount":200}},"metadata":%s}`, strings.Join(parts, ", "), mj))
			}
			fmt.Fprintf(w, `{"name":"batches/job-1","metadata":{"state":"BATCH_STATE_SUCCEEDED","output":{"inlinedResponses":{"inlinedResponses":[%s]}}}}`, strings.Join(resps, ","))
		default:
			t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
			w.WriteHeader(404)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &created
}

func TestBatch_SubmitAndCollect(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithCompressed(t, 80)
	srv, created := fakeBatchAPI(t, f)
	t.Setenv("GEMINI_API_KEY", secret)
	g, err := oracle.NewGemini(ctx, "gemini-2.5-flash", srv.URL, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	n := passed(t, l, f)
	sub, err := label.SubmitBatch(ctx, l, label.Options{Filter: f, Oracle: g})
	if err != nil || sub.Job != "batches/job-1" || int64(sub.Requests) != n || *created != 1 {
		t.Fatalf("submit: %+v, %v", sub, err)
	}
	res, jobs, err := label.Collect(ctx, l, label.Options{Filter: f, Oracle: g})
	if err != nil || len(jobs) != 1 || jobs[0].State != "JOB_STATE_RUNNING" || res.RowsOut != 0 {
		t.Fatalf("collect while running: %+v %+v %v", res, jobs, err)
	}
	res, jobs, err = label.Collect(ctx, l, label.Options{Filter: f, Oracle: g})
	if err != nil || jobs[0].State != "JOB_STATE_SUCCEEDED" || res.Labeled != n-1 || res.Failed != 1 {
		t.Fatalf("collect: %+v %+v %v", res, jobs, err)
	}
	liveCost := (1000*0.30 + 200*2.50) / 1e6
	if d := res.Cost - float64(n-1)*liveCost*label.BatchDiscount; d > 1e-9 || d < -1e-9 {
		t.Errorf("batch cost %.6f, want half the live price", res.Cost)
	}
	res, jobs, err = label.Collect(ctx, l, label.Options{Filter: f, Oracle: g})
	if err != nil || len(jobs) != 0 || res.RowsOut != 0 {
		t.Errorf("collect again: %+v %+v %v", res, jobs, err)
	}
	if got := testutil.QueryInt(t, l, "SELECT count(*) FROM sustainability_tech_deployment.labels"); got != n-1 {
		t.Errorf("%d labels, want %d", got, n-1)
	}
	if got := testutil.QueryInt(t, l, "SELECT count(*) FROM sustainability_tech_deployment.oracle_calls WHERE status = 'failed' AND error_class = 'server_error'"); got != 1 {
		t.Errorf("%d failed batch calls recorded, want 1", got)
	}
	// The failed article gets a live call (or a new batch) next time; the rest are done.
	sub, err = label.SubmitBatch(ctx, l, label.Options{Filter: f, Oracle: g})
	if err != nil || sub.Requests != 1 {
		t.Errorf("resubmit: %+v, %v", sub, err)
	}
}
