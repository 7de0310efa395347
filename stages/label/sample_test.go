package label_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/label"
	"github.com/distillery/distillery/stages/label/oracle"
)

// fakeOpenAI answers chat completions like an OpenAI-compatible server
// (vLLM, DeepSeek), counting the requests.
func fakeOpenAI(t *testing.T, f *filters.Filter) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k := n.Add(1)
		io.Copy(io.Discard, r.Body)
		if !strings.HasSuffix(r.URL.Path, "/chat/completions") {
			t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
			w.WriteHeader(404)
			return
		}
		parts := make([]string, len(f.Dimensions))
		for i, d := range f.Dimensions {
			parts[i] = fmt.Sprintf(`"%s": {"score": %d, "evidence": "e"}`, d.Name, (int(k)+i)%11)
		}
		content, _ := json.Marshal("{" + strings.Join(parts, ", ") + "}")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":%s},"finish_reason":"stop"}],"usage":{"prompt_tokens":1000,"completion_tokens":200,"total_tokens":1200}}`, content)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func openAI(t *testing.T, url, model string) oracle.Oracle {
	t.Setenv("OPENAI_API_KEY", "test-key-not-secret")
	o, err := oracle.NewOpenAI(model, url+"/v1", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// idsOf is the ids the labels of one model hold, sorted.
func idsOf(t *testing.T, l *lake.Lake, f *filters.Filter, model string) []string {
	t.Helper()
	return testutil.QueryStrings(t, l, fmt.Sprintf("SELECT DISTINCT id FROM %s WHERE model = '%s' ORDER BY id", spec.Labels.For(f), model))
}

// A sample is fixed by its seed: two oracles (and models) given one seed
// label the same articles, another seed picks others, and the commits
// record the sample.
func TestRun_SampleIsTheSameForEveryOracle(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithCompressed(t, 120)
	srv, calls := fakeOpenAI(t, f)
	const n = 15
	kw := oracle.NewKeywords(f)
	res, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: kw, Sample: n, Seed: 7})
	if err != nil || res.Labeled != n || res.Sampled != n {
		t.Fatalf("keywords: %+v, %v", res, err)
	}
	if _, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: openAI(t, srv.URL, "model-a"), Sample: n, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != n {
		t.Errorf("%d calls for a sample of %d", calls.Load(), n)
	}
	byKeywords, byA := idsOf(t, l, f, kw.Model()), idsOf(t, l, f, "model-a")
	if len(byKeywords) != n || !slices.Equal(byKeywords, byA) {
		t.Errorf("seed 7: keywords labeled %v, model-a %v; want the same %d", byKeywords, byA, n)
	}
	snap, err := l.Current(ctx, spec.Labels.For(f))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{`"sample":15`, `"seed":7`, `"stratify":"none"`} {
		if !strings.Contains(snap.Params, p) {
			t.Errorf("the labels commit's params %s lack %s", snap.Params, p)
		}
	}
	if _, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: openAI(t, srv.URL, "model-b"), Sample: n, Seed: 8}); err != nil {
		t.Fatal(err)
	}
	if byB := idsOf(t, l, f, "model-b"); len(byB) != n || slices.Equal(byB, byA) {
		t.Errorf("seed 8 labeled %v, seed 7 %v: want %d others", byB, byA, n)
	}
	// Rerun: the sample is labeled, nothing to ask.
	again, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: openAI(t, srv.URL, "model-a"), Sample: n, Seed: 7})
	if err != nil || again.AlreadyDone != n || again.Calls != 0 {
		t.Errorf("rerun: %+v, %v", again, err)
	}
	// A sample larger than the table is the table.
	all, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: kw, Sample: 100000, Seed: 7})
	if err != nil || all.Sampled != passed(t, l, f) {
		t.Fatalf("sample of 100000: %+v, %v", all, err)
	}
	if got := int64(len(idsOf(t, l, f, kw.Model()))); got != passed(t, l, f) {
		t.Errorf("a sample of 100000 labeled %d of %d articles", got, passed(t, l, f))
	}
}

