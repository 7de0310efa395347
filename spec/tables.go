package spec

import (
	"context"
	"slices"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
)

// Kind says which namespace a table lives in.
type Kind int

const (
	// Corpus tables live in the one shared namespace, CorpusNamespace.
	Corpus Kind = iota
	// PerFilter tables live in each filter's own namespace (its name).
	PerFilter
)

// CorpusNamespace is the namespace of the articles every filter reads.
const CorpusNamespace = "corpus"

// Table is one table distill writes.
type Table struct {
	// Name is the table's name within its namespace, e.g. "labels".
	Name string
	Kind Kind
	// Key is the columns that make a row's key: a writer keeps one row per
	// key. Empty for a log that records every call or run as new rows.
	Key []string
	// Doc says what a row is.
	Doc string
	// schema is the table's columns; the filter matters where there is a
	// column per dimension (labels, predictions).
	schema func(*filters.Filter) lake.Schema
	// perDimension marks a table whose schema has columns named after the
	// filter's dimensions, so that describe can say which those are.
	perDimension bool
}

// In names the table in namespace ns (ignored for a corpus table).
func (t *Table) In(ns string) lake.TableName {
	if t.Kind == Corpus {
		ns = CorpusNamespace
	}
	return lake.TableName{Namespace: ns, Table: t.Name}
}

// For names the table for filter f (f may be nil for a corpus table).
func (t *Table) For(f *filters.Filter) lake.TableName {
	if t.Kind == Corpus || f == nil {
		return t.In(CorpusNamespace)
	}
	return t.In(f.Namespace())
}

// Ref is the table for f at its current snapshot.
func (t *Table) Ref(f *filters.Filter) lake.Ref { return lake.Ref{TableName: t.For(f)} }

// Schema is the table's columns for filter f.
func (t *Table) Schema(f *filters.Filter) lake.Schema { return t.schema(f) }

// Ensure creates the table for f if it does not exist, or adds the columns
// it lacks.
func (t *Table) Ensure(ctx context.Context, l *lake.Lake, f *filters.Filter) error {
	return l.EnsureTable(ctx, t.For(f), t.Schema(f))
}

func fixed(s lake.Schema) func(*filters.Filter) lake.Schema {
	return func(*filters.Filter) lake.Schema { return s }
}

