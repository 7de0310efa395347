-- MAE per dimension for each model next to the baseline's (always predicting
-- the training mean): the bars of the report's "MAE per dimension" chart.
-- Reads: report_evaluations (sql/report/latest_evaluations.sql: one evaluation
--        run per model), filter_dimensions (dimension, weight, position).
-- Returns: model, dimension, position (the filter's dimension order, then
--          overall, then _all: every score pooled), n, mae, baseline_mae (null
--          without training articles), rmse, bias, spearman, compared_with,
--          evaluated_at (of the model's run), weighted_mae and effective_n
--          (eval's estimate over the pool label --select drew from; null when
--          the articles weigh the same, or in a table from before it); models
--          in the order they were evaluated, then by position.
SELECT e.model, e.dimension,
       CASE e.dimension WHEN 'overall' THEN 1000 WHEN '_all' THEN 1001 ELSE coalesce(d.position, 999) END AS position,
       e.n, e.mae, e.baseline_mae, e.rmse, e.bias, e.spearman, e.compared_with,
       max(e.evaluated_at) OVER (PARTITION BY e.model) AS evaluated_at, e.weighted_mae, e.effective_n
FROM report_evaluations e
LEFT JOIN filter_dimensions d ON d.dimension = e.dimension
WHERE e.dimension <> '_tiers' AND e.mae IS NOT NULL
ORDER BY evaluated_at NULLS FIRST, e.model, position, e.dimension
