package embed_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/internal/pipelinetest"
	"github.com/distillery/distillery/internal/sample"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/compress"
	"github.com/distillery/distillery/stages/embed"
	"github.com/distillery/distillery/stages/prefilter"
	"github.com/distillery/distillery/students/encode"
)

var aiTech pipelinetest.AITech

func TestMain(m *testing.M) {
	code := m.Run()
	aiTech.Remove()
	os.Exit(code)
}

// TestRun_EmbedsEachArticleOnce embeds the real ai-tech articles that pass
// the uplifting filter: one unit vector per compressed article, read back
// through SQL equal to what the saved encoder makes of the text; a second
// run embeds nothing; --refit fits a new encoder that embeds every article
// again and that later runs keep; an encoder whose files are gone is
// reported, not refitted behind the user's back.
func TestRun_EmbedsEachArticleOnce(t *testing.T) {
	ctx := context.Background()
	l, f := aiTech.Open(t)
	compressed := testutil.QueryInt(t, l, "SELECT count(*) FROM uplifting.compressed")
	res, err := embed.Run(ctx, l, embed.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Fitted || res.Embedded != compressed || res.RowsOut != compressed || res.Dim != 256 || !encode.IsHashed(res.Encoder) {
		t.Fatalf("first run: %+v (compressed %d)", res, compressed)
	}
	q := fmt.Sprintf(`SELECT count(*) FROM uplifting.embeddings e JOIN uplifting.compressed c USING (id)
		WHERE e.encoder = '%s' AND e.dim = 256 AND len(e.vector) = 256 AND e.text_sha256 = c.text_sha256
		AND abs(list_dot_product(e.vector, e.vector) - 1) < 1e-4`, res.Encoder)
	if n := testutil.QueryInt(t, l, q); n != compressed {
		t.Errorf("%d of %d articles have a unit vector of their own text", n, compressed)
	}
	if n := testutil.QueryInt(t, l, "SELECT count(DISTINCT id) FROM uplifting.embeddings"); n != compressed {
		t.Errorf("%d distinct ids embedded, want %d", n, compressed)
	}
	// The vectors in the lake are the ones the saved encoder makes.
	enc, err := encode.LoadHashed(encode.Dir(l.Root, f.Namespace(), res.Encoder))
	if err != nil {
		t.Fatal(err)
	}
	texts := testutil.QueryStrings(t, l, "SELECT text FROM uplifting.compressed ORDER BY id LIMIT 5")
	ids := testutil.QueryStrings(t, l, "SELECT id FROM uplifting.compressed ORDER BY id LIMIT 5")
	vs, err := enc.Encode(ctx, texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		got := testutil.QueryStrings(t, l, fmt.Sprintf("SELECT vector[1] || ',' || vector[256] FROM uplifting.embeddings WHERE id = '%s'", id))
		want := fmt.Sprintf("%v,%v", vs[i][0], vs[i][255])
		if len(got) != 1 || got[0] != want {
			t.Errorf("%s: lake has %v, the encoder makes %s", id, got, want)
		}
	}
	// Similarity in SQL, on fixed-size arrays.
	self := testutil.QueryStrings(t, l, `SELECT round(array_cosine_similarity(vector::FLOAT[256], vector::FLOAT[256]), 4)::VARCHAR
		FROM uplifting.embeddings ORDER BY id LIMIT 1`)
	if len(self) != 1 || self[0] != "1.0" {
		t.Errorf("an article's cosine with itself: %v", self)
	}

	again, err := embed.Run(ctx, l, embed.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	if again.Fitted || again.Embedded != 0 || again.Already != compressed || again.Encoder != res.Encoder {
		t.Errorf("second run: %+v", again)
	}
	refit, err := embed.Run(ctx, l, embed.Options{Filter: f, Refit: true})
	if err != nil {
		t.Fatal(err)
	}
	// The same texts give the same encoder: refitting is deterministic.
	if !refit.Fitted || refit.Encoder != res.Encoder || refit.Embedded != 0 {
		t.Errorf("refit on the same texts: %+v, first %s", refit, res.Encoder)
	}
	if n := testutil.QueryInt(t, l, "SELECT count(*) FROM uplifting.embeddings"); n != compressed {
		t.Errorf("%d rows after three runs, want %d", n, compressed)
	}
	if err := os.RemoveAll(encode.Dir(l.Root, f.Namespace(), res.Encoder)); err != nil {
		t.Fatal(err)
	}
	if _, err := embed.Run(ctx, l, embed.Options{Filter: f}); !errors.Is(err, embed.ErrEncoderMissing) {
		t.Errorf("encoder files gone: %v", err)
	}
	if _, err := embed.Run(ctx, l, embed.Options{Filter: f, Refit: true}); err != nil {
		t.Errorf("refit after the files went: %v", err)
	}
}

// TestRun_NeedsCompressed says which stage to run first.
func TestRun_NeedsCompressed(t *testing.T) {
	ctx := context.Background()
	l := testutil.NewLake(t)
	f := testutil.Filter(t, "filters/uplifting/v1")
	_, err := embed.Run(ctx, l, embed.Options{Filter: f})
	var need *spec.NeedError
	if !errors.Is(err, embed.ErrNoCompressed) || !errors.As(err, &need) || need.Stage != spec.Compress {
		t.Errorf("no compressed table: %v", err)
	}
	if _, err := embed.Run(ctx, l, embed.Options{Filter: f, Model: "some/folder", Refit: true}); !errors.Is(err, embed.ErrOptions) {
		t.Errorf("--refit with a sentence encoder: %v", err)
	}
}

// TestRun_SentenceEncoder embeds through the Python trainer with a tiny
// random BERT built from a config (make test-trainer runs it): one row per
// article under the encoder's own name, beside the hashed encoder's, and a
// second run embeds nothing.
func TestRun_SentenceEncoder(t *testing.T) {
	python := pipelinetest.TrainerPython(t)
	ctx := context.Background()
	l, f := aiTech.Open(t)
	dir := pipelinetest.TinyBERT(t, python, l, "SELECT text FROM uplifting.compressed ORDER BY id LIMIT 50")
	res, err := embed.Run(ctx, l, embed.Options{Filter: f, Model: dir, Python: python, Device: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	compressed := testutil.QueryInt(t, l, "SELECT count(*) FROM uplifting.compressed")
	if res.Embedded != compressed || encode.IsHashed(res.Encoder) || res.Dim != 32 || res.Fitted {
		t.Fatalf("sentence encoder: %+v", res)
	}
	q := fmt.Sprintf("SELECT count(*) FROM uplifting.embeddings WHERE encoder = '%s' AND len(vector) = 32 AND abs(list_dot_product(vector, vector) - 1) < 1e-4", res.Encoder)
	if n := testutil.QueryInt(t, l, q); n != compressed {
		t.Errorf("%d of %d unit vectors by %s", n, compressed, res.Encoder)
	}
	again, err := embed.Run(ctx, l, embed.Options{Filter: f, Model: dir, Python: python, Device: "cpu"})
	if err != nil || again.Embedded != 0 || again.Encoder != res.Encoder {
		t.Errorf("second run: %+v, %v", again, err)
	}
}

// TestRun_ChangedTextIsEmbeddedAgain: when compress rebuilds the articles'
// texts (here the filter's max_words drops to 60), the next embed run
// embeds the new texts, and the vectors label --select reads are of the
// texts as they read now.
func TestRun_ChangedTextIsEmbeddedAgain(t *testing.T) {
	ctx := context.Background()
	l := testutil.NewLake(t)
	p := filepath.Join(t.TempDir(), "s.jsonl")
	fh, _ := os.Create(p)
	sample.Write(fh, 300, 7)
	fh.Close()
	if _, err := ingest.Run(ctx, l, ingest.Options{Paths: []string{p}}); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(testutil.RepoRoot(t), "filters/sustainability_tech_deployment/v1")
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	if _, err := prefilter.Run(ctx, l, prefilter.Options{Filter: f}); err != nil {
		t.Fatal(err)
	}
	if _, err := compress.Run(ctx, l, compress.Options{Filter: f}); err != nil {
		t.Fatal(err)
	}
	first, err := embed.Run(ctx, l, embed.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	// The same filter, its texts cut at 60 words.
	dir := filepath.Join(t.TempDir(), "v1")
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	yaml, _ := os.ReadFile(filepath.Join(dir, "filter.yaml"))
	os.WriteFile(filepath.Join(dir, "filter.yaml"), []byte(strings.Replace(string(yaml), "max_words: 800", "max_words: 60", 1)), 0o644)
	short, err := filters.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := compress.Run(ctx, l, compress.Options{Filter: short}); err != nil {
		t.Fatal(err)
	}
	ns := f.Namespace()
	changed := testutil.QueryInt(t, l, fmt.Sprintf(`SELECT count(*) FROM %[1]s.compressed c WHERE NOT EXISTS
		(SELECT 1 FROM %[1]s.embeddings e WHERE e.id = c.id AND e.text_sha256 = c.text_sha256)`, ns))
	if changed == 0 {
		t.Fatal("compress at 60 words changed no text: the test tests nothing")
	}
	again, err := embed.Run(ctx, l, embed.Options{Filter: short})
	if err != nil {
		t.Fatal(err)
	}
	if again.Embedded != changed || again.Encoder != first.Encoder {
		t.Errorf("after the texts changed: embedded %d with %s, want the %d changed with %s", again.Embedded, again.Encoder, changed, first.Encoder)
	}
	sess, err := l.Session(ctx, ns)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	rel, _, err := sess.Relation(ctx, spec.Compressed.Ref(f))
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Input(ctx, "compressed_input", rel); err != nil {
		t.Fatal(err)
	}
	enc, _, err := curate.Embeddings(ctx, sess, f, "")
	if err != nil {
		t.Fatal(err)
	}
	vecs, err := curate.Vectors(ctx, sess, enc)
	if err != nil {
		t.Fatal(err)
	}
	hashed, err := encode.LoadHashed(encode.Dir(l.Root, ns, enc))
	if err != nil {
		t.Fatal(err)
	}
	ids := testutil.QueryStrings(t, l, "SELECT id FROM "+ns+".compressed ORDER BY id LIMIT 3")
	texts := testutil.QueryStrings(t, l, "SELECT text FROM "+ns+".compressed ORDER BY id LIMIT 3")
	want, _ := hashed.Encode(ctx, texts)
	for i, id := range ids {
		if !slices.Equal(vecs[id], want[i]) {
			t.Errorf("%s: the vector read is not its current text's", id)
		}
	}
}