// --stratify tier shares the sample evenly across the tiers the keywords
// scoring gives the articles: a tier smaller than its share gives all it
// has, the rest goes to the others, the first tiers taking a remainder.
// The sample is drawn before any keywords label exists: it does not read
// them.
func TestRun_SampleStratifiedByTier(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithCompressed(t, 400)
	srv, _ := fakeOpenAI(t, f)
	const n = 61
	res, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: openAI(t, srv.URL, "m"), Sample: n, Stratify: label.StratifyTier, Seed: 3})
	if err != nil || res.Labeled != n {
		t.Fatalf("%+v, %v", res, err)
	}
	// Every article's keyword tier, from labeling them all with the keywords oracle.
	if _, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: oracle.NewKeywords(f)}); err != nil {
		t.Fatal(err)
	}
	labels := spec.Labels.For(f).String()
	population := tierCounts(t, l, fmt.Sprintf("SELECT tier, count(*) FROM %s WHERE oracle = 'keywords' GROUP BY tier", labels))
	sampled := tierCounts(t, l, fmt.Sprintf(`SELECT k.tier, count(*) FROM %[1]s s JOIN %[1]s k USING (id)
		WHERE s.model = 'm' AND k.oracle = 'keywords' GROUP BY k.tier`, labels))
	var tiers []string
	var sizes []int64
	for _, tr := range f.Tiers {
		tiers, sizes = append(tiers, tr.Name), append(sizes, population[tr.Name])
	}
	want := roundRobin(sizes, n)
	small := false
	for i, tier := range tiers {
		if sampled[tier] != want[i] {
			t.Errorf("tier %s: %d sampled of %d, want %d (population %v, sample %v)", tier, sampled[tier], sizes[i], want[i], population, sampled)
		}
		small = small || sizes[i] > 0 && sizes[i] < n/int64(len(tiers))
	}
	if !small {
		t.Errorf("population %v: the test needs a tier smaller than its share of %d", population, n)
	}
	snaps, err := l.Snapshots(ctx, spec.Labels.For(f))
	if err != nil || !slices.ContainsFunc(snaps, func(s lake.Snapshot) bool { return strings.Contains(s.Params, `"stratify":"tier"`) }) {
		t.Errorf("no labels commit records the stratified sample (%v)", err)
	}
}

// roundRobin deals n to strata of sizes one at a time in order, skipping
// the full ones: the shares --stratify tier must give.
func roundRobin(sizes []int64, n int64) []int64 {
	out := make([]int64, len(sizes))
	for n > 0 {
		dealt := false
		for i := range sizes {
			if n > 0 && out[i] < sizes[i] {
				out[i]++
				n--
				dealt = true
			}
		}
		if !dealt {
			break
		}
	}
	return out
}

func tierCounts(t *testing.T, l *lake.Lake, q string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, s := range testutil.QueryStrings(t, l, "SELECT tier || '=' || n FROM ("+q+") AS c(tier, n)") {
		var n int64
		tier, num, _ := strings.Cut(s, "=")
		fmt.Sscan(num, &n)
		out[tier] = n
	}
	return out
}

