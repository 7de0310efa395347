package embed_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/embed"
)

// BenchmarkRun embeds 22,250 compressed articles (the BBC corpus's 2,225
// texts, 2,127 of them distinct, ten ids each, ~2,300 characters), the whole stage: reading the
// texts, fitting the hashed encoder on the distinct ones, encoding and
// committing the vectors. Each round is a first run on a fresh table;
// encode-articles/s leaves the fit out (the rate of a later run).
func BenchmarkRun(b *testing.B) {
	ctx := context.Background()
	f := testutil.Filter(b, "filters/sustainability_tech_deployment/v1")
	files, _ := filepath.Glob(testutil.Shared(b, "corpus/bbc-fulltext/bbc") + "/*/*.txt")
	slices.Sort(files)
	var texts []string
	for _, p := range files {
		raw, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		texts = append(texts, strings.ToValidUTF8(string(raw), "\uFFFD")) // a few BBC files are Latin-1
	}
	distinct := map[string]bool{}
	for _, t := range texts {
		distinct[t] = true
	}
	const copies = 10
	n := int64(len(texts) * copies)
	var encodeRate float64
	for b.Loop() {
		b.StopTimer()
		l := testutil.NewLake(b)
		if err := spec.Compressed.Ensure(ctx, l, f); err != nil {
			b.Fatal(err)
		}
		p, err := l.WriteRows(ctx, spec.Compressed.For(f), func(rb *lake.RowBuilder) error {
			for c := range copies {
				for i, t := range texts {
					sum := sha256.Sum256([]byte(t))
					rb.String("id", fmt.Sprintf("bbc-%d-%04d", c, i))
					rb.String("text", t)
					rb.String("text_sha256", hex.EncodeToString(sum[:]))
					rb.EndRow()
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Commit(ctx, lake.Commit{Stage: spec.Compress.Name, Filter: f.Ref()}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := embed.Run(ctx, l, embed.Options{Filter: f})
		if err != nil {
			b.Fatal(err)
		}
		if res.Embedded != n || res.FitTexts != len(distinct) {
			b.Fatalf("embedded %d (fitted on %d), want %d (%d distinct texts)", res.Embedded, res.FitTexts, n, len(distinct))
		}
		b.StopTimer()
		encodeRate += res.ArticlesPerS
		if got := testutil.QueryInt(b, l, "SELECT count(*) FROM "+spec.Embeddings.For(f).String()); got != n {
			b.Fatalf("read back %d embeddings, want %d", got, n)
		}
		l.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n*int64(b.N))/b.Elapsed().Seconds(), "articles/s")
	// Without the fit: what a later run, which reuses the encoder, embeds at.
	b.ReportMetric(encodeRate/float64(b.N), "encode-articles/s")
}
