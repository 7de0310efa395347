package label_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/internal/sample"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/compress"
	"github.com/distillery/distillery/stages/label"
	"github.com/distillery/distillery/stages/label/oracle"
	"github.com/distillery/distillery/stages/prefilter"
)

// lakeWithSharedTexts builds a lake whose n demo articles each appear twice,
// as a-<id> and b-<id> with the same title and content: every compressed
// text (so every rendered prompt and cache key) belongs to two articles, and
// ordered by id every a- article comes before its b- twin.
func lakeWithSharedTexts(t testing.TB, n int) (*lake.Lake, *filters.Filter) {
	t.Helper()
	ctx := context.Background()
	l := testutil.NewLake(t)
	var buf bytes.Buffer
	sample.Write(&buf, n, 11)
	var out bytes.Buffer
	sc := bufio.NewScanner(&buf)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		id := rec["id"].(string)
		for _, p := range []string{"a-", "b-"} {
			rec["id"] = p + id
			b, _ := json.Marshal(rec)
			out.Write(append(b, '\n'))
		}
	}
	p := filepath.Join(t.TempDir(), "twins.jsonl")
	if err := os.WriteFile(p, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Run(ctx, l, ingest.Options{Paths: []string{p}}); err != nil {
		t.Fatal(err)
	}
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	if _, err := prefilter.Run(ctx, l, prefilter.Options{Filter: f}); err != nil {
		t.Fatal(err)
	}
	if _, err := compress.Run(ctx, l, compress.Options{Filter: f}); err != nil {
		t.Fatal(err)
	}
	return l, f
}

// Articles that share a rendered prompt share one answer: a run asks once
// per prompt and labels every article with it.
func TestRun_SharedPromptAskedOnce(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithSharedTexts(t, 40)
	n := passed(t, l, f)
	keys := testutil.QueryInt(t, l, "SELECT count(DISTINCT text) FROM "+spec.Compressed.For(f).String())
	if keys*2 != n {
		t.Fatalf("%d compressed articles, %d distinct texts: the test needs every text twice", n, keys)
	}
	srv, calls := fakeGemini(t, f, nil)
	res, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: gemini(t, srv.URL), Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != keys || res.Labeled != keys || res.Shared != keys || res.RowsOut != n || res.Committed != n {
		t.Errorf("%d requests for %d prompts; result %+v", calls.Load(), keys, res)
	}
	if got := testutil.QueryInt(t, l, "SELECT count(DISTINCT id) FROM sustainability_tech_deployment.labels"); got != n {
		t.Errorf("%d articles labeled, want %d", got, n)
	}
	again, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: gemini(t, srv.URL)})
	if err != nil || again.AlreadyDone != n || again.RowsOut != 0 || calls.Load() != keys {
		t.Errorf("rerun: %+v, %v, %d requests", again, err, calls.Load())
	}
}

// kill -9 a run whose articles share prompts in pairs, after some answers are
// journaled: the resumed run labels every article (the twins of journaled
// answers from the cache, with no call), asks for no prompt twice, and a
// third run finds every article done.
func TestRun_KillNineSharedPrompts(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithSharedTexts(t, 60)
	n := passed(t, l, f)
	keys := testutil.QueryInt(t, l, "SELECT count(DISTINCT text) FROM "+spec.Compressed.For(f).String())
	srv, calls := slowGemini(t, f, 30*time.Millisecond)
	t.Setenv("GEMINI_API_KEY", secret)
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), "LABEL_CHILD=1", "LABEL_LAKE="+l.Root, "LABEL_URL="+srv.URL,
		"LABEL_FILTER="+filepath.Join(testutil.RepoRoot(t), "filters/sustainability_tech_deployment/v1"))
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if got, _ := journaled(l, f); got >= 10 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	child.Process.Signal(syscall.SIGKILL)
	child.Wait()
	inJournal, _ := journaled(l, f)
	if inJournal < 10 || int64(inJournal) >= keys {
		t.Fatalf("%d journal lines at the kill (of %d prompts)", inJournal, keys)
	}
	askedBefore := calls.Load()
	res, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: gemini(t, srv.URL)})
	if err != nil {
		t.Fatal(err)
	}
	if got := testutil.QueryInt(t, l, "SELECT count(DISTINCT id) FROM sustainability_tech_deployment.labels"); got != n || res.Committed != res.RowsOut+res.Recovered {
		t.Errorf("%d of %d articles labeled after the resume (result %+v)", got, n, res)
	}
	if got := testutil.QueryInt(t, l, "SELECT count(*) - count(DISTINCT id) FROM sustainability_tech_deployment.labels"); got != 0 {
		t.Errorf("%d articles labeled twice", got)
	}
	// Every prompt whose answer reached the journal is asked no more; the rest
	// once each. (Calls in flight at the kill were paid for and lost.)
	okKeys := testutil.QueryInt(t, l, "SELECT count(DISTINCT cache_key) FROM sustainability_tech_deployment.oracle_calls WHERE status = 'ok'")
	if okKeys != keys {
		t.Errorf("%d prompts answered, want %d", okKeys, keys)
	}
	if asked := calls.Load() - askedBefore; asked+int64(inJournal) != keys {
		t.Errorf("the resumed run asked %d, the journal held %d answers, of %d prompts", asked, inJournal, keys)
	}
	third, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: gemini(t, srv.URL)})
	if err != nil || third.AlreadyDone != n || third.RowsOut != 0 || third.Calls != 0 {
		t.Errorf("third run: %+v, %v", third, err)
	}
}

