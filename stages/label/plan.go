package label

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/label/oracle"
)

// item is one ask: an article, and which of its repeats (Options.Repeat)
// with that repeat's cache key.
type item struct {
	id, text, inputSHA, prompt, promptSHA, key string
	repeat                                     int
	// by is the strategy that chose the article (label --select, or
	// "sample" for --sample) and inclusion the chance it had to be chosen
	// (0: not chosen by a draw).
	by        string
	inclusion float64
	// selection is the plan that chose it, when it was chosen by another
	// run (a batch job's request): "" takes this run's.
	selection string
}

// group is the articles of one run that share a rendered prompt (so a
// cache key): the lead is asked, its twins get its answer, and none is paid
// for twice.
type group struct {
	lead  item
	twins []item
}

// groupByKey groups items by cache key, in the order of their first item.
func groupByKey(items []item) []group {
	at := map[string]int{}
	var gs []group
	for _, it := range items {
		if i, ok := at[it.key]; ok {
			gs[i].twins = append(gs[i].twins, it)
			continue
		}
		at[it.key] = len(gs)
		gs = append(gs, group{lead: it})
	}
	return gs
}

// CacheKey is the hash of everything that shapes an answer; schema is the
// response schema's JSON (json.Marshal sorts map keys: stable).
func CacheKey(kind, model, prompt string, schema []byte, temperature float64, maxTokens int) string {
	sb := schema
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%g\x00%d", kind, model, prompt, sb, temperature, maxTokens)
	return hex.EncodeToString(h.Sum(nil))
}

// RepeatKey is the cache key of an article's repeat-th ask (Options.Repeat)
// when key is its CacheKey. Repeat 0's is key itself, so the labels made
// before --repeat existed count as the first ask and are never asked again;
// every later repeat has a key of its own, so it is paid for once and served
// from the cache after.
func RepeatKey(key string, repeat int) string {
	if repeat == 0 {
		return key
	}
	return sha(fmt.Sprintf("%s\x00repeat\x00%d", key, repeat))
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// plan lists the asks to make (each article once per repeat, those of the
// sample under Options.Sample) and loads the cache of good answers.
func plan(ctx context.Context, l *lake.Lake, w *writer, orc oracle.Oracle, opts Options, res *Result) ([]item, map[string]call, error) {
	f := w.f
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		return nil, nil, err
	}
	defer sess.Close()
	crel, csnap, err := sess.Relation(ctx, spec.Compressed.Ref(f))
	if err != nil {
		if errors.Is(err, lake.ErrNoTable) {
			return nil, nil, spec.Need(spec.Compressed, f.Namespace(), "no compressed articles for this filter", ErrNoCompressed)
		}
		return nil, nil, err
	}
	if csnap == nil {
		return nil, nil, spec.Need(spec.Compressed, f.Namespace(), "no compressed articles for this filter", ErrNoCompressed)
	}
	res.Input = csnap
	inputs := map[string]string{"compressed_input": crel}
	for name, t := range map[string]*spec.Table{"labels_input": spec.Labels, "oracle_calls_input": spec.OracleCalls} {
		rel, err := relationIfAny(ctx, sess, t.For(f))
		if err != nil {
			return nil, nil, err
		}
		if rel != "" {
			inputs[name] = rel
		}
	}
	for name, rel := range inputs {
		if err := sess.Input(ctx, name, rel); err != nil {
			return nil, nil, err
		}
	}
	done, err := doneKeys(ctx, sess, inputs["labels_input"] != "")
	if err != nil {
		return nil, nil, err
	}
	arts, err := readArticles(ctx, sess, f, opts, res)
	if err != nil {
		return nil, nil, err
	}
	keys := make([]string, len(arts))
	for i := range arts {
		it := &arts[i]
		it.prompt = renderPrompt(f, it.text, w.set.evidence)
		it.promptSHA = sha(it.prompt)
		keys[i] = w.set.cacheKey(orc.Kind(), orc.Model(), it.prompt, w.schema, *opts.Temperature, opts.MaxTokens)
	}
	if opts.plan != nil {
		if arts, keys, err = selectOf(ctx, sess, f, arts, keys, done, inputs["labels_input"] != "", opts, res); err != nil {
			return nil, nil, err
		}
	}
	var items []item
	for i, it := range arts {
		key := keys[i]
		for r := range opts.Repeat {
			it.repeat, it.key = r, RepeatKey(key, r)
			res.RowsIn++
			if done[it.id+"|"+it.key] && !opts.Full {
				res.AlreadyDone++
				continue
			}
			items = append(items, it)
		}
	}
	cache := map[string]call{}
	if inputs["oracle_calls_input"] == "" {
		return items, cache, nil
	}
	err = sess.EachFile(ctx, "label/cached_answers", nil, func(rows *sql.Rows) error {
		var c call
		if err := rows.Scan(&c.Key, &c.Response, &c.TokensIn, &c.TokensOut); err != nil {
			return err
		}
		cache[c.Key] = c
		return nil
	})
	return items, cache, err
}

// doneKeys is the asks already labeled, each as id|cache_key. Done means
// the same id and cache key (see sql/label/done_keys.sql), never the key
// alone, which articles with the same text share.
func doneKeys(ctx context.Context, sess *lake.Session, labels bool) (map[string]bool, error) {
	done := map[string]bool{}
	if !labels {
		return done, nil
	}
	err := sess.EachFile(ctx, "label/done_keys", nil, func(rows *sql.Rows) error {
		var k sql.NullString
		if err := rows.Scan(&k); err != nil {
			return err
		}
		if k.Valid {
			done[k.String] = true
		}
		return nil
	})
	return done, err
}

// readArticles reads the compressed articles to label (their id, text and
// text hash): every one in id order, or under Options.Sample the sample
// (sampleOf) in its seed's order.
func readArticles(ctx context.Context, sess *lake.Session, f *filters.Filter, opts Options, res *Result) ([]item, error) {
	file, params := "label/articles", lake.Params(nil)
	if opts.Sample > 0 || opts.Select != "" {
		file, params = "label/sample", lake.Params{"seed": opts.Seed}
	}
	var arts []item
	err := sess.EachFile(ctx, file, params, func(rows *sql.Rows) error {
		var it item
		if err := rows.Scan(&it.id, &it.text, &it.inputSHA); err != nil {
			return err
		}
		arts = append(arts, it)
		return nil
	})
	if err != nil || opts.Sample == 0 {
		return arts, err // --select chooses later, among the articles not labeled
	}
	return sampleOf(ctx, f, arts, opts, res)
}
