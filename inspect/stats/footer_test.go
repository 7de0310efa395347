package stats_test

import (
	"context"
	"testing"

	"github.com/distillery/distillery/inspect/stats"
	"github.com/distillery/distillery/internal/labeltest"
	"github.com/distillery/distillery/internal/testutil"
)

func TestRun_FooterPhrases(t *testing.T) {
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	l := testutil.NewLake(t)
	texts := []string{
		"Solar farm opens. © 2023 Example. ALL RIGHTS RESERVED.",
		"Grid storage grows. Manage cookie settings. Privacy policy.",
		"A clean article about heat pumps.",
		"Another clean article: reserved rights are not the phrase.",
	}
	var arts []labeltest.Article
	for i, text := range texts {
		arts = append(arts, labeltest.Article{ID: string(rune('a' + i)), Text: text, Score: 5})
	}
	labeltest.Write(t, l, f, arts)
	res, err := stats.Run(context.Background(), l, stats.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	ft := res.Footer
	if ft == nil {
		t.Fatal("no footer phrase counts")
	}
	if ft.Texts != 2 || ft.Total != 4 || ft.Share != 0.5 || ft.Compressed != "sustainability_tech_deployment.compressed@1" {
		t.Errorf("footer phrases in %d of %d texts (share %g, %s), want 2 of 4", ft.Texts, ft.Total, ft.Share, ft.Compressed)
	}
	want := map[string]int64{"All rights reserved": 1, "Newsletters": 0, "Save this story": 0, "Cookie": 1, "Follow us on": 0, "Privacy Policy": 1}
	if len(ft.ByPhrase) != len(stats.FooterPhrases) {
		t.Fatalf("by phrase: %+v", ft.ByPhrase)
	}
	for i, p := range ft.ByPhrase {
		if p.Phrase != stats.FooterPhrases[i] || p.Texts != want[p.Phrase] {
			t.Errorf("phrase %d: %q in %d texts, want %q in %d", i, p.Phrase, p.Texts, stats.FooterPhrases[i], want[stats.FooterPhrases[i]])
		}
	}
}
