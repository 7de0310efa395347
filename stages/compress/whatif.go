package compress

import (
	"cmp"
	"context"
	"errors"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// ErrNoCompressed means the filter has no compressed texts to compare
// (returned inside a spec.NeedError naming compress).
var ErrNoCompressed = errors.New("no compressed texts for this filter")

// WhatIfSample is how many articles WhatIf shows by default.
const WhatIfSample = 5

// ExcerptWords is how many words a marked text shows at each end; the
// middle is elided, so one article never floods the terminal.
const ExcerptWords = 60

// Estimator prices the oracle reading compressed texts: label --estimate's
// arithmetic (label.Estimator), passed in because compress does not import
// the label stage.
type Estimator interface {
	// InputTokens is the oracle input tokens of labeling one text.
	InputTokens(text string) int64
	// Cost is the dollars of calls labeling calls reading in input tokens;
	// priced is false when the model has no known price.
	Cost(calls, in int64) (usd float64, priced bool)
	// Model is the oracle model priced.
	Model() string
}

// WhatIfOptions say what WhatIf compares.
type WhatIfOptions struct {
	Filter *filters.Filter
	// Other is compared with Filter when set; when nil, Filter's rules alone
	// (as before boilerplate was learned) are compared with them and the
	// learned model.
	Other *filters.Filter
	// Sample is how many articles to show (0: WhatIfSample).
	Sample int
	// Estimator prices the texts (nil: no tokens or dollars).
	Estimator Estimator
}

// WhatIfResult compares two renderings of a filter's compressed articles;
// nothing is written.
type WhatIfResult struct {
	// Compressed is the snapshot whose articles are rendered, ns.table@N.
	Compressed string `json:"compressed"`
	// Before and After are the methods compared.
	Before string `json:"before"`
	After  string `json:"after"`
	// BoilerplateSeq is the corpus.boilerplate snapshot read (0: none).
	BoilerplateSeq int64 `json:"boilerplate_sequence"`
	// LearnedInMemory is the sources whose boilerplate was learned for this
	// comparison and not written: never learned, or grown since, as the
	// next compress run would learn them.
	LearnedInMemory int64 `json:"learned_in_memory"`
	// Articles is the compressed articles rendered both ways; NotInRaw the
	// compressed ids corpus.raw no longer holds (not rendered).
	Articles int64 `json:"articles"`
	NotInRaw int64 `json:"not_in_raw"`
	// Changed is the articles whose text differs.
	Changed         int64   `json:"changed"`
	WordsBefore     int64   `json:"words_before"`
	WordsAfter      int64   `json:"words_after"`
	MeanWordsBefore float64 `json:"mean_words_before"`
	MeanWordsAfter  float64 `json:"mean_words_after"`
	// TokensBefore and TokensAfter are the oracle input tokens of labeling
	// every article once; CostBefore and CostAfter what that costs with
	// Model (Priced false: no price known, the costs are 0).
	TokensBefore int64           `json:"tokens_before"`
	TokensAfter  int64           `json:"tokens_after"`
	Model        string          `json:"model,omitempty"`
	CostBefore   float64         `json:"cost_usd_before"`
	CostAfter    float64         `json:"cost_usd_after"`
	Priced       bool            `json:"priced"`
	Sample       []WhatIfArticle `json:"sample"`
	Notes        []string        `json:"notes"`
}

// WhatIfArticle is one sampled article, before and after.
type WhatIfArticle struct {
	ID           string `json:"id"`
	Source       string `json:"source"`
	WordsBefore  int    `json:"words_before"`
	WordsAfter   int    `json:"words_after"`
	TokensBefore int64  `json:"tokens_before"`
	TokensAfter  int64  `json:"tokens_after"`
	Changed      bool   `json:"changed"`
	// Marked is the article's content with what After removes before
	// cutting in ⟦ ⟧ and what Before removed and After keeps in ⟪ ⟫, its
	// middle elided past ExcerptWords words at each end; Pieces is the same
	// text in pieces, for a terminal to style.
	Marked string  `json:"marked"`
	Pieces []Piece `json:"-"`
}

// Mark says what a piece of a marked text is.
type Mark int

// The marks of a marked text.
const (
	Kept     Mark = iota // in both renderings' input
	Cut                  // removed by After before cutting
	Restored             // removed by Before, kept by After
	Elided               // words left out of the excerpt: Text says how many ("412 words")
)

// Piece is a run of words with one mark.
type Piece struct {
	Text string
	Mark Mark
}

// WhatIf renders every compressed article of opts.Filter two ways and
// reports what changes; it writes nothing. The sample is the articles whose
// text changes first, spread over the sources, each in the order of a hash
// of the id, so the same lake shows the same articles.
func WhatIf(ctx context.Context, l *lake.Lake, opts WhatIfOptions) (*WhatIfResult, error) {
	if opts.Filter == nil {
		return nil, errors.New("compress what-if: no filter")
	}
	if opts.Sample <= 0 {
		opts.Sample = WhatIfSample
	}
	before, after, err := whatIfSettings(opts.Filter, opts.Other)
	if err != nil {
		return nil, err
	}
	res := &WhatIfResult{Before: before.Method(), After: after.Method(), Sample: []WhatIfArticle{}, Notes: []string{}}
	if opts.Other == nil && !opts.Filter.Compression.Learns() {
		res.Notes = append(res.Notes, "the filter sets compression.learn_boilerplate: false, so compress cuts its texts with the rules alone")
	}
	sess, err := l.Session(ctx, opts.Filter.Namespace())
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	compRel, rawRel, err := whatIfInputs(ctx, l, sess, opts.Filter, res)
	if err != nil {
		return nil, err
	}
	if before.Learn || after.Learn {
		model, err := modelInMemory(ctx, l, sess, res)
		if err != nil {
			return nil, err
		}
		before.Model, after.Model = model, model
	}
	sample, err := compare(ctx, sess, compRel, rawRel, before, after, opts, res)
	if err != nil {
		return nil, err
	}
	for _, s := range sample {
		res.Sample = append(res.Sample, s.show(before, after))
	}
	if res.Articles > 0 {
		res.MeanWordsBefore = float64(res.WordsBefore) / float64(res.Articles)
		res.MeanWordsAfter = float64(res.WordsAfter) / float64(res.Articles)
	}
	if e := opts.Estimator; e != nil {
		res.Model = e.Model()
		res.CostBefore, res.Priced = e.Cost(res.Articles, res.TokensBefore)
		res.CostAfter, _ = e.Cost(res.Articles, res.TokensAfter)
	}
	return res, nil
}

// whatIfSettings are the two settings compared: base's rules alone and
// with learned boilerplate, or base's and other's.
func whatIfSettings(base, other *filters.Filter) (Settings, Settings, error) {
	before, err := SettingsFor(base)
	if err != nil {
		return before, before, err
	}
	if other == nil {
		after := before
		before.Learn, after.Learn = false, true
		return before, after, nil
	}
	after, err := SettingsFor(other)
	return before, after, err
}

// whatIfInputs makes the filter's current compressed snapshot and
// corpus.raw readable, and returns their relations.
func whatIfInputs(ctx context.Context, l *lake.Lake, sess *lake.Session, f *filters.Filter, res *WhatIfResult) (string, string, error) {
	out := spec.Compressed.For(f)
	need := spec.Need(spec.Compressed, f.Namespace(), ErrNoCompressed.Error(), ErrNoCompressed)
	if ok, err := l.Exists(ctx, out); err != nil {
		return "", "", err
	} else if !ok {
		return "", "", need
	}
	compRel, compSnap, err := sess.Relation(ctx, lake.Ref{TableName: out})
	if err != nil {
		return "", "", err
	}
	if compSnap == nil {
		return "", "", need
	}
	res.Compressed = compSnap.Ref().String()
	rawRel, _, err := sess.Relation(ctx, spec.Raw.Ref(nil))
	if err != nil {
		return "", "", err
	}
	// The name the boilerplate SQL reads corpus.raw by.
	return compRel, rawRel, sess.Input(ctx, "compress_raw", rawRel)
}

// modelInMemory is the model the next compress run would cut with:
// corpus.boilerplate's current snapshot, with the sources it would learn
// (again) learned here and not written.
func modelInMemory(ctx context.Context, l *lake.Lake, sess *lake.Session, res *WhatIfResult) (*Model, error) {
	ref := spec.Boilerplate.Ref(nil)
	if ok, err := l.Exists(ctx, ref.TableName); err != nil || !ok {
		ref = lake.Ref{} // no table yet: nothing to read, everything to learn
		if err != nil {
			return nil, err
		}
	}
	model, up, err := updateModel(ctx, sess, ref)
	if err != nil {
		return nil, err
	}
	res.BoilerplateSeq = model.Seq
	res.LearnedInMemory = int64(len(up.learned))
	if res.BoilerplateSeq == 0 && len(up.learned) > 0 {
		res.Notes = append(res.Notes, spec.Boilerplate.For(nil).String()+" has no snapshot yet: the boilerplate was learned here, in memory; compress learns and writes it on its next run")
	}
	return model, nil
}

// sampled is a sample candidate: an article and its two renderings.
type sampled struct {
	a             Article
	id            string
	key           uint64
	before, after Rendered
	est           Estimator
}

// compare renders every compressed article both ways, adds the totals to
// res, and returns the sample.
func compare(ctx context.Context, sess *lake.Session, compRel, rawRel string, before, after Settings, opts WhatIfOptions, res *WhatIfResult) ([]sampled, error) {
	q := "SELECT c.id, r.id IS NOT NULL, coalesce(r.title, ''), coalesce(r.source, ''), coalesce(r.dataset, ''), coalesce(r.published_date, ''), coalesce(r.content, '') FROM " +
		compRel + " c LEFT JOIN " + rawRel + " r ON r.id = c.id ORDER BY c.id"
	rows, err := sess.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	bySite := map[string][]sampled{}
	last := ""
	for rows.Next() {
		var s sampled
		var inRaw bool
		if err := rows.Scan(&s.id, &inRaw, &s.a.Title, &s.a.Source, &s.a.Dataset, &s.a.PublishedDate, &s.a.Content); err != nil {
			return nil, err
		}
		if s.id == last { // one row per id, as compress renders them
			continue
		}
		last = s.id
		if !inRaw {
			res.NotInRaw++
			continue
		}
		s.before, s.after, s.est = Render(s.a, before), Render(s.a, after), opts.Estimator
		res.Articles++
		res.WordsBefore += int64(s.before.Words)
		res.WordsAfter += int64(s.after.Words)
		if s.est != nil {
			res.TokensBefore += s.est.InputTokens(s.before.Text)
			res.TokensAfter += s.est.InputTokens(s.after.Text)
		}
		changed := s.before.Text != s.after.Text
		if changed {
			res.Changed++
		}
		h := fnv.New64a()
		h.Write([]byte(s.id))
		s.key = h.Sum64() >> 1
		if !changed {
			s.key |= 1 << 63 // after every changed article
		}
		bySite[s.a.Site()] = keepLowest(bySite[s.a.Site()], s, opts.Sample)
	}
	return spread(bySite, opts.Sample), rows.Err()
}

// spread picks n of the candidates, from as many sources as it can: the
// lowest key of each source first, then the second lowest, and so on, so a
// sample is not five pages of one site; articles whose text changes come
// before any that does not (their key's top bit is clear).
func spread(bySite map[string][]sampled, n int) []sampled {
	changed, same := map[string][]sampled{}, map[string][]sampled{}
	for site, cands := range bySite {
		for _, c := range cands {
			if c.key>>63 == 0 {
				changed[site] = append(changed[site], c)
			} else {
				same[site] = append(same[site], c)
			}
		}
	}
	out := roundRobin(changed, n)
	return append(out, roundRobin(same, n-len(out))...)
}

// roundRobin takes the lowest key of each source, in key order, then the
// second lowest, until it has n.
func roundRobin(bySite map[string][]sampled, n int) []sampled {
	var out []sampled
	for rank := 0; len(out) < n; rank++ {
		var round []sampled
		for _, c := range bySite {
			if rank < len(c) {
				round = append(round, c[rank])
			}
		}
		if len(round) == 0 {
			break
		}
		slices.SortFunc(round, func(a, b sampled) int { return cmp.Compare(a.key, b.key) })
		out = append(out, round[:min(len(round), n-len(out))]...)
	}
	return out
}

// keepLowest adds s to the n candidates of lowest key, in key order.
func keepLowest(cands []sampled, s sampled, n int) []sampled {
	i, _ := slices.BinarySearchFunc(cands, s.key, func(c sampled, k uint64) int {
		switch {
		case c.key < k:
			return -1
		case c.key > k:
			return 1
		}
		return 0
	})
	if i >= n {
		return cands
	}
	cands = slices.Insert(cands, i, s)
	return cands[:min(len(cands), n)]
}

// show is the sampled article as reported, its content marked.
func (s sampled) show(before, after Settings) WhatIfArticle {
	w := WhatIfArticle{ID: s.id, Source: s.a.Site(), WordsBefore: s.before.Words, WordsAfter: s.after.Words, Changed: s.before.Text != s.after.Text}
	if s.est != nil {
		w.TokensBefore, w.TokensAfter = s.est.InputTokens(s.before.Text), s.est.InputTokens(s.after.Text)
	}
	w.Pieces = MarkText(s.a.Content, Removed(s.a, after), Removed(s.a, before), ExcerptWords)
	w.Marked = PlainMarks(w.Pieces)
	return w
}

// MarkText splits content into pieces of words: those in cut (and not in
// was) Cut, those in was and not in cut Restored, the others Kept. Past
// 2*ends words, only the first and last ends words are kept, with one
// Elided piece between them. Spans are byte ranges of content, in order.
func MarkText(content string, cut, was []Span, ends int) []Piece {
	type word struct {
		text string
		mark Mark
	}
	var words []word
	in := func(spans []Span, i int) bool {
		j, _ := slices.BinarySearchFunc(spans, i, func(s Span, i int) int {
			if s.End <= i {
				return -1
			}
			if s.Start > i {
				return 1
			}
			return 0
		})
		return j < len(spans) && spans[j].Start <= i && i < spans[j].End
	}
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		m := Kept
		switch c, w := in(cut, start), in(was, start); {
		case c && !w:
			m = Cut
		case c && w:
			m = Cut // removed both ways: still not read
		case w:
			m = Restored
		}
		words = append(words, word{content[start:end], m})
		start = -1
	}
	for i, r := range content {
		if isSpace(r) {
			flush(i)
		} else if start < 0 || in(cut, i) != in(cut, start) || in(was, i) != in(was, start) {
			flush(i) // a span starts or ends inside a run of letters
			start = i
		}
	}
	flush(len(content))
	var out []Piece
	add := func(w word) {
		if n := len(out); n > 0 && out[n-1].Mark == w.mark {
			out[n-1].Text += " " + w.text
			return
		}
		out = append(out, Piece{w.text, w.mark})
	}
	for i, w := range words {
		switch {
		case len(words) <= 2*ends || i < ends || i >= len(words)-ends:
			add(w)
		case i == ends:
			out = append(out, Piece{Text: human.Plural(int64(len(words)-2*ends), "word"), Mark: Elided})
		}
	}
	return out
}

// PlainMarks writes pieces as text: Cut in ⟦ ⟧, Restored in ⟪ ⟫, an Elided
// piece as "… N words …".
func PlainMarks(pieces []Piece) string {
	parts := make([]string, len(pieces))
	for i, p := range pieces {
		switch p.Mark {
		case Cut:
			parts[i] = "⟦" + p.Text + "⟧"
		case Restored:
			parts[i] = "⟪" + p.Text + "⟫"
		case Elided:
			parts[i] = "… " + p.Text + " …"
		default:
			parts[i] = p.Text
		}
	}
	return strings.Join(parts, " ")
}
