package report

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/inspect/stats"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// Data is every number the report shows, read from the lake. A section whose
// table does not exist yet leaves its fields empty and says why in Missing.
type Data struct {
	Filter    string    `json:"filter"` // name/vN
	Lake      string    `json:"lake"`
	Generated time.Time `json:"generated"`

	// Labels is the labels snapshot read (ns.table@N); empty without labels.
	Labels     string            `json:"labels,omitempty"`
	Combine    string            `json:"combine"`
	LabelRows  int64             `json:"label_rows"`
	Articles   int64             `json:"articles"`
	Tiers      []stats.Tier      `json:"tiers"`
	Dimensions []stats.Dimension `json:"dimensions"`
	Warnings   []string          `json:"warnings"`

	// Splits is the splits snapshot read; empty before `distill split`.
	Splits  string            `json:"splits,omitempty"`
	Balance []stats.SplitTier `json:"split_balance"`

	// Calls is the oracle_calls snapshot read; empty when there is none.
	Calls    string     `json:"oracle_calls,omitempty"`
	Cost     stats.Cost `json:"cost"`
	Unit     string     `json:"unit,omitempty"` // of Activity's buckets
	Activity []Activity `json:"activity"`

	// Evaluations is the evaluations snapshot read; Split the split charted.
	Evaluations string      `json:"evaluations,omitempty"`
	Split       string      `json:"split"`
	Errors      []ErrorRow  `json:"errors"`
	Confusion   []Confusion `json:"confusion"`
	Ranking     []Ranking   `json:"ranking"`

	// Funnel is how many articles reach each step from corpus.raw to a
	// split, up to the first table with no snapshot yet; Blocked is why the
	// prefilter blocked the others, by rule; FunnelRead the snapshots read.
	Funnel     []FunnelStep  `json:"funnel"`
	Blocked    []BlockedRule `json:"prefilter_blocked"`
	FunnelRead []string      `json:"funnel_read"`
	// FunnelNotes name each table of the funnel with no snapshot yet and
	// the command that writes it.
	FunnelNotes []string `json:"funnel_notes"`

	// Agreements is the agreements snapshot read; Agreement the latest
	// agree run's comparisons; NoiseFloor the labels' oracle's self-MAE and
	// its MAE against another oracle (nil when neither exists).
	Agreements string         `json:"agreements,omitempty"`
	Agreement  []AgreementRow `json:"agreement"`
	NoiseFloor *curate.Floor  `json:"noise_floor,omitempty"`
	// AgreementNotes say when a comparison is older than the labels.
	AgreementNotes []string `json:"agreement_notes,omitempty"`

	// Drifts is the drift snapshot read; Drift the latest drift run's
	// comparisons with the training labels and the earlier windows, of
	// window DriftWindow (windows by DriftBy), flagged above DriftThreshold.
	Drifts         string     `json:"drifts,omitempty"`
	Drift          []DriftRow `json:"drift"`
	DriftWindow    string     `json:"drift_window,omitempty"`
	DriftBy        string     `json:"drift_by,omitempty"`
	DriftThreshold float64    `json:"drift_threshold,omitempty"`
	DriftNotes     []string   `json:"drift_notes,omitempty"`

	Tables []History `json:"tables"`

	// Missing says, by section id, why a section has nothing to show.
	Missing map[string]string `json:"missing"`
}

// FunnelStep is one step of the funnel: the articles of the step before
// that reached it.
type FunnelStep struct {
	Step     string `json:"step"`
	Articles int64  `json:"articles"`
	// ShareOfPrevious is nil for the first step and after an empty one.
	ShareOfPrevious *float64 `json:"share_of_previous"`
	ShareOfRaw      *float64 `json:"share_of_raw"`
}

// BlockedRule is the articles one prefilter rule blocked ("(not prefiltered
// yet)": those it has not decided on), with the rule's most common reason.
type BlockedRule struct {
	Rule              string  `json:"rule"`
	Articles          int64   `json:"articles"`
	ShareOfRaw        float64 `json:"share_of_raw"`
	Reasons           int64   `json:"reasons"`
	TopReason         string  `json:"top_reason"`
	TopReasonArticles int64   `json:"top_reason_articles"`
}

