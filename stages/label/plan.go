package label

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/label/oracle"
)

// item is one article to label.
type item struct {
	id, text, inputSHA, prompt, promptSHA, key string
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

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// plan lists the articles to label and loads the cache of good answers.
func plan(ctx context.Context, l *lake.Lake, f *filters.Filter, orc oracle.Oracle, schema []byte, opts Options, res *Result) ([]item, map[string]call, error) {
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
	// Done means the same id and cache key (see sql/label/done_keys.sql),
	// never the key alone, which articles with the same text share.
	done := map[string]bool{}
	if inputs["labels_input"] != "" {
		if err := sess.EachFile(ctx, "label/done_keys", nil, func(rows *sql.Rows) error {
			var k sql.NullString
			if err := rows.Scan(&k); err != nil {
				return err
			}
			if k.Valid {
				done[k.String] = true
			}
			return nil
		}); err != nil {
			return nil, nil, err
		}
	}
	var items []item
	if err := sess.EachFile(ctx, "label/articles", nil, func(rows *sql.Rows) error {
		var it item
		if err := rows.Scan(&it.id, &it.text, &it.inputSHA); err != nil {
			return err
		}
		res.RowsIn++
		it.prompt = f.RenderPrompt(it.text)
		it.promptSHA = sha(it.prompt)
		it.key = CacheKey(orc.Kind(), orc.Model(), it.prompt, schema, *opts.Temperature, opts.MaxTokens)
		if done[it.id+"|"+it.key] && !opts.Full {
			res.AlreadyDone++
			return nil
		}
		items = append(items, it)
		return nil
	}); err != nil {
		return nil, nil, err
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

func estimate(items []item, cache map[string]call, price filters.Price, opts Options, res *Result) {
	outTokens := answerTokens(opts.Filter)
	asked := map[string]bool{}
	for _, it := range items {
		if _, ok := cache[it.key]; ok {
			res.Cached++
			continue
		}
		if asked[it.key] {
			res.Shared++ // the answer asked for its twin serves it
			continue
		}
		asked[it.key] = true
		res.Misses++
		in := int64(promptTokens(it.prompt))
		res.ExpectedIn += in
		res.ExpectedOut += outTokens
	}
	res.ExpectedCost = cost(price, int(res.ExpectedIn), int(res.ExpectedOut))
}

// encodeSchema is the filter's response schema as sent with every call:
// encoded once per run, not once per call.
func encodeSchema(f *filters.Filter) []byte {
	b, _ := json.Marshal(oracle.ResponseSchema(f))
	return b
}
