package stats

import (
	"context"
	"database/sql"
	"errors"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// FooterPhrases are phrases of site footers, menus and newsletter boxes
// that an article's own text seldom holds: the share of compressed texts
// holding one measures the furniture left in what the oracle reads. They
// are matched case-insensitively.
var FooterPhrases = []string{"All rights reserved", "Newsletters", "Save this story", "Cookie", "Follow us on", "Privacy Policy"}

// Footer is how many compressed texts still hold footer phrases.
type Footer struct {
	// Compressed is the snapshot read, ns.table@N.
	Compressed string `json:"compressed"`
	// Texts hold at least one of FooterPhrases; Total is every text.
	Texts    int64         `json:"texts"`
	Total    int64         `json:"total"`
	Share    float64       `json:"share"`
	ByPhrase []PhraseCount `json:"by_phrase"`
}

// PhraseCount is the compressed texts holding one phrase.
type PhraseCount struct {
	Phrase string `json:"phrase"`
	Texts  int64  `json:"texts"`
}

// FooterPhraseCounts counts the texts of f's current compressed snapshot
// holding each of FooterPhrases; nil when f has none yet.
func FooterPhraseCounts(ctx context.Context, l *lake.Lake, sess *lake.Session, f *filters.Filter) (*Footer, error) {
	name := spec.Compressed.For(f)
	if ok, err := l.Exists(ctx, name); err != nil || !ok {
		return nil, err
	}
	rel, snap, err := sess.Relation(ctx, lake.Ref{TableName: name})
	if errors.Is(err, lake.ErrNoTable) || err == nil && snap == nil {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := sess.Input(ctx, "compressed_input", rel); err != nil {
		return nil, err
	}
	out := &Footer{Compressed: snap.Ref().String(), ByPhrase: []PhraseCount{}}
	err = sess.EachFile(ctx, "stats/footer_phrases", lake.Params{"phrases": FooterPhrases}, func(r *sql.Rows) error {
		var phrase sql.NullString
		var n int64
		if err := r.Scan(&phrase, &n, &out.Total); err != nil {
			return err
		}
		if !phrase.Valid {
			out.Texts = n
			return nil
		}
		out.ByPhrase = append(out.ByPhrase, PhraseCount{phrase.String, n})
		return nil
	})
	if out.Total > 0 {
		out.Share = float64(out.Texts) / float64(out.Total)
	}
	return out, err
}
