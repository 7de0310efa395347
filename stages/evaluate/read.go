package evaluate

import (
	"context"
	"database/sql"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
)

// The readers below fill the models of one pass from its temporary tables;
// a row of a model not in the map (an uncalibrated model in the calibrated
// pass) is skipped.

// readMetrics fills every model's per-dimension, overall and pooled metrics
// from the rows written to the table.
func readMetrics(ctx context.Context, sess *lake.Session, models map[string]*Model) error {
	return sess.EachFile(ctx, "eval/model_metrics", nil, func(r *sql.Rows) error {
		var model string
		var x Metrics
		var spearman, mean, bmae, brmse, median, mmae, wmae, neff sql.NullFloat64
		if err := r.Scan(&model, &x.Dimension, &x.N, &x.MAE, &x.RMSE, &x.Bias, &spearman, &mean, &bmae, &brmse, &median, &mmae, &wmae, &neff); err != nil {
			return err
		}
		x.Spearman, x.TrainMean, x.BaselineMAE, x.BaselineRMSE = ptr(spearman), ptr(mean), ptr(bmae), ptr(brmse)
		x.TrainMedian, x.MedianBaselineMAE, x.WeightedMAE, x.EffectiveN = ptr(median), ptr(mmae), ptr(wmae), ptr(neff)
		m := models[model]
		if m == nil {
			return nil
		}
		switch x.Dimension {
		case "overall":
			m.Overall = x
			m.Articles = x.N
		case "_all":
			m.All = x
		default:
			m.Dimensions = append(m.Dimensions, x)
		}
		return nil
	})
}

// readTiers fills every model's tier metrics.
func readTiers(ctx context.Context, sess *lake.Session, tiers []filters.Tier, models map[string]*Model) error {
	byModel := map[string]*Tiers{}
	for id, m := range models {
		t := &m.Tiers
		for range tiers {
			t.Confusion = append(t.Confusion, make([]int64, len(tiers)))
		}
		for _, tr := range tiers {
			t.Names = append(t.Names, tr.Name)
		}
		byModel[id] = t
	}
	if err := sess.EachFile(ctx, "eval/confusion_cells", nil, func(r *sql.Rows) error {
		var m string
		var o, p int
		var n int64
		if err := r.Scan(&m, &o, &p, &n); err != nil {
			return err
		}
		if t := byModel[m]; t != nil {
			t.Confusion[o-1][p-1] = n
		}
		return nil
	}); err != nil {
		return err
	}
	if err := sess.EachFile(ctx, "eval/model_tier_accuracy", nil, func(r *sql.Rows) error {
		var m string
		var acc sql.NullFloat64
		var t Tiers
		if err := r.Scan(&m, &t.Articles, &t.Correct, &acc); err != nil {
			return err
		}
		if b := byModel[m]; b != nil {
			b.Articles, b.Correct, b.Accuracy = t.Articles, t.Correct, ptr(acc)
		}
		return nil
	}); err != nil {
		return err
	}
	if err := sess.EachFile(ctx, "eval/model_recall_at_k", nil, func(r *sql.Rows) error {
		var m string
		var rec sql.NullFloat64
		var t Tiers
		if err := r.Scan(&m, &t.K, &t.Relevant, &t.Found, &rec); err != nil {
			return err
		}
		if b := byModel[m]; b != nil {
			b.K, b.Relevant, b.Found, b.RecallAtK = t.K, t.Relevant, t.Found, ptr(rec)
		}
		return nil
	}); err != nil {
		return err
	}
	return sess.EachFile(ctx, "eval/model_threshold_recall", nil, func(r *sql.Rows) error {
		var m string
		var p, rec sql.NullFloat64
		var t Tiers
		if err := r.Scan(&m, &t.ThresholdTier, &t.Threshold, &t.TruePositives, &t.FalsePositives, &t.FalseNegatives, &p, &rec); err != nil {
			return err
		}
		if b := byModel[m]; b != nil {
			b.ThresholdTier, b.Threshold, b.TruePositives, b.FalsePositives, b.FalseNegatives = t.ThresholdTier, t.Threshold, t.TruePositives, t.FalsePositives, t.FalseNegatives
			b.Precision, b.Recall = ptr(p), ptr(rec)
		}
		return nil
	})
}

// readRanking fills every model's recall@k and NDCG@k per upper tier; the
// lowest upper tier's NDCG@k, whose relevant articles are recall_at_k's,
// goes beside it.
func readRanking(ctx context.Context, sess *lake.Session, models map[string]*Model) error {
	for _, m := range models {
		m.Tiers.Upper = []TierRanking{}
	}
	return sess.EachFile(ctx, "eval/model_tier_ranking", nil, func(r *sql.Rows) error {
		var model string
		var x TierRanking
		var rec, ndcg sql.NullFloat64
		if err := r.Scan(&model, &x.Tier, &x.MinScore, &x.K, &x.Relevant, &x.Found, &rec, &ndcg); err != nil {
			return err
		}
		m := models[model]
		if m == nil {
			return nil
		}
		x.RecallAtK, x.NDCGAtK = ptr(rec), ptr(ndcg)
		m.Tiers.Upper = append(m.Tiers.Upper, x)
		m.Tiers.NDCGAtK = x.NDCGAtK
		return nil
	})
}

// readSweep fills every model's threshold sweep and the thresholds it
// recommends.
func readSweep(ctx context.Context, sess *lake.Session, recallTarget float64, models map[string]*Model) error {
	if err := sess.EachFile(ctx, "eval/model_threshold_sweep", nil, func(r *sql.Rows) error {
		var model, tier string
		var decision float64
		var positives int64
		var p SweepPoint
		var prec, rec, f1 sql.NullFloat64
		if err := r.Scan(&model, &tier, &decision, &p.Threshold, &p.Predicted, &p.TruePositives, &positives, &prec, &rec, &f1); err != nil {
			return err
		}
		m := models[model]
		if m == nil {
			return nil
		}
		if m.ThresholdSweep == nil {
			m.ThresholdSweep = &Sweep{DecisionTier: tier, DecisionThreshold: decision, Positives: positives, RecallTarget: recallTarget}
		}
		p.Precision, p.Recall, p.F1 = ptr(prec), ptr(rec), ptr(f1)
		m.ThresholdSweep.Points = append(m.ThresholdSweep.Points, p)
		return nil
	}); err != nil {
		return err
	}
	return sess.EachFile(ctx, "eval/model_sweep_choices", nil, func(r *sql.Rows) error {
		var model, choice string
		var target float64
		var p SweepPoint
		var prec, rec, f1 sql.NullFloat64
		if err := r.Scan(&model, &choice, &target, &p.Threshold, &p.Predicted, &p.TruePositives, &prec, &rec, &f1); err != nil {
			return err
		}
		m := models[model]
		if m == nil || m.ThresholdSweep == nil {
			return nil
		}
		p.Precision, p.Recall, p.F1 = ptr(prec), ptr(rec), ptr(f1)
		if choice == "best_f1" {
			m.ThresholdSweep.BestF1 = &p
		} else {
			m.ThresholdSweep.ForRecallTarget = &p
		}
		return nil
	})
}

func ptr(v sql.NullFloat64) *float64 {
	if !v.Valid {
		return nil
	}
	return &v.Float64
}