// --repeat K asks K times per article, each ask its own call and label row
// (repeat 0..K-1); asks made are never made again, and repeat 0's key is
// the key labels had before --repeat, so they count as the first ask.
func TestRun_Repeat(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithCompressed(t, 40)
	m := passed(t, l, f)
	srv, calls := fakeOpenAI(t, f)
	orc := openAI(t, srv.URL, "model-r")
	labels := spec.Labels.For(f).String()
	res, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: orc, Repeat: 3})
	if err != nil || calls.Load() != 3*m || res.Labeled != 3*m {
		t.Fatalf("--repeat 3: %+v, %v, %d calls for %d articles", res, err, calls.Load(), m)
	}
	perRepeat := testutil.QueryStrings(t, l, "SELECT repeat || ':' || count(*) FROM "+labels+" GROUP BY repeat ORDER BY repeat")
	if want := []string{fmt.Sprint("0:", m), fmt.Sprint("1:", m), fmt.Sprint("2:", m)}; !slices.Equal(perRepeat, want) {
		t.Errorf("label rows by repeat %v, want %v", perRepeat, want)
	}
	if got := testutil.QueryInt(t, l, "SELECT count(DISTINCT (id, cache_key)) FROM "+labels); got != 3*m {
		t.Errorf("%d distinct (id, cache_key), want %d: each repeat has a key of its own", got, 3*m)
	}
	checkRepeatKeys(t, l, f, orc)

	calls.Store(0)
	again, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: orc, Repeat: 3})
	if err != nil || calls.Load() != 0 || again.AlreadyDone != 3*m {
		t.Errorf("rerun of --repeat 3: %+v, %v, %d calls", again, err, calls.Load())
	}
	est, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: orc, Repeat: 5, Estimate: true})
	if err != nil || est.Misses != 2*m || calls.Load() != 0 {
		t.Errorf("estimate of --repeat 5: %+v, %v: want %d calls to make", est, err, 2*m)
	}
	four, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: orc, Repeat: 4})
	if err != nil || calls.Load() != m || four.Labeled != m {
		t.Errorf("--repeat 4 after 3: %+v, %v, %d calls, want %d", four, err, calls.Load(), m)
	}
	if got := testutil.QueryInt(t, l, "SELECT count(*) FROM "+labels+" WHERE repeat = 3"); got != m {
		t.Errorf("%d rows of repeat 3, want %d", got, m)
	}

	// Labels made without --repeat are repeat 0: --repeat 2 asks once more.
	plain := openAI(t, srv.URL, "model-p")
	calls.Store(0)
	if _, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: plain}); err != nil || calls.Load() != m {
		t.Fatalf("plain run: %v, %d calls", err, calls.Load())
	}
	if _, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: plain, Repeat: 2}); err != nil || calls.Load() != 2*m {
		t.Errorf("--repeat 2 after a plain run: %v, %d calls in all, want %d", err, calls.Load(), 2*m)
	}
	if got := testutil.QueryInt(t, l, "SELECT count(*) FROM "+labels+" WHERE model = 'model-p' AND repeat = 0"); got != m {
		t.Errorf("%d rows of repeat 0 for model-p, want %d (none asked again)", got, m)
	}
}

// checkRepeatKeys checks every label of orc: repeat 0's cache key is
// CacheKey, as before --repeat; repeat r's is RepeatKey of it.
func checkRepeatKeys(t *testing.T, l *lake.Lake, f *filters.Filter, orc oracle.Oracle) {
	t.Helper()
	schema, _ := json.Marshal(oracle.ResponseSchema(f))
	text := compressedTexts(t, l, f)
	rows := testutil.QueryStrings(t, l, fmt.Sprintf("SELECT id || chr(0) || repeat || chr(0) || cache_key FROM %s WHERE model = '%s'", spec.Labels.For(f), orc.Model()))
	for _, s := range rows {
		parts := strings.Split(s, "\x00")
		var r int
		fmt.Sscan(parts[1], &r)
		key := label.CacheKey(orc.Kind(), orc.Model(), f.RenderPrompt(text[parts[0]]), schema, f.Oracle.Temperature, f.Oracle.MaxOutputTokens)
		if r == 0 && parts[2] != key {
			t.Fatalf("%s repeat 0: key %s, want today's CacheKey %s", parts[0], parts[2], key)
		}
		if want := label.RepeatKey(key, r); parts[2] != want || r > 0 && want == key {
			t.Fatalf("%s repeat %d: key %s, want %s", parts[0], r, parts[2], want)
		}
	}
}

// Articles sharing a rendered prompt share one call per repeat.
func TestRun_RepeatSharesPrompts(t *testing.T) {
	l, f := lakeWithSharedTexts(t, 20)
	n := passed(t, l, f)
	srv, calls := fakeOpenAI(t, f)
	res, err := label.Run(context.Background(), l, label.Options{Filter: f, Oracle: openAI(t, srv.URL, "m"), Repeat: 2})
	if err != nil || calls.Load() != n || res.Shared != n {
		t.Fatalf("%+v, %v, %d calls for %d articles in pairs, twice", res, err, calls.Load(), n)
	}
	if got := testutil.QueryInt(t, l, "SELECT count(DISTINCT (id, repeat)) FROM "+spec.Labels.For(f).String()); got != 2*n {
		t.Errorf("%d (article, repeat) labeled, want %d", got, 2*n)
	}
}