// Activity is one oracle model's labels and calls in one time bucket.
type Activity struct {
	Bucket         time.Time `json:"bucket"`
	Oracle         string    `json:"oracle"`
	Model          string    `json:"model"`
	Labels         int64     `json:"labels"`
	Calls          int64     `json:"calls"`
	FailedCalls    int64     `json:"failed_calls"`
	CostUSD        float64   `json:"cost_usd"`
	CumulativeCost float64   `json:"cumulative_cost_usd"`
}

// Series names the oracle model that made the row: oracle/model, or the
// oracle alone when no model is recorded.
func (a Activity) Series() string {
	if a.Model == "" {
		return a.Oracle
	}
	return a.Oracle + "/" + a.Model
}

// ErrorRow is one model's error on one dimension (or overall, or _all).
type ErrorRow struct {
	Model        string   `json:"model"`
	Dimension    string   `json:"dimension"`
	N            int64    `json:"n"`
	MAE          float64  `json:"mae"`
	BaselineMAE  *float64 `json:"baseline_mae"`
	RMSE         *float64 `json:"rmse"`
	Bias         *float64 `json:"bias"`
	Spearman     *float64 `json:"spearman"`
	ComparedWith string   `json:"compared_with,omitempty"`
	// WeightedMAE and EffectiveN are eval's estimate of the MAE over the
	// pool label --select drew from (nil: the articles weigh the same).
	WeightedMAE *float64 `json:"weighted_mae,omitempty"`
	EffectiveN  *float64 `json:"effective_n,omitempty"`
}

// Confusion is one cell of a model's tier confusion matrix.
type Confusion struct {
	Model     string   `json:"model"`
	Accuracy  *float64 `json:"tier_accuracy"`
	Oracle    string   `json:"oracle_tier"`
	Predicted string   `json:"predicted_tier"`
	Articles  int64    `json:"articles"`
}

// Ranking is a model's recall@k and NDCG@k for one tier above the bottom
// one, with its threshold sweep's choices (the same on each of its rows).
type Ranking struct {
	Model                 string   `json:"model"`
	Tier                  string   `json:"tier"`
	K                     int64    `json:"k"`
	RecallAtK             *float64 `json:"recall_at_k"`
	NDCGAtK               *float64 `json:"ndcg_at_k"`
	BestF1Threshold       *float64 `json:"best_f1_threshold"`
	BestF1                *float64 `json:"best_f1"`
	RecallTarget          *float64 `json:"recall_target"`
	RecallTargetThreshold *float64 `json:"recall_target_threshold"`
}

// History is one table's snapshots, oldest first.
type History struct {
	Table     string          `json:"table"`
	Snapshots []lake.Snapshot `json:"snapshots"`
}

// Section ids: the HTML anchors, and the keys of Data.Missing.
const (
	SecFunnel     = "funnel"
	SecTiers      = "tiers"
	SecHistograms = "dimensions"
	SecSplits     = "splits"
	SecActivity   = "activity"
	SecMAE        = "mae"
	SecConfusion  = "confusion"
	SecSnapshots  = "snapshots"
)

// Collect reads everything the report shows, in one DuckDB session.
func Collect(ctx context.Context, l *lake.Lake, opts Options) (*Data, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	f := opts.Filter
	d := &Data{Filter: fmt.Sprintf("%s/v%d", f.Name, f.Version), Lake: l.Root, Generated: opts.Now.UTC(), Combine: opts.Combine,
		Split: opts.Split, Warnings: []string{}, Missing: map[string]string{}}
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	if err := curate.DefineFilter(ctx, sess, f); err != nil {
		return nil, err
	}
	prep, err := curate.Prepare(ctx, sess, f, opts.Labels, opts.Combine)
	switch {
	case errors.Is(err, curate.ErrNoLabels):
		why := "No labels yet: run `distill label --filter DIR` (or `distill label import`) first."
		for _, s := range []string{SecTiers, SecHistograms, SecSplits} {
			d.Missing[s] = why
		}
		// Empty inputs keep the SQL that reads them (activity, cost, funnel) valid.
		if _, err := sess.Exec(ctx, "CREATE OR REPLACE TEMP TABLE labels_input (id VARCHAR, oracle VARCHAR, model VARCHAR, cost_usd DOUBLE, labeled_at TIMESTAMPTZ)"); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	default:
		d.Labels, d.LabelRows, d.Articles = prep.Labels.Ref().String(), prep.LabelRows, prep.Articles
		if err := d.labels(ctx, sess, f); err != nil {
			return nil, err
		}
		if err := d.splits(ctx, sess, f); err != nil {
			return nil, err
		}
	}
	if err := d.funnel(ctx, sess, f); err != nil {
		return nil, err
	}
	if err := d.activity(ctx, sess, f); err != nil {
		return nil, err
	}
	if err := d.evaluations(ctx, sess, f); err != nil {
		return nil, err
	}
	var labels *lake.Snapshot
	if prep != nil {
		labels = prep.Labels
	}
	if err := d.agreement(ctx, l, sess, f, labels); err != nil {
		return nil, err
	}
	if err := d.drift(ctx, sess, f); err != nil {
		return nil, err
	}
	if err := d.history(ctx, l, f); err != nil {
		return nil, err
	}
	return d, ctx.Err()
}