// The tables, in the order articles flow through them.
var (
	Raw = &Table{Name: "raw", Kind: Corpus, Key: []string{"id"}, schema: fixed(rawSchema),
		Doc: "one row per ingested article"}
	Rejects = &Table{Name: "rejects", Kind: Corpus, Key: []string{"file", "line", "reason"}, schema: fixed(rejectsSchema),
		Doc: "one row per input record ingest could not use, with the reason"}
	Boilerplate = &Table{Name: "boilerplate", Kind: Corpus, Key: []string{"source", "shingle"}, schema: fixed(boilerplateSchema),
		Doc: "the site furniture learned per source: one row per source, and one per shingle that recurs across its pages"}
	Prefiltered = &Table{Name: "prefiltered", Kind: PerFilter, Key: []string{"id"}, schema: fixed(prefilteredSchema),
		Doc: "one decision per article: passed, or the rule that blocked it"}
	Compressed = &Table{Name: "compressed", Kind: PerFilter, Key: []string{"id"}, schema: fixed(compressedSchema),
		Doc: "the exact model input of each passed article"}
	Embeddings = &Table{Name: "embeddings", Kind: PerFilter, Key: []string{"id", "encoder", "text_sha256"}, schema: fixed(embeddingsSchema),
		Doc: "one vector per compressed article, its text and encoder (distill embed), for selection by similarity and the embed student"}
	Labels = &Table{Name: "labels", Kind: PerFilter, Key: []string{"id", "cache_key"}, schema: labelsSchema, perDimension: true,
		Doc: "one row per label: an article may have several (relabels, other oracles, imports)"}
	OracleCalls = &Table{Name: "oracle_calls", Kind: PerFilter, schema: fixed(oracleCallsSchema),
		Doc: "every oracle response, success or failure"}
	Splits = &Table{Name: "splits", Kind: PerFilter, Key: []string{"id"}, schema: fixed(splitsSchema),
		Doc: "each labeled article's split (train, val, test or excluded)"}
	Models = &Table{Name: "models", Kind: PerFilter, Key: []string{"id"}, schema: fixed(modelsSchema),
		Doc: "one row per trained student"}
	Predictions = &Table{Name: "predictions", Kind: PerFilter, Key: []string{"id", "model"}, schema: predictionsSchema, perDimension: true,
		Doc: "one row per article and model"}
	Evaluations = &Table{Name: "evaluations", Kind: PerFilter, Key: []string{"run_id", "evaluated_at", "model", "split", "dimension", "calibrated"}, schema: fixed(evaluationsSchema),
		Doc: "every evaluation run's metrics, one row per model, split and dimension"}
	ModelTags = &Table{Name: "model_tags", Kind: PerFilter, Key: []string{"run_id", "tagged_at", "tag"}, schema: fixed(modelTagsSchema),
		Doc: "every `distill model tag` run: a tag (e.g. production) and the model it names; the newest row of a tag wins"}
	Gates = &Table{Name: "gates", Kind: PerFilter, Key: []string{"run_id", "gated_at", "against", "metric"}, schema: fixed(gatesSchema),
		Doc: "every gate run's verdict: one row per model compared against and metric, with the paired bootstrap interval of the difference"}
	Agreements = &Table{Name: "agreements", Kind: PerFilter, Key: []string{"run_id", "agreed_at", "kind", "oracle_a", "oracle_b", "dimension"}, schema: fixed(agreementsSchema),
		Doc: "every agree run: how far oracles agree with each other and with themselves (their repeats), per dimension, overall score and tier"}
	Scores = &Table{Name: "scores", Kind: PerFilter, Key: []string{"id", "model"}, schema: scoresSchema, perDimension: true,
		Doc: "every article of corpus.raw scored by the filter's production model, through the prefilter and compression of the package stored with it: what the application downstream reads (distill score)"}
	Shadows = &Table{Name: "shadow", Kind: PerFilter, Key: []string{"id", "model"}, schema: shadowSchema, perDimension: true,
		Doc: "a candidate model's scores of the articles production scored, kept apart from scores: never published (distill shadow)"}
	Cascades = &Table{Name: "cascades", Kind: PerFilter, Key: []string{"run_id", "measured_at"}, schema: fixed(cascadesSchema),
		Doc: "every distill cascade run: a cheap first-stage model and the threshold on its overall score below which distill score does not forward an article to the production model, measured on val and test; the newest row says whether the cascade is on"}
	Drifts = &Table{Name: "drift", Kind: PerFilter, Key: []string{"run_id", "drifted_at", "baseline", "dimension"}, schema: fixed(driftSchema),
		Doc: "every distill drift run: the newest window of scores against the training labels and earlier windows, one row per baseline and dimension (population stability index, means, pass rate), flagged where it moved"}
)

// Tables is every table distill writes, in the order articles flow.
var Tables = []*Table{Raw, Rejects, Boilerplate, Prefiltered, Compressed, Embeddings, Labels, OracleCalls, Agreements, Splits, Models, Predictions, Evaluations,
	ModelTags, Gates, Scores, Shadows, Cascades, Drifts}

// ArticleTables are the tables whose id column is an article's (corpus.raw's
// id), so one article's rows can be followed through them (distill lineage).
// The others key their rows by something else: a student's id (models), a
// run (evaluations), an input line (rejects).
var ArticleTables = []*Table{Raw, Prefiltered, Compressed, Embeddings, Labels, OracleCalls, Splits, Predictions, Scores, Shadows}

// PerArticle reports whether t's id column is an article's id.
func (t *Table) PerArticle() bool { return slices.Contains(ArticleTables, t) }

// TableNamed is the table called name (e.g. "labels"), or nil.
func TableNamed(name string) *Table {
	for _, t := range Tables {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Rank orders table names as the pipeline fills them: the corpus tables,
// then a filter's tables in the order of Tables; a table the registry does
// not know (made outside distill) ranks last.
func Rank(n lake.TableName) int {
	for i, t := range Tables {
		if t.Name == n.Table && (t.Kind == Corpus) == (n.Namespace == CorpusNamespace) {
			return i
		}
	}
	return len(Tables)
}
