package filters

import (
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/internal/lang"
	"github.com/distillery/distillery/internal/strictyaml"
	"github.com/distillery/distillery/internal/suggest"
)

// problems collects the field errors of one filter.yaml, each at the line
// of its key.
type problems struct {
	file  string
	lines strictyaml.Lines
	errs  Errors
	// unread are the keys whose values could not be decoded.
	unread []string
}

// bad records a problem of field at its line in the file, unless the
// field's value was already reported as unreadable: its zero value would
// only repeat that problem in other words.
func (p *problems) bad(field, format string, a ...any) {
	for _, k := range p.unread {
		if field == k || strings.HasPrefix(field, k+".") || strings.HasPrefix(field, k+"[") {
			return
		}
	}
	p.errs = append(p.errs, &FieldError{File: p.file, Line: p.lines.Of(field), Field: field, Msg: fmt.Sprintf(format, a...)})
}

// sorted orders the problems by file and line, as a user fixing them top
// to bottom meets them.
func (p *problems) sorted() Errors {
	slices.SortStableFunc(p.errs, func(a, b *FieldError) int {
		if a.File != b.File {
			return strings.Compare(a.File, b.File)
		}
		return a.Line - b.Line
	})
	return p.errs
}

// badRegex reports a pattern that does not compile under field.
func (p *problems) badRegex(field, pat string) {
	if _, err := regexp.Compile(pat); err != nil {
		p.bad(field, "regex %q does not compile: %s", pat, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
}

func (f *Filter) validate(p *problems, promptPath string) {
	f.validateIdentity(p)
	f.validateDimensions(p)
	f.validateTiers(p)
	f.validateGatekeepers(p)
	f.validatePrefilter(p)
	f.validateOracle(p)
	f.validateKeywords(p)
	f.validateCompression(p)
	f.validateSplits(p)
	p.errs = append(p.errs, f.validatePrompt(promptPath)...)
}

// validateIdentity checks the name and the version against the folder the
// package sits in.
func (f *Filter) validateIdentity(p *problems) {
	if !snakeCase.MatchString(f.Name) {
		p.bad("name", "%q must be snake_case (it names the lake namespace)", f.Name)
	}
	if m := versionRe.FindStringSubmatch(filepath.Base(f.Dir)); m != nil {
		if n, _ := strconv.Atoi(m[1]); n != f.Version {
			p.bad("version", "%d, but the package is in folder %s", f.Version, filepath.Base(f.Dir))
		}
	} else if f.Version < 1 {
		p.bad("version", "must be 1 or more")
	}
}

func (f *Filter) validateDimensions(p *problems) {
	if len(f.Dimensions) == 0 {
		p.bad("dimensions", "at least one dimension is required")
	}
	seen := map[string]bool{}
	sum := 0.0
	for i, d := range f.Dimensions {
		field := fmt.Sprintf("dimensions[%d]", i)
		switch {
		case !snakeCase.MatchString(d.Name):
			p.bad(field+".name", "%q must be snake_case", d.Name)
		case seen[d.Name]:
			p.bad(field+".name", "%q is a duplicate", d.Name)
		case ReservedDimensionName(d.Name) != "":
			p.bad(field+".name", "%q %s: rename the dimension", d.Name, ReservedDimensionName(d.Name))
		}
		seen[d.Name] = true
		if d.Weight <= 0 || d.Weight > 1 {
			p.bad(field+".weight", "%s must be in (0, 1]", human.Number(d.Weight))
		}
		sum += d.Weight
		if strings.TrimSpace(d.Description) == "" {
			p.bad(field+".description", "is empty: the oracle and the README need it")
		}
		for k := range d.Scale {
			if k < 0 || k > 10 {
				p.bad(fmt.Sprintf("%s.scale.%d", field, k), "scale points are 0-10")
			}
		}
	}
	if len(f.Dimensions) > 0 && math.Abs(sum-1) > 1e-6 {
		p.bad("dimensions[].weight", "weights sum to %s, not 1", human.Number(sum))
	}
}

func (f *Filter) validateTiers(p *problems) {
	if len(f.Tiers) < 2 {
		p.bad("tiers", "at least two tiers are required")
	}
	for i, t := range f.Tiers {
		field := fmt.Sprintf("tiers[%d]", i)
		if !snakeCase.MatchString(t.Name) {
			p.bad(field+".name", "%q must be snake_case", t.Name)
		}
		if t.Min < 0 || t.Min > 10 {
			p.bad(field+".min", "%s is outside 0-10", human.Number(t.Min))
		}
		if i > 0 && t.Min >= f.Tiers[i-1].Min {
			p.bad(field+".min", "%s is not below the tier above it (%s, %s): list tiers from the highest", human.Number(t.Min), f.Tiers[i-1].Name, human.Number(f.Tiers[i-1].Min))
		}
	}
	if n := len(f.Tiers); n > 0 && f.Tiers[n-1].Min != 0 {
		p.bad(fmt.Sprintf("tiers[%d].min", n-1), "the lowest tier must start at 0, or some scores have no tier")
	}
}

func (f *Filter) validateGatekeepers(p *problems) {
	for i, g := range f.Gatekeepers {
		field := fmt.Sprintf("gatekeepers[%d]", i)
		if !slices.Contains(f.DimensionNames(), g.Dimension) {
			p.bad(field+".dimension", "%q is not a dimension", g.Dimension)
		}
		if g.Below <= 0 || g.Below > 10 || g.Cap < 0 || g.Cap > 10 {
			p.bad(field, "below and cap must be within 0-10")
		}
	}
}

// prefilterFields are the article fields prefilter.required may name.
var prefilterFields = []string{"title", "content", "url", "published_date", "source"}

func (f *Filter) validatePrefilter(p *problems) {
	pf := f.Prefilter
	if pf.HeadChars < 0 {
		p.bad("prefilter.head_chars", "must be positive")
	}
	if pf.MinChars < 0 {
		p.bad("prefilter.min_chars", "must not be negative")
	}
	for i, r := range pf.Required {
		if !slices.Contains(prefilterFields, r) {
			p.bad(fmt.Sprintf("prefilter.required[%d]", i), "%q: want title, content, url, published_date or source", r)
		}
	}
	validateLanguages(p, pf.Languages)
	cats := map[string]bool{}
	for i, ex := range pf.Exclude {
		field := fmt.Sprintf("prefilter.exclude[%d]", i)
		if !snakeCase.MatchString(ex.Category) {
			p.bad(field+".category", "%q must be snake_case (it appears in reasons)", ex.Category)
		}
		if cats[ex.Category] {
			p.bad(field+".category", "%q is a duplicate", ex.Category)
		}
		cats[ex.Category] = true
		if len(ex.Patterns) == 0 {
			p.bad(field+".patterns", "at least one pattern is required")
		}
		for j, pat := range ex.Patterns {
			p.badRegex(fmt.Sprintf("%s.patterns[%d]", field, j), pat)
		}
		checkKeywords(field+".unless", ex.Unless, p.bad)
	}
	pos := pf.Positive
	checkKeywords("prefilter.positive.keywords", pos.Keywords, p.bad)
	for j, pat := range pos.Patterns {
		p.badRegex(fmt.Sprintf("prefilter.positive.patterns[%d]", j), pat)
	}
	if pos.MinMatches < 0 {
		p.bad("prefilter.positive.min_matches", "must not be negative")
	}
	if pos.MinMatches > 0 && len(pos.Keywords)+len(pos.Patterns) == 0 {
		p.bad("prefilter.positive", "min_matches is set but there are no keywords or patterns")
	}
}

// validateLanguages checks prefilter.languages against the codes language
// detection can return: a code it never returns would block every article.
func validateLanguages(p *problems, codes []string) {
	known := lang.Codes()
	seen := map[string]bool{}
	for i, c := range codes {
		field := fmt.Sprintf("prefilter.languages[%d]", i)
		switch {
		case !slices.Contains(known, c):
			hint := suggest.Phrase(c, known)
			if hint == "" {
				hint = ": want an ISO 639-1 code, one of " + strings.Join(known, ", ")
			}
			p.bad(field, "%q is not a language detection knows%s", c, hint)
		case seen[c]:
			p.bad(field, "%q is a duplicate", c)
		}
		seen[c] = true
	}
}

func (f *Filter) validateOracle(p *problems) {
	for m, pr := range f.Oracle.Prices {
		if pr.Input < 0 || pr.Output < 0 {
			p.bad("oracle.prices."+m, "prices must not be negative")
		}
	}
	if t := f.Oracle.Temperature; t < 0 || t > 2 {
		p.bad("oracle.temperature", "%s is outside 0-2", human.Number(t))
	}
	if f.Oracle.MaxOutputTokens < 0 {
		p.bad("oracle.max_output_tokens", "must not be negative")
	}
	if b := f.Oracle.ThinkingBudget; b != nil && *b < 0 {
		p.bad("oracle.thinking_budget", "%d is negative: want thought tokens per answer (0 turns thinking off), or leave it out for the model's default", *b)
	}
	if err := CheckEvidence(f.Oracle.Evidence); err != nil {
		p.bad("oracle.evidence", "%v", err)
	}
}

// validateKeywords checks the dimensions' evidence terms for the offline
// keywords oracle.
func (f *Filter) validateKeywords(p *problems) {
	for i, d := range f.Dimensions {
		checkKeywords(fmt.Sprintf("dimensions[%d].keywords", i), d.Keywords, p.bad)
		for lvl, terms := range d.KeywordLevels {
			field := fmt.Sprintf("dimensions[%d].keyword_levels.%d", i, lvl)
			if lvl < 0 || lvl > 10 {
				p.bad(field, "levels are scores 0-10")
			}
			checkKeywords(field, terms, p.bad)
		}
	}
}

func (f *Filter) validateCompression(p *problems) {
	c := f.Compression
	if c.MaxWords < 0 || (c.MaxWords > 0 && c.MaxWords < 50) {
		p.bad("compression.max_words", "%d is too small (50 or more)", c.MaxWords)
	}
	if c.HeadShare < 0 || c.HeadShare > 1 {
		p.bad("compression.head_share", "%s must be within 0-1", human.Number(c.HeadShare))
	}
	for j, pat := range c.Boilerplate {
		p.badRegex(fmt.Sprintf("compression.boilerplate[%d]", j), pat)
	}
}

// validateSplits checks the split settings as the split stage will see
// them, defaults filled in.
func (f *Filter) validateSplits(p *problems) {
	sp := f.Splits
	sp.defaults()
	if err := CheckRatios(sp.Ratios); err != nil {
		p.bad("splits.ratios", "%v", err)
	}
	if err := f.CheckStratifyBy(sp.StratifyBy); err != nil {
		p.bad("splits.stratify_by", "%v", err)
	}
	if _, err := ParseCombine(sp.Combine); err != nil {
		p.bad("splits.combine", "%v", err)
	}
	if t := sp.NearDuplicateThreshold; t <= 0 || t > 1 {
		p.bad("splits.near_duplicate_threshold", "%s must be in (0, 1]", human.Number(t))
	}
	if t := sp.MaxTierShare; t <= 0 || t > 1 {
		p.bad("splits.max_tier_share", "%s must be in (0, 1]", human.Number(t))
	}
	if t := sp.MinTierShare; t < 0 || t >= 1 {
		p.bad("splits.min_tier_share", "%s must be in [0, 1)", human.Number(t))
	}
}

// validatePrompt checks prompt.md: the errors name that file, not
// filter.yaml.
func (f *Filter) validatePrompt(promptPath string) Errors {
	var errs Errors
	if !strings.Contains(f.Prompt, Placeholder) {
		errs = append(errs, &FieldError{File: promptPath, Msg: "has no " + Placeholder + " placeholder: the article would never reach the oracle"})
	} else if strings.Count(f.Prompt, Placeholder) > 1 {
		errs = append(errs, &FieldError{File: promptPath, Msg: "has " + Placeholder + " more than once"})
	}
	for _, d := range f.Dimensions {
		if d.Name != "" && !strings.Contains(f.Prompt, d.Name) {
			errs = append(errs, &FieldError{File: promptPath, Field: d.Name, Msg: "the prompt never names this dimension, so the oracle cannot score it"})
		}
	}
	return errs
}

func checkKeywords(field string, kws []string, bad func(string, string, ...any)) {
	for i, k := range kws {
		t := strings.TrimSpace(strings.TrimSuffix(k, "*"))
		if t == "" || strings.Contains(t, "*") {
			bad(fmt.Sprintf("%s[%d]", field, i), "%q: a keyword is a word or phrase, with * only at the end", k)
		}
	}
}

// reservedColumns are the columns beside the dimension columns of the
// tables that have one column per dimension (<filter>.labels and
// <filter>.predictions; a test in spec checks that this list holds them).
var reservedColumns = []string{"id", "model", "overall", "gatekeeper_applied", "tier", "split", "predicted_at", "run_id", "fold",
	"overall_raw", "tier_raw", "calibration", "content_type", "oracle", "prompt_sha256", "input_sha256", "cache_key", "tokens_in",
	"tokens_out", "cost_usd", "latency_ms", "attempts", "cached", "imported", "repaired", "filter_sha256", "labeled_at", "repeat", "extra", "thinking_budget", "evidence_mode", "settings", "selected_by", "inclusion", "selection",
	"passed", "reason", "text_sha256", "stage", "cascade_model", "scored_at", "production", "shadowed_at",
	// distill score --out names each row's filter in a column of its own.
	"filter"}

// ReservedDimensionName says why a dimension may not be called name ("":
// it may): it would collide with another column of the tables that hold
// one column per dimension, a fixed one or another dimension's evidence
// (<dimension>_evidence in labels) or uncalibrated score (<dimension>_raw
// in predictions).
func ReservedDimensionName(name string) string {
	switch {
	case slices.Contains(reservedColumns, name):
		return "is a column of the labels, predictions or scores tables (or of distill score --out)"
	case strings.HasSuffix(name, "_evidence"):
		return "ends in _evidence, which names a dimension's evidence column in the labels table"
	case strings.HasSuffix(name, "_raw"):
		return "ends in _raw, which names a dimension's uncalibrated score column in the predictions table"
	}
	return ""
}
