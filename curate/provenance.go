package curate

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/distillery/distillery/lake"
)

// Provenance is where labels came from: the oracle, its model and the
// filter package (the prompt version) they were made with.
type Provenance struct {
	Oracle       string `json:"oracle"`
	Model        string `json:"model"`
	FilterSHA256 string `json:"filter_sha256"`
	// Settings are the answer settings beyond the defaults ("": none).
	Settings string `json:"settings,omitempty"`
	// Articles is how many articles have such a label.
	Articles int64 `json:"articles"`
}

// Name is the oracle's name as distill agree and --combine oracle=... give
// it: oracle/model, then any settings.
func (p Provenance) Name() string {
	if p.Settings != "" {
		return p.Oracle + "/" + p.Model + " " + p.Settings
	}
	return p.Oracle + "/" + p.Model
}

// String is the oracle's name (filter package <short hash>).
func (p Provenance) String() string {
	sha := p.FilterSHA256
	if len(sha) > 12 {
		sha = sha[:12]
	}
	if sha == "" {
		sha = "unknown"
	}
	return fmt.Sprintf("%s (filter package %s)", p.Name(), sha)
}

// Sources runs sql/labels/provenance.sql: where the labels that the combine
// rule uses for the articles of prov_articles (id) came from, in
// prov_labels (a snapshot of <filter>.labels), most articles first.
func Sources(ctx context.Context, sess *lake.Session) ([]Provenance, error) {
	out := []Provenance{}
	err := sess.EachFile(ctx, "labels/provenance", nil, func(rows *sql.Rows) error {
		var p Provenance
		if err := rows.Scan(&p.Oracle, &p.Model, &p.FilterSHA256, &p.Settings, &p.Articles); err != nil {
			return err
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

// MixedSources is the warning for articles whose labels come from more
// than one oracle, oracle model or filter package ("" for one source):
// a student trained on them learns two judges at once, and its figures
// mix them.
func MixedSources(what string, sources []Provenance) string {
	if len(sources) < 2 {
		return ""
	}
	parts := make([]string, len(sources))
	for i, p := range sources {
		parts[i] = fmt.Sprintf("%s: %d", p, p.Articles)
	}
	return fmt.Sprintf("the labels of %s come from %d sources (%s): a student trained on them learns two judges at once; use one oracle's labels (--combine oracle=%s), label them all with one oracle and prompt, or pin the labels snapshot (--labels) of one",
		what, len(sources), strings.Join(parts, ", "), sources[0].Name())
}

// MixedWarning is MixedSources for the articles of the relation articles
// (id), their labels read from labels_input (Prepare): "" when they come
// from one source.
func MixedWarning(ctx context.Context, sess *lake.Session, what, articles string) (string, error) {
	if err := sess.Input(ctx, "prov_labels", "labels_input"); err != nil {
		return "", err
	}
	if err := sess.Input(ctx, "prov_articles", articles); err != nil {
		return "", err
	}
	sources, err := Sources(ctx, sess)
	if err != nil {
		return "", err
	}
	return MixedSources(what, sources), nil
}