// Batch jobs carry repeats: each is a request, its answer labels its repeat.
func TestBatch_Repeat(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithCompressed(t, 30)
	srv, _ := fakeBatchAPI(t, f)
	t.Setenv("GEMINI_API_KEY", secret)
	g, err := oracle.NewGemini(ctx, "gemini-2.5-flash", srv.URL, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	n := passed(t, l, f)
	opts := label.Options{Filter: f, Oracle: g, Repeat: 2}
	sub, err := label.SubmitBatch(ctx, l, opts)
	if err != nil || int64(sub.Requests) != 2*n {
		t.Fatalf("submit: %+v, %v", sub, err)
	}
	label.Collect(ctx, l, opts)
	if _, _, err := label.Collect(ctx, l, opts); err != nil {
		t.Fatal(err)
	}
	// The fake fails the first request.
	if got := testutil.QueryInt(t, l, "SELECT count(DISTINCT (id, repeat)) FROM "+spec.Labels.For(f).String()); got != 2*n-1 {
		t.Errorf("%d (article, repeat) labeled, want %d", got, 2*n-1)
	}
	if got := testutil.QueryInt(t, l, "SELECT count(*) FROM "+spec.Labels.For(f).String()+" WHERE repeat = 1"); got < n-1 {
		t.Errorf("%d labels of repeat 1, want at least %d", got, n-1)
	}
	if _, err := label.SubmitBatch(ctx, l, label.Options{Filter: f, Oracle: g, RPD: 10}); err == nil {
		t.Error("a batch with --rpd: no error, want a refusal (the batch API has its own limits)")
	}
}

// compressedTexts is each compressed article's text, by id.
func compressedTexts(t *testing.T, l *lake.Lake, f *filters.Filter) map[string]string {
	t.Helper()
	text := map[string]string{}
	for _, s := range testutil.QueryStrings(t, l, "SELECT id || chr(0) || text FROM "+spec.Compressed.For(f).String()) {
		id, tx, _ := strings.Cut(s, "\x00")
		text[id] = tx
	}
	return text
}

// TestRun_SampleIsNotSplitsOrder: split fills train first in the order
// hash(seed:id), and both seeds default to 42, so a sample in that order
// would land almost wholly in train; the sample's order is salted.
func TestRun_SampleIsNotSplitsOrder(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithCompressed(t, 800)
	total := testutil.QueryInt(t, l, "SELECT count(*) FROM "+spec.Compressed.For(f).String())
	n := int(total / 4)
	kw := oracle.NewKeywords(f)
	if _, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: kw, Sample: n, Seed: 42}); err != nil {
		t.Fatal(err)
	}
	sampled := idsOf(t, l, f, kw.Model())
	splitFirst := testutil.QueryStrings(t, l, fmt.Sprintf("SELECT id FROM %s ORDER BY hash('42:' || id), id LIMIT %d", spec.Compressed.For(f), n))
	common := 0
	for _, id := range splitFirst {
		if slices.Contains(sampled, id) {
			common++
		}
	}
	// Independent orders share about n/4 of their first n (a quarter of the table).
	if len(sampled) != n || n < 40 || common > n/2 {
		t.Errorf("the sample shares %d of its %d articles with the first %d of %d in split's order", common, n, n, total)
	}
}

// TestRun_RepeatAtTemperatureZeroWarns: repeats of a model asked at
// temperature 0 measure little; the run says so.
func TestRun_RepeatAtTemperatureZeroWarns(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithCompressed(t, 40)
	srv, _ := fakeOpenAI(t, f)
	zero := 0.0
	res, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: openAI(t, srv.URL, "model-a"), Sample: 3, Repeat: 2, Temperature: &zero})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.Contains(w, "temperature 0") }) {
		t.Errorf("no warning of repeats at temperature 0: %q", res.Warnings)
	}
}
