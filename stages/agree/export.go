package agree

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// Review is one article of an export: every answer the oracles gave it,
// its compressed text, and the analysis a person fills in.
type Review struct {
	ID string `json:"id"`
	// Spread is the mean |b - a| over the dimensions of the pair that
	// disagrees most; TierFlip says whether a pair put it in two tiers.
	Spread   float64  `json:"spread"`
	TierFlip bool     `json:"tier_flip"`
	Pair     string   `json:"pair"`
	Text     string   `json:"text"`
	Answers  []Answer `json:"answers"`
	// HumanAnalysis has every dimension null and an empty reasoning: a
	// person replaces the nulls with 0-10 scores (or {"score", "evidence"})
	// and imports the file with
	// `distill label import --oracle human --model NAME --key human_analysis`.
	HumanAnalysis map[string]any `json:"human_analysis"`
}

// Answer is one ask of one oracle.
type Answer struct {
	Oracle   string             `json:"oracle"`
	Ask      int                `json:"ask"`
	Overall  float64            `json:"overall"`
	Tier     string             `json:"tier"`
	Scores   map[string]float64 `json:"scores"`
	Evidence map[string]string  `json:"evidence"`
}

// export writes the opts.Top articles the compared oracles disagree on most
// to opts.Export, and returns how many it listed.
func export(ctx context.Context, l *lake.Lake, sess *lake.Session, opts Options) (int, error) {
	reviews, err := readReviews(ctx, sess, opts)
	if err != nil {
		return 0, err
	}
	if err := readTexts(ctx, sess, opts.Filter, reviews); err != nil {
		return 0, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(opts.Export), ".distill-export-*")
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	if strings.EqualFold(filepath.Ext(opts.Export), ".html") {
		err = writeHTML(w, opts.Filter, reviews)
	} else {
		err = writeJSONL(w, reviews)
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = tmp.Close()
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644) // a file to share, as os.Create makes it
	}
	if err == nil {
		err = os.Rename(tmp.Name(), opts.Export)
	}
	if err != nil {
		return 0, fmt.Errorf("export %s: %w", opts.Export, err)
	}
	return len(reviews), nil
}

// readReviews lists the articles (sql/agree/disagreements.sql) and their
// answers (sql/agree/answers.sql).
func readReviews(ctx context.Context, sess *lake.Session, opts Options) ([]*Review, error) {
	if err := sess.SetVariables(ctx, lake.Vars{"agree_top": opts.Top}); err != nil {
		return nil, err
	}
	if err := sess.TempTable(ctx, "agree_listed", "agree/disagreements", nil); err != nil {
		return nil, err
	}
	var reviews []*Review
	at := map[string]*Review{}
	err := sess.EachFile(ctx, "agree/listed", nil, func(rows *sql.Rows) error {
		r := &Review{HumanAnalysis: map[string]any{"reasoning": ""}}
		var spread sql.NullFloat64
		if err := rows.Scan(&r.ID, &spread, &r.TierFlip, &r.Pair); err != nil {
			return err
		}
		r.Spread = spread.Float64
		for _, d := range opts.Filter.Dimensions {
			r.HumanAnalysis[d.Name] = nil
		}
		reviews = append(reviews, r)
		at[r.ID] = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = sess.EachFile(ctx, "agree/answers", nil, func(rows *sql.Rows) error {
		var id, oracle, tier, dim string
		var ask int
		var overall, score float64
		var evidence sql.NullString
		if err := rows.Scan(&id, &oracle, &ask, &overall, &tier, &dim, &score, &evidence); err != nil {
			return err
		}
		r := at[id]
		if n := len(r.Answers); n == 0 || r.Answers[n-1].Oracle != oracle || r.Answers[n-1].Ask != ask {
			r.Answers = append(r.Answers, Answer{Oracle: oracle, Ask: ask, Overall: overall, Tier: tier,
				Scores: map[string]float64{}, Evidence: map[string]string{}})
		}
		a := &r.Answers[len(r.Answers)-1]
		a.Scores[dim] = score
		if evidence.Valid {
			a.Evidence[dim] = evidence.String
		}
		return nil
	})
	return reviews, err
}

// readTexts fills each review's compressed text (none when the filter has
// no compressed table: labels imported alone).
func readTexts(ctx context.Context, sess *lake.Session, f *filters.Filter, reviews []*Review) error {
	rel, snap, err := sess.Relation(ctx, spec.Compressed.Ref(f))
	if errors.Is(err, lake.ErrNoTable) || (err == nil && snap == nil) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := sess.Input(ctx, "agree_compressed", rel); err != nil {
		return err
	}
	text := map[string]string{}
	if err := sess.EachFile(ctx, "agree/texts", nil, func(rows *sql.Rows) error {
		var id, t string
		if err := rows.Scan(&id, &t); err != nil {
			return err
		}
		text[id] = t
		return nil
	}); err != nil {
		return err
	}
	for _, r := range reviews {
		r.Text = text[r.ID]
	}
	return nil
}

func writeJSONL(w io.Writer, reviews []*Review) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, r := range reviews {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}

var page = template.Must(template.New("review").Funcs(template.FuncMap{
	"score": func(a Answer, dim string) string {
		if v, ok := a.Scores[dim]; ok {
			return fmt.Sprintf("%g", v)
		}
		return "-"
	},
	"evidence": func(a Answer, dim string) string { return a.Evidence[dim] },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Filter}}: where the oracles disagree</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:80em}
table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #ccc;padding:.3em .5em;vertical-align:top;text-align:left}
td small{color:#555;display:block;max-width:28em}
.flip{color:#b00}
</style></head><body>
<h1>{{.Filter}}: the {{len .Reviews}} articles the oracles disagree on most</h1>
<p>Judge each article yourself, then fill <code>human_analysis</code> in the JSONL export (<code>distill agree --export FILE.jsonl</code>)
and import it: <code>distill label import --filter DIR --oracle human --model YOUR_NAME --key human_analysis FILE.jsonl</code>.</p>
{{range .Reviews}}{{$r := .}}
<h2 id="{{.ID}}">{{.ID}}</h2>
<p>spread {{printf "%.2f" .Spread}} ({{.Pair}}){{if .TierFlip}} <span class="flip">tiers differ</span>{{end}}</p>
<details><summary>compressed text</summary><pre style="white-space:pre-wrap">{{.Text}}</pre></details>
<table><tr><th>dimension</th>{{range .Answers}}<th>{{.Oracle}}{{if .Ask}} (ask {{.Ask}}){{end}}</th>{{end}}</tr>
{{range $.Dimensions}}{{$d := .}}<tr><th>{{$d}}</th>{{range $r.Answers}}<td>{{score . $d}}<small>{{evidence . $d}}</small></td>{{end}}</tr>
{{end}}<tr><th>overall</th>{{range .Answers}}<td>{{printf "%.2f" .Overall}}</td>{{end}}</tr>
<tr><th>tier</th>{{range .Answers}}<td>{{.Tier}}</td>{{end}}</tr></table>
{{end}}</body></html>
`))

func writeHTML(w io.Writer, f *filters.Filter, reviews []*Review) error {
	return page.Execute(w, map[string]any{"Filter": fmt.Sprintf("%s/v%d", f.Name, f.Version), "Reviews": reviews, "Dimensions": f.DimensionNames()})
}
