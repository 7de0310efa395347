package embed_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/distillery/distillery/internal/pipelinetest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/embed"
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