// A journal line that holds an answer but not the labels of the articles
// sharing its prompt (a journal an older run wrote): the next run commits the
// answer and labels those articles from it, with no call.
func TestRun_RecoveredAnswerLabelsTwins(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithSharedTexts(t, 40)
	n := passed(t, l, f)
	srv, calls := fakeGemini(t, f, nil)
	restore := label.InjectFaults(func(op string) error {
		if op == "commit" {
			return errors.New("catalog locked")
		}
		return nil
	})
	first, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: gemini(t, srv.URL), BatchSize: 1 << 30})
	restore()
	if err == nil || first.Labeled == 0 {
		t.Fatalf("%+v, %v: the test needs answers left in the journal", first, err)
	}
	// Drop the twins' labels from every journal line.
	dir := filepath.Join(l.Root, "journal")
	des, _ := os.ReadDir(dir)
	for _, de := range des {
		if !strings.HasPrefix(de.Name(), f.Namespace()+".labels") || !strings.HasSuffix(de.Name(), ".jsonl") {
			continue
		}
		p := filepath.Join(dir, de.Name())
		b, _ := os.ReadFile(p)
		var out []byte
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if line == "" {
				continue
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatal(err)
			}
			delete(m, "shared")
			nb, _ := json.Marshal(m)
			out = append(append(out, nb...), '\n')
		}
		os.WriteFile(p, out, 0o600)
	}
	asked := calls.Load()
	res, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: gemini(t, srv.URL)})
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != asked {
		t.Errorf("the resumed run asked %d more: every answer was in the journal", calls.Load()-asked)
	}
	if got := testutil.QueryInt(t, l, "SELECT count(DISTINCT id) FROM sustainability_tech_deployment.labels"); got != n || res.Recovered+res.Cached != n {
		t.Errorf("%d of %d articles labeled; result %+v", got, n, res)
	}
}

// A batch job asks once per prompt too, and its answers label every article
// that shares the prompt.
func TestBatch_SharedPromptsOnce(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithSharedTexts(t, 40)
	n := passed(t, l, f)
	keys := testutil.QueryInt(t, l, "SELECT count(DISTINCT text) FROM "+spec.Compressed.For(f).String())
	srv, _ := fakeBatchAPI(t, f)
	t.Setenv("GEMINI_API_KEY", secret)
	g, err := oracle.NewGemini(ctx, "gemini-2.5-flash", srv.URL, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := label.SubmitBatch(ctx, l, label.Options{Filter: f, Oracle: g})
	if err != nil || int64(sub.Requests) != keys {
		t.Fatalf("submit: %+v, %v: want one request per prompt (%d)", sub, err, keys)
	}
	label.Collect(ctx, l, label.Options{Filter: f, Oracle: g}) // running
	res, _, err := label.Collect(ctx, l, label.Options{Filter: f, Oracle: g})
	// The fake fails the first request: its prompt's two articles stay unlabeled.
	if err != nil || res.Labeled != keys-1 || res.Shared != keys-1 || res.Failed != 2 {
		t.Fatalf("collect: %+v, %v", res, err)
	}
	if got := testutil.QueryInt(t, l, "SELECT count(DISTINCT id) FROM sustainability_tech_deployment.labels"); got != n-2 {
		t.Errorf("%d articles labeled, want %d", got, n-2)
	}
}
