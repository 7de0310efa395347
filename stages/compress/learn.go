package compress

import (
	"context"
	"database/sql"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// Model is the learned boilerplate of every source, as corpus.boilerplate
// holds it at one snapshot.
type Model struct {
	Sources map[string]*SourceModel
	// Seq is the corpus.boilerplate snapshot it is (0: none yet); snap is
	// that snapshot, the compressed commit's input.
	Seq  int64
	snap *lake.Snapshot
}

// For is the model of an article's source (nil: none; the rules alone).
func (m *Model) For(source string) *SourceModel {
	if m == nil {
		return nil
	}
	if sm := m.Sources[source]; sm != nil && sm.Version != "" {
		return sm
	}
	return nil
}

// learned is what a source's row in corpus.boilerplate records besides
// its shingles.
type learned struct {
	method      string
	sourcePages int64
	rawSeq      int64
	at          time.Time
	runID       string
}

// stale reports whether a source with pages rows in corpus.raw is to be
// learned (again): never learned, learned by another method, or grown or
// shrunk by BoilerplateRegrow since.
func (m *SourceModel) stale(pages int64) bool {
	if m == nil {
		return pages >= BoilerplateMinPages
	}
	if m.learned.method != BoilerplateMethod {
		return true
	}
	was := float64(m.learned.sourcePages)
	return float64(pages) >= was*(1+BoilerplateRegrow) || float64(pages) <= was*(1-BoilerplateRegrow)
}

// refreshModel brings corpus.boilerplate up to date with corpus.raw (read
// as compress_raw at rawSnap) and returns it: sources never learned, or
// grown or shrunk by a quarter since, are learned from their pages; the
// others keep their model, so their texts do not change.
func refreshModel(ctx context.Context, l *lake.Lake, sess *lake.Session, rawSnap *lake.Snapshot, waiting func(string), res *Result) (*Model, error) {
	name := spec.Boilerplate.For(nil)
	if err := spec.Boilerplate.Ensure(ctx, l, nil); err != nil {
		return nil, err
	}
	lock, err := l.LockTable(ctx, name, spec.Compress.Name, waiting)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	start := time.Now()
	model, up, err := updateModel(ctx, sess, spec.Boilerplate.Ref(nil))
	if err != nil || !up.changed() {
		return model, err
	}
	for _, src := range up.learned {
		model.Sources[src].learned = learned{method: BoilerplateMethod, sourcePages: up.pages[src], rawSeq: rawSnap.Seq, at: start, runID: l.RunID}
	}
	res.BoilerplateLearned = int64(len(up.learned))
	res.LearnSeconds = time.Since(start).Seconds()
	snap, err := writeModel(ctx, l, model, rawSnap)
	if err != nil {
		return nil, err
	}
	model.Seq, model.snap = snap.Seq, snap
	return model, nil
}

// update is what updateModel changed.
type update struct {
	learned []string         // the sources learned (again)
	gone    bool             // a source gone from corpus.raw lost its model
	pages   map[string]int64 // each source's rows in corpus.raw
}

func (u update) changed() bool { return len(u.learned) > 0 || u.gone }

// updateModel reads the model at ref (none when the table has no
// snapshot) and learns, in memory, the sources of compress_raw that are
// stale: what the next compress run writes. A source too small to learn
// gets a model with no version (recorded, so that it is not tried again).
func updateModel(ctx context.Context, sess *lake.Session, ref lake.Ref) (*Model, update, error) {
	up := update{pages: map[string]int64{}}
	model, err := readModel(ctx, sess, ref)
	if err != nil {
		return nil, up, err
	}
	var learn []string
	err = sess.EachFile(ctx, "compress/site_pages", nil, func(r *sql.Rows) error {
		var src string
		var n int64
		if err := r.Scan(&src, &n); err != nil {
			return err
		}
		up.pages[src] = n
		if model.Sources[src].stale(n) {
			learn = append(learn, src)
		}
		return nil
	})
	if err != nil {
		return nil, up, err
	}
	for src := range model.Sources {
		if up.pages[src] == 0 {
			delete(model.Sources, src)
			up.gone = true
		}
	}
	if len(learn) == 0 {
		return model, up, nil
	}
	fresh, err := learnSources(ctx, sess, learn)
	if err != nil {
		return nil, up, err
	}
	for _, src := range learn {
		m := fresh[src]
		if m == nil {
			m = &SourceModel{Source: src}
		}
		model.Sources[src] = m
	}
	up.learned = learn
	return model, up, nil
}

// learnSources reads the pages of the sources and learns each, one
// source per core at a time.
func learnSources(ctx context.Context, sess *lake.Session, sources []string) (map[string]*SourceModel, error) {
	out := map[string]*SourceModel{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	learnOne := func(src string, pages []string) {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if m := LearnSource(src, pages); m != nil {
				mu.Lock()
				out[src] = m
				mu.Unlock()
			}
		}()
	}
	cur, pages := "", []string(nil)
	err := sess.EachFile(ctx, "compress/learn_pages", lake.Params{"sources": sources, "cap": BoilerplateMaxPages}, func(r *sql.Rows) error {
		var src, content string
		if err := r.Scan(&src, &content); err != nil {
			return err
		}
		if src != cur && pages != nil {
			learnOne(cur, pages)
			pages = nil
		}
		cur = src
		pages = append(pages, content)
		return nil
	})
	if pages != nil && err == nil {
		learnOne(cur, pages)
	}
	wg.Wait()
	return out, err
}

// ReadModel reads corpus.boilerplate at the snapshot a compressed text's
// boilerplate_sequence names (seq 0: the current one), so that Render can
// make that text again.
func ReadModel(ctx context.Context, l *lake.Lake, seq int64) (*Model, error) {
	sess, err := l.Session(ctx, spec.CorpusNamespace)
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	ref := spec.Boilerplate.Ref(nil)
	if seq > 0 {
		ref.At = strconv.FormatInt(seq, 10)
	}
	return readModel(ctx, sess, ref)
}

// readModel reads corpus.boilerplate at ref (an empty model when the table
// has no snapshot, or ref is the zero Ref).
func readModel(ctx context.Context, sess *lake.Session, ref lake.Ref) (*Model, error) {
	model := &Model{Sources: map[string]*SourceModel{}}
	if ref.TableName == (lake.TableName{}) { // no table: nothing learned yet
		return model, nil
	}
	rel, snap, err := sess.Relation(ctx, ref)
	if err != nil || snap == nil {
		return model, err
	}
	model.Seq, model.snap = snap.Seq, snap
	if err := sess.Input(ctx, "compress_boilerplate", rel); err != nil {
		return nil, err
	}
	err = sess.EachFile(ctx, "compress/boilerplate", nil, func(r *sql.Rows) error {
		var src string
		var shingle, pages, sourcePages, rawSeq sql.NullInt64
		var version, method, runID sql.NullString
		var at sql.NullTime
		if err := r.Scan(&src, &shingle, &pages, &version, &method, &sourcePages, &rawSeq, &at, &runID); err != nil {
			return err
		}
		m := model.Sources[src]
		if m == nil {
			m = &SourceModel{Source: src, Shingles: map[uint64]int64{}}
			model.Sources[src] = m
		}
		if shingle.Valid {
			m.Shingles[uint64(shingle.Int64)] = pages.Int64
			return nil
		}
		m.Pages, m.Version = pages.Int64, version.String
		m.learned = learned{method: method.String, sourcePages: sourcePages.Int64, rawSeq: rawSeq.Int64, at: at.Time, runID: runID.String}
		return nil
	})
	return model, err
}

// writeModel replaces corpus.boilerplate's content with model.
func writeModel(ctx context.Context, l *lake.Lake, model *Model, rawSnap *lake.Snapshot) (*lake.Snapshot, error) {
	srcs := make([]string, 0, len(model.Sources))
	for src := range model.Sources {
		srcs = append(srcs, src)
	}
	sort.Strings(srcs)
	row := func(rb *lake.RowBuilder, m *SourceModel) {
		if m.Version != "" { // else NULL: too few distinct pages
			rb.String("version", m.Version)
		}
		rb.String("method", m.learned.method)
		rb.Long("source_pages", m.learned.sourcePages)
		rb.Long("raw_sequence", m.learned.rawSeq)
		rb.Time("learned_at", m.learned.at)
		rb.String("run_id", m.learned.runID)
		rb.EndRow()
	}
	pending, err := l.WriteRows(ctx, spec.Boilerplate.For(nil), func(rb *lake.RowBuilder) error {
		for _, src := range srcs {
			m := model.Sources[src]
			rb.String("source", src) // the source's own row: shingle NULL
			rb.Long("pages", m.Pages)
			row(rb, m)
			keys := make([]uint64, 0, len(m.Shingles))
			for h := range m.Shingles {
				keys = append(keys, h)
			}
			sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
			for _, h := range keys {
				rb.String("source", src)
				rb.Long("shingle", int64(h))
				rb.Long("pages", m.Shingles[h])
				row(rb, m)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return pending.Commit(ctx, lake.Commit{Stage: spec.Compress.Name, Inputs: []lake.Snapshot{*rawSnap}, Replace: true,
		Params: map[string]any{"method": BoilerplateMethod, "sources": len(srcs)}})
}
