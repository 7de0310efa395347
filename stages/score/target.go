package score

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/compress"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/stages/prefilter"
	"github.com/distillery/distillery/students"
	"github.com/distillery/distillery/students/calibrate"
)

// target is one filter to score: its production model, the package stored
// with it (whose prefilter, compression and tiers apply), and what the
// run has done for it.
type target struct {
	pkg      *filters.Filter
	model    *students.Model
	cal      *calibrate.Calibration
	calName  string
	rules    *prefilter.Rules
	settings compress.Settings
	// inputs are the models and model_tags snapshots read.
	inputs []lake.Snapshot
	// out is the table written: Scores, or Shadows for a candidate whose
	// production is the production model it runs beside.
	out        *spec.Table
	production string
	// first is the enabled cascade's first stage (nil: none).
	first *firstStage
	// warnings are for the run's result.
	warnings []string
	res      *FilterResult
	// quantize is how a lora model's base loads (see predict.QuantizeFor);
	// "" for other models.
	quantize string
}

// quantizations sets each target's quantize. --quantize 4bit or 8bit is
// refused when no model scored is a lora model, nothing would use it;
// with some that are, each other filter gets a warning that it is scored
// as it is.
func quantizations(targets []*target, q string) error {
	var refused error
	var skipped []*target
	lora := false
	for _, t := range targets {
		quant, err := predict.QuantizeFor(t.model, q)
		if err != nil {
			refused = cmp.Or(refused, err)
			skipped = append(skipped, t)
			continue
		}
		t.quantize, t.res.Quantize = quant, quant
		lora = lora || t.model.Backend == "lora"
	}
	if !lora && refused != nil {
		return fmt.Errorf("%w: %w", ErrOptions, refused)
	}
	for _, t := range skipped {
		t.warnings = append(t.warnings, fmt.Sprintf("--quantize %s: %s's production model %s is a %s model, scored as it is", q, t.pkg.Namespace(), t.model.ID, t.model.Backend))
	}
	return nil
}

// params are the commit's parameters for target t's rows, with quantize
// for a lora model.
func (t *target) params(p map[string]any) map[string]any {
	if t.quantize != "" {
		p["quantize"] = t.quantize
	}
	return p
}

// namespaces are the filters to score: those given, or with All every
// namespace holding a model_tags table.
func namespaces(ctx context.Context, l *lake.Lake, opts Options) ([]string, map[string]*filters.Filter, error) {
	given := map[string]*filters.Filter{}
	var out []string
	for _, f := range opts.Filters {
		given[f.Namespace()] = f
		out = append(out, f.Namespace())
	}
	if !opts.All {
		return out, given, nil
	}
	tables, err := l.Tables(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, t := range tables {
		if t.Name.Table == spec.ModelTags.Name && !slices.Contains(out, t.Name.Namespace) {
			out = append(out, t.Name.Namespace)
		}
	}
	slices.Sort(out)
	return out, given, nil
}

// resolve finds ns's production model and loads what scoring with it
// needs. With All, a namespace without one is skipped (nil, nil).
func resolve(ctx context.Context, l *lake.Lake, ns string, given *filters.Filter, all bool) (*target, error) {
	stub := given
	if stub == nil {
		stub = &filters.Filter{Name: ns}
	}
	sess, err := l.Session(ctx, ns)
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	id, tagSnap, err := productionModel(ctx, sess, stub)
	if err != nil {
		return nil, err
	}
	if id == "" {
		if all {
			return nil, nil
		}
		return nil, spec.Need(spec.ModelTags, ns, fmt.Sprintf("%s: no model of %s is tagged production (distill model tag production MODEL --filter DIR)", ErrNoProduction, ns), ErrNoProduction)
	}
	t, err := load(ctx, l, sess, stub, given, id)
	if err != nil {
		return nil, fmt.Errorf("%s's production model: %w", ns, err)
	}
	t.inputs = append(t.inputs, *tagSnap)
	first, cascSnap, err := cascadeOf(ctx, l, sess, t.pkg)
	if err != nil {
		return nil, err
	}
	if cascSnap != nil {
		t.inputs = append(t.inputs, *cascSnap)
	}
	if first != nil && first.model.FilterSHA != t.model.FilterSHA {
		// The threshold was tuned on scores of another package's weights,
		// gatekeepers and tiers: applying it to this one's would hold back
		// articles on a different scale.
		t.warnings = append(t.warnings, fmt.Sprintf("%s: the cascade is off for this run: its first stage %s was trained for filter package %.12s, production %s for %.12s; measure it again (distill cascade --filter DIR --first MODEL --enable) or turn it off (--disable)",
			ns, first.model.ID, first.model.FilterSHA, t.model.ID, t.model.FilterSHA))
		first = nil
	}
	if t.first = first; first != nil {
		t.res.Cascade = first.model.ID
	}
	return t, nil
}

// load finds model id of stub's namespace and what scoring with it needs:
// the package stored with it, its calibration, rules and settings.
func load(ctx context.Context, l *lake.Lake, sess *lake.Session, stub, given *filters.Filter, id string) (*target, error) {
	m, err := students.Find(ctx, l, stub, id)
	if err != nil {
		return nil, err
	}
	pkg, err := m.Package(l, given)
	if err != nil {
		return nil, err
	}
	if len(m.Dimensions) != len(pkg.Dimensions) {
		return nil, fmt.Errorf("model %s predicts %v; its filter package has %v", m.ID, m.Dimensions, pkg.DimensionNames())
	}
	t := &target{pkg: pkg, model: m, out: spec.Scores}
	if _, snap, err := sess.Relation(ctx, spec.Models.Ref(pkg)); err != nil {
		return nil, err
	} else if snap != nil {
		t.inputs = append(t.inputs, *snap)
	}
	if t.cal, t.calName, err = predict.ModelCalibration(ctx, sess, l, pkg, m); err != nil {
		return nil, err
	}
	if t.rules, err = prefilter.Compile(pkg); err != nil {
		return nil, fmt.Errorf("%s: %w", pkg.Dir, err)
	}
	if t.settings, err = compress.SettingsFor(pkg); err != nil {
		return nil, fmt.Errorf("%s: %w", pkg.Dir, err)
	}
	if t.settings.Learn {
		// The sources' furniture as compress would cut it now.
		if t.settings.Model, err = compress.ReadModel(ctx, l, 0); err != nil {
			return nil, err
		}
	}
	t.res = &FilterResult{Filter: pkg.Namespace(), Model: m.ID, Backend: m.Backend, Package: pkg.Ref(), Calibration: t.calName, Table: spec.Scores.For(pkg).String()}
	return t, nil
}

// productionModel is the model the production tag names ("" when none)
// and the model_tags snapshot read.
func productionModel(ctx context.Context, sess *lake.Session, f *filters.Filter) (string, *lake.Snapshot, error) {
	return students.Tagged(ctx, sess, f, students.Production)
}