// labels reads tier counts and per-dimension histograms as `distill stats`
// does, over every labeled article.
func (d *Data) labels(ctx context.Context, sess *lake.Session, f *filters.Filter) error {
	if err := stats.Scope(ctx, sess, "", ""); err != nil {
		return err
	}
	var err error
	if d.Tiers, d.Dimensions, err = stats.Distribution(ctx, sess); err != nil {
		return err
	}
	d.Warnings = stats.TierWarnings(d.Tiers, d.Articles, f.Splits.MinTierShare, f.Splits.MaxTierShare)
	return nil
}

// splits reads the balance of tiers across the current split.
func (d *Data) splits(ctx context.Context, sess *lake.Session, f *filters.Filter) error {
	rel, snap, err := sess.Relation(ctx, spec.Splits.Ref(f))
	if err != nil && !errors.Is(err, lake.ErrNoTable) {
		return err
	}
	if snap == nil {
		d.Missing[SecSplits] = "No split yet: run `distill split --filter DIR` first."
		return nil
	}
	d.Splits = snap.Ref().String()
	d.Balance, err = stats.SplitBalance(ctx, sess, rel)
	return err
}

// activity reads labels and calls over time, and the money spent.
func (d *Data) activity(ctx context.Context, sess *lake.Session, f *filters.Filter) error {
	snap, err := curate.DefineCalls(ctx, sess, f)
	if err != nil {
		return err
	}
	if snap != nil {
		d.Calls = snap.Ref().String()
	}
	if d.Cost, err = stats.OracleCost(ctx, sess); err != nil {
		return err
	}
	if err := curate.Each(ctx, sess, "report/activity", func(r *sql.Rows) error {
		var a Activity
		err := r.Scan(&d.Unit, &a.Bucket, &a.Oracle, &a.Model, &a.Labels, &a.Calls, &a.FailedCalls, &a.CostUSD, &a.CumulativeCost)
		a.Bucket = a.Bucket.UTC()
		d.Activity = append(d.Activity, a)
		return err
	}); err != nil {
		return err
	}
	if len(d.Activity) == 0 {
		d.Missing[SecActivity] = "No labels and no oracle calls yet: run `distill label --filter DIR` first."
	}
	return nil
}

// evaluations reads the latest evaluation of each model on the split.
func (d *Data) evaluations(ctx context.Context, sess *lake.Session, f *filters.Filter) error {
	rel, snap, err := sess.Relation(ctx, spec.Evaluations.Ref(f))
	if err != nil && !errors.Is(err, lake.ErrNoTable) {
		return err
	}
	if snap == nil {
		why := "No evaluations yet: train a student (`distill train`), predict (`distill predict --model ID`) and run `distill eval --filter DIR --model ID`."
		d.Missing[SecMAE], d.Missing[SecConfusion] = why, why
		return nil
	}
	d.Evaluations = snap.Ref().String()
	if rel, err = withNewColumns(ctx, sess, rel); err != nil {
		return err
	}
	if err := sess.Input(ctx, "evaluations_input", rel); err != nil {
		return err
	}
	if err := sess.TempTable(ctx, "report_evaluations", "report/latest_evaluations", lake.Params{"split": d.Split}); err != nil {
		return err
	}
	if err := curate.Each(ctx, sess, "report/evaluation_errors", func(r *sql.Rows) error {
		var e ErrorRow
		var pos int
		var compared sql.NullString
		var at sql.NullTime
		err := r.Scan(&e.Model, &e.Dimension, &pos, &e.N, &e.MAE, &e.BaselineMAE, &e.RMSE, &e.Bias, &e.Spearman, &compared, &at, &e.WeightedMAE, &e.EffectiveN)
		e.ComparedWith = compared.String
		d.Errors = append(d.Errors, e)
		return err
	}); err != nil {
		return err
	}
	if err := curate.Each(ctx, sess, "report/tier_confusion", func(r *sql.Rows) error {
		var c Confusion
		var oracleRank, predictedRank int
		err := r.Scan(&c.Model, &c.Accuracy, &c.Oracle, &c.Predicted, &oracleRank, &predictedRank, &c.Articles)
		d.Confusion = append(d.Confusion, c)
		return err
	}); err != nil {
		return err
	}
	if err := curate.Each(ctx, sess, "report/ranking", func(r *sql.Rows) error {
		var x Ranking
		err := r.Scan(&x.Model, &x.Tier, &x.K, &x.RecallAtK, &x.NDCGAtK, &x.BestF1Threshold, &x.BestF1, &x.RecallTarget, &x.RecallTargetThreshold)
		d.Ranking = append(d.Ranking, x)
		return err
	}); err != nil {
		return err
	}
	switch {
	case d.Split == CV && len(d.Errors) == 0:
		d.Missing[SecMAE] = "No model has been cross-validated yet: run `distill cv --filter DIR`."
	case len(d.Errors) == 0:
		d.Missing[SecMAE] = fmt.Sprintf("No model has been evaluated on the %s split yet: run `distill eval --filter DIR --model ID --split %s`.", d.Split, d.Split)
	}
	switch {
	case d.Split == CV:
		d.Missing[SecConfusion] = "Cross-validation's pooled rows have no confusion matrix: each fold's is in <filter>.evaluations, split fold1, fold2, …"
	case len(d.Confusion) == 0:
		d.Missing[SecConfusion] = fmt.Sprintf("No tier confusion matrix for the %s split yet: run `distill eval --filter DIR --model ID --split %s`.", d.Split, d.Split)
	}
	return nil
}

// evaluationsSince16 are the columns eval added since issue 16 and their
// types: an evaluations table written before has none of them.
var evaluationsSince16 = [][2]string{{"k", "BIGINT"}, {"recall_at_k", "DOUBLE"}, {"threshold_tier", "VARCHAR"}, {"threshold", "DOUBLE"},
	{"ndcg_at_k", "DOUBLE"}, {"best_f1_threshold", "DOUBLE"}, {"best_f1", "DOUBLE"}, {"recall_target", "DOUBLE"},
	{"recall_target_threshold", "DOUBLE"}, {"calibrated", "BOOLEAN"}, {"weighted_mae", "DOUBLE"}, {"effective_n", "DOUBLE"}}

// withNewColumns adds to the evaluations relation, as nulls, the columns
// the report reads that an older table lacks.
func withNewColumns(ctx context.Context, sess *lake.Session, rel string) (string, error) {
	cols, err := sess.ColumnNames(ctx, rel)
	if err != nil {
		return "", err
	}
	var added []string
	for _, c := range evaluationsSince16 {
		if !slices.Contains(cols, c[0]) {
			added = append(added, "NULL::"+c[1]+" AS "+c[0])
		}
	}
	if len(added) == 0 {
		return rel, nil
	}
	return "(SELECT *, " + strings.Join(added, ", ") + " FROM " + rel + ")", nil
}

// history lists the snapshots of the corpus tables and the filter's
// tables: those of the registry in pipeline order, then any other table of
// those namespaces (made outside distill) by name.
func (d *Data) history(ctx context.Context, l *lake.Lake, f *filters.Filter) error {
	infos, err := l.Tables(ctx)
	if err != nil {
		return err
	}
	var names []lake.TableName
	for _, t := range infos {
		if t.Name.Namespace == spec.CorpusNamespace || t.Name.Namespace == f.Namespace() {
			names = append(names, t.Name)
		}
	}
	slices.SortStableFunc(names, func(a, b lake.TableName) int { return spec.Rank(a) - spec.Rank(b) })
	for _, n := range names {
		snaps, err := l.Snapshots(ctx, n)
		if err != nil {
			return err
		}
		if len(snaps) > 0 {
			d.Tables = append(d.Tables, History{Table: n.String(), Snapshots: snaps})
		}
	}
	if len(d.Tables) == 0 {
		d.Missing[SecSnapshots] = "The lake has no snapshots yet: run `distill ingest FILE` first."
	}
	return nil
}
