// Package filters loads and validates filter packages: the directory
// filters/<name>/v<N>/ with filter.yaml (dimensions, tiers, gatekeepers,
// prefilter rules, compression settings), prompt.md (the oracle prompt with
// an {{article}} placeholder) and README.md. The entry point is Load.
package filters

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Files of a filter package.
const (
	ConfigFile  = "filter.yaml"
	PromptFile  = "prompt.md"
	ReadmeFile  = "README.md"
	Placeholder = "{{article}}"
)

// Filter is a loaded, validated filter package.
type Filter struct {
	Name        string       `yaml:"name"`
	Version     int          `yaml:"version"`
	Description string       `yaml:"description"`
	Dimensions  []Dimension  `yaml:"dimensions"`
	Tiers       []Tier       `yaml:"tiers"`
	Gatekeepers []Gatekeeper `yaml:"gatekeepers"`
	Prefilter   Prefilter    `yaml:"prefilter"`
	Compression Compression  `yaml:"compression"`
	Oracle      Oracle       `yaml:"oracle"`
	Splits      Splits       `yaml:"splits"`

	// Dir is the package directory, Prompt the text of prompt.md, SHA256 the
	// hash over the package's files: it goes into every snapshot it produces.
	Dir    string `yaml:"-"`
	Prompt string `yaml:"-"`
	SHA256 string `yaml:"-"`
}

// Dimension is one 0-10 score the oracle gives.
type Dimension struct {
	Name        string         `yaml:"name"`
	Weight      float64        `yaml:"weight"`
	Description string         `yaml:"description"`
	Scale       map[int]string `yaml:"scale"`
	// Keywords are evidence terms for the offline keywords oracle: the more
	// of them an article holds, the higher it scores on this dimension.
	Keywords []string `yaml:"keywords"`
	// KeywordLevels are evidence terms by score (0-10): the keywords oracle
	// gives the highest level whose terms the article holds. Stage-like
	// dimensions (concept < lab < pilot < commercial) need levels, not counts.
	KeywordLevels map[int][]string `yaml:"keyword_levels"`
}

// Oracle holds labeling defaults; flags override them.
type Oracle struct {
	Model           string  `yaml:"model"`
	Temperature     float64 `yaml:"temperature"`
	MaxOutputTokens int     `yaml:"max_output_tokens"`
	// Prices override the built-in price table: model -> USD per million tokens.
	Prices map[string]Price `yaml:"prices"`
}

// Price is what a model costs, in USD per million tokens.
type Price struct {
	Input  float64 `yaml:"input"`
	Output float64 `yaml:"output"`
}

// Tier is a band of the overall score; tiers are listed from the highest.
type Tier struct {
	Name        string  `yaml:"name"`
	Min         float64 `yaml:"min"`
	Description string  `yaml:"description"`
}

// Gatekeeper caps the overall score when a dimension is below a threshold,
// e.g. evidence_quality < 3 caps the overall score at 3.5.
type Gatekeeper struct {
	Dimension string  `yaml:"dimension"`
	Below     float64 `yaml:"below"`
	Cap       float64 `yaml:"cap"`
}

// Prefilter is the cheap screen that decides which articles are worth a label.
type Prefilter struct {
	// HeadChars: rules match the title plus the first HeadChars characters.
	HeadChars int `yaml:"head_chars"`
	// MinChars is the minimum content length in characters (not words: CJK has no spaces).
	MinChars int `yaml:"min_chars"`
	// Required fields: any of title, content, url, published_date, source.
	Required []string `yaml:"required"`
	// ExcludeDomains blocks URLs whose host is or ends with one of these.
	ExcludeDomains []string `yaml:"exclude_domains"`
	// Junk turns on scrape-junk detection (cookie and consent walls, paywall stubs).
	Junk bool `yaml:"junk"`
	// Exclude lists categories of exclusion regexes, each with override keywords.
	Exclude []Exclusion `yaml:"exclude"`
	// Positive is what an article must mention to be worth labeling.
	Positive Positive `yaml:"positive"`
}

// Exclusion blocks an article whose head matches one of Patterns, unless it
// also contains one of Unless.
type Exclusion struct {
	Category string   `yaml:"category"`
	Patterns []string `yaml:"patterns"`
	Unless   []string `yaml:"unless"`
}

// Positive requires MinMatches hits of Keywords (case-insensitive words or
// phrases; a trailing * matches a prefix, e.g. renewabl*) or Patterns (regexes).
type Positive struct {
	Keywords   []string `yaml:"keywords"`
	Patterns   []string `yaml:"patterns"`
	MinMatches int      `yaml:"min_matches"`
}

// Compression says how article text is cut down to the model input.
type Compression struct {
	MaxWords  int     `yaml:"max_words"`
	HeadShare float64 `yaml:"head_share"`
	// Boilerplate are extra regexes; a line matching one is dropped.
	Boilerplate []string `yaml:"boilerplate"`
}

// Splits are the defaults of `distill split` (each a flag too) and the
// near-duplicate rule that keeps copies of an article in one split.
type Splits struct {
	Seed       int       `yaml:"seed"`
	Ratios     []float64 `yaml:"ratios"`
	StratifyBy string    `yaml:"stratify_by"`
	Combine    string    `yaml:"combine"`
	// NearDuplicateThreshold is the estimated Jaccard similarity of word
	// 5-shingles at or above which two articles are one duplicate group.
	NearDuplicateThreshold float64 `yaml:"near_duplicate_threshold"`
	// MaxTierShare caps a tier's share of the training set under --balance.
	MaxTierShare float64 `yaml:"max_tier_share"`
	// MinTierShare: a tier below it is reported, never invented.
	MinTierShare float64 `yaml:"min_tier_share"`
}

// Defaults for fields left out of filter.yaml.
const (
	DefaultHeadChars = 2000
	DefaultMaxWords  = 800
	DefaultHeadShare = 0.7
)

var (
	snakeCase = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	versionRe = regexp.MustCompile(`^v([0-9]+)$`)
)

// Namespace is the filter's lake namespace: its name.
func (f *Filter) Namespace() string { return f.Name }

// Ref is "name/vN sha256", what snapshots record.
func (f *Filter) Ref() string { return fmt.Sprintf("%s/v%d %s", f.Name, f.Version, f.SHA256) }

// DimensionNames lists the dimensions in order.
func (f *Filter) DimensionNames() []string {
	out := make([]string, len(f.Dimensions))
	for i, d := range f.Dimensions {
		out[i] = d.Name
	}
	return out
}

// RenderPrompt is the oracle prompt for one article: prompt.md with the
// model input (compress.Render's output, never another rendering) in place
// of {{article}}.
func (f *Filter) RenderPrompt(input string) string {
	return strings.Replace(f.Prompt, Placeholder, input, 1)
}

// Load reads and validates the filter package in dir. Every problem found is
// returned at once, each naming its file and field.
func Load(dir string) (*Filter, error) {
	dir = filepath.Clean(dir)
	cfgPath := filepath.Join(dir, ConfigFile)
	data, err := os.ReadFile(cfgPath)
	if err != nil {
		return nil, &FieldError{File: cfgPath, Msg: "cannot read: " + err.Error()}
	}
	var f Filter
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true) // a typo is an error, not a silently ignored setting
	if err := dec.Decode(&f); err != nil {
		return nil, &FieldError{File: cfgPath, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	f.Dir = dir
	promptPath := filepath.Join(dir, PromptFile)
	prompt, err := os.ReadFile(promptPath)
	if err != nil {
		return nil, &FieldError{File: promptPath, Msg: "cannot read: " + err.Error()}
	}
	f.Prompt = string(prompt)
	if errs := f.validate(cfgPath, promptPath); len(errs) > 0 {
		return nil, errs
	}
	f.applyDefaults()
	f.SHA256, err = packageSHA(dir)
	if err != nil {
		return nil, err
	}
	return &f, nil
}

func (f *Filter) applyDefaults() {
	if f.Prefilter.HeadChars == 0 {
		f.Prefilter.HeadChars = DefaultHeadChars
	}
	if f.Compression.MaxWords == 0 {
		f.Compression.MaxWords = DefaultMaxWords
	}
	if f.Compression.HeadShare == 0 {
		f.Compression.HeadShare = DefaultHeadShare
	}
	if f.Oracle.MaxOutputTokens == 0 {
		f.Oracle.MaxOutputTokens = 2048
	}
	f.Splits.defaults()
}

// defaults fills the splits settings left out of filter.yaml.
func (sp *Splits) defaults() {
	if sp.Seed == 0 {
		sp.Seed = 42
	}
	if sp.Ratios == nil {
		sp.Ratios = []float64{0.8, 0.1, 0.1}
	}
	if sp.StratifyBy == "" {
		sp.StratifyBy = "tier"
	}
	if sp.Combine == "" {
		sp.Combine = "latest"
	}
	if sp.NearDuplicateThreshold == 0 {
		sp.NearDuplicateThreshold = 0.8
	}
	if sp.MaxTierShare == 0 {
		sp.MaxTierShare = 0.4
	}
	if sp.MinTierShare == 0 {
		sp.MinTierShare = 0.1
	}
}

// CheckRatios validates train/val/test ratios: three shares, none
// negative, train positive, summing to 1.
func CheckRatios(r []float64) error {
	if len(r) != 3 {
		return fmt.Errorf("ratios %v: want three (train, val, test), e.g. 0.8,0.1,0.1", r)
	}
	sum := 0.0
	for _, x := range r {
		if x < 0 || x > 1 {
			return fmt.Errorf("ratios %v: each must be within 0-1", r)
		}
		sum += x
	}
	if r[0] <= 0 {
		return fmt.Errorf("ratios %v: train must be more than 0", r)
	}
	if math.Abs(sum-1) > 1e-9 {
		return fmt.Errorf("ratios %v sum to %g, not 1", r, sum)
	}
	return nil
}

// CheckStratifyBy validates a stratification: tier, overall_bin or <dimension>_bin.
func (f *Filter) CheckStratifyBy(s string) error {
	if s == "tier" || s == "overall_bin" {
		return nil
	}
	if d, ok := strings.CutSuffix(s, "_bin"); ok && slices.Contains(f.DimensionNames(), d) {
		return nil
	}
	return fmt.Errorf("stratify by %q: want tier, overall_bin or one of %s", s, strings.Join(binNames(f), ", "))
}

func binNames(f *Filter) []string {
	var out []string
	for _, d := range f.DimensionNames() {
		out = append(out, d+"_bin")
	}
	return out
}

func (f *Filter) validate(cfg, promptPath string) Errors {
	var errs Errors
	bad := func(field, format string, a ...any) {
		errs = append(errs, &FieldError{File: cfg, Field: field, Msg: fmt.Sprintf(format, a...)})
	}
	if !snakeCase.MatchString(f.Name) {
		bad("name", "%q must be snake_case (it names the lake namespace)", f.Name)
	}
	if m := versionRe.FindStringSubmatch(filepath.Base(f.Dir)); m != nil {
		if n, _ := strconv.Atoi(m[1]); n != f.Version {
			bad("version", "%d, but the package is in folder %s", f.Version, filepath.Base(f.Dir))
		}
	} else if f.Version < 1 {
		bad("version", "must be 1 or more")
	}
	if len(f.Dimensions) == 0 {
		bad("dimensions", "at least one dimension is required")
	}
	seen := map[string]bool{}
	sum := 0.0
	for i, d := range f.Dimensions {
		field := fmt.Sprintf("dimensions[%d]", i)
		switch {
		case !snakeCase.MatchString(d.Name):
			bad(field+".name", "%q must be snake_case", d.Name)
		case seen[d.Name]:
			bad(field+".name", "%q is a duplicate", d.Name)
		}
		seen[d.Name] = true
		if d.Weight <= 0 || d.Weight > 1 {
			bad(field+".weight", "%g must be in (0, 1]", d.Weight)
		}
		sum += d.Weight
		if strings.TrimSpace(d.Description) == "" {
			bad(field+".description", "is empty: the oracle and the README need it")
		}
		for k := range d.Scale {
			if k < 0 || k > 10 {
				bad(fmt.Sprintf("%s.scale.%d", field, k), "scale points are 0-10")
			}
		}
	}
	if len(f.Dimensions) > 0 && math.Abs(sum-1) > 1e-6 {
		bad("dimensions[].weight", "weights sum to %.4g, not 1", sum)
	}
	if len(f.Tiers) < 2 {
		bad("tiers", "at least two tiers are required")
	}
	for i, t := range f.Tiers {
		field := fmt.Sprintf("tiers[%d]", i)
		if !snakeCase.MatchString(t.Name) {
			bad(field+".name", "%q must be snake_case", t.Name)
		}
		if t.Min < 0 || t.Min > 10 {
			bad(field+".min", "%g is outside 0-10", t.Min)
		}
		if i > 0 && t.Min >= f.Tiers[i-1].Min {
			bad(field+".min", "%g is not below the tier above it (%s, %g): list tiers from the highest", t.Min, f.Tiers[i-1].Name, f.Tiers[i-1].Min)
		}
	}
	if n := len(f.Tiers); n > 0 && f.Tiers[n-1].Min != 0 {
		bad(fmt.Sprintf("tiers[%d].min", n-1), "the lowest tier must start at 0, or some scores have no tier")
	}
	for i, g := range f.Gatekeepers {
		field := fmt.Sprintf("gatekeepers[%d]", i)
		if !seen[g.Dimension] {
			bad(field+".dimension", "%q is not a dimension", g.Dimension)
		}
		if g.Below <= 0 || g.Below > 10 || g.Cap < 0 || g.Cap > 10 {
			bad(field, "below and cap must be within 0-10")
		}
	}
	p := f.Prefilter
	if p.HeadChars < 0 {
		bad("prefilter.head_chars", "must be positive")
	}
	if p.MinChars < 0 {
		bad("prefilter.min_chars", "must not be negative")
	}
	for i, r := range p.Required {
		if !slices.Contains([]string{"title", "content", "url", "published_date", "source"}, r) {
			bad(fmt.Sprintf("prefilter.required[%d]", i), "%q: want title, content, url, published_date or source", r)
		}
	}
	cats := map[string]bool{}
	for i, ex := range p.Exclude {
		field := fmt.Sprintf("prefilter.exclude[%d]", i)
		if !snakeCase.MatchString(ex.Category) {
			bad(field+".category", "%q must be snake_case (it appears in reasons)", ex.Category)
		}
		if cats[ex.Category] {
			bad(field+".category", "%q is a duplicate", ex.Category)
		}
		cats[ex.Category] = true
		if len(ex.Patterns) == 0 {
			bad(field+".patterns", "at least one pattern is required")
		}
		for j, pat := range ex.Patterns {
			if _, err := regexp.Compile(pat); err != nil {
				bad(fmt.Sprintf("%s.patterns[%d]", field, j), "regex %q does not compile: %v", pat, err)
			}
		}
		checkKeywords(field+".unless", ex.Unless, bad)
	}
	checkKeywords("prefilter.positive.keywords", p.Positive.Keywords, bad)
	for j, pat := range p.Positive.Patterns {
		if _, err := regexp.Compile(pat); err != nil {
			bad(fmt.Sprintf("prefilter.positive.patterns[%d]", j), "regex %q does not compile: %v", pat, err)
		}
	}
	if p.Positive.MinMatches < 0 {
		bad("prefilter.positive.min_matches", "must not be negative")
	}
	if p.Positive.MinMatches > 0 && len(p.Positive.Keywords)+len(p.Positive.Patterns) == 0 {
		bad("prefilter.positive", "min_matches is set but there are no keywords or patterns")
	}
	for m, p := range f.Oracle.Prices {
		if p.Input < 0 || p.Output < 0 {
			bad("oracle.prices."+m, "prices must not be negative")
		}
	}
	if t := f.Oracle.Temperature; t < 0 || t > 2 {
		bad("oracle.temperature", "%g is outside 0-2", t)
	}
	if f.Oracle.MaxOutputTokens < 0 {
		bad("oracle.max_output_tokens", "must not be negative")
	}
	for i, d := range f.Dimensions {
		checkKeywords(fmt.Sprintf("dimensions[%d].keywords", i), d.Keywords, bad)
		for lvl, terms := range d.KeywordLevels {
			field := fmt.Sprintf("dimensions[%d].keyword_levels.%d", i, lvl)
			if lvl < 0 || lvl > 10 {
				bad(field, "levels are scores 0-10")
			}
			checkKeywords(field, terms, bad)
		}
	}
	c := f.Compression
	if c.MaxWords < 0 || (c.MaxWords > 0 && c.MaxWords < 50) {
		bad("compression.max_words", "%d is too small (50 or more)", c.MaxWords)
	}
	if c.HeadShare < 0 || c.HeadShare > 1 {
		bad("compression.head_share", "%g must be within 0-1", c.HeadShare)
	}
	for j, pat := range c.Boilerplate {
		if _, err := regexp.Compile(pat); err != nil {
			bad(fmt.Sprintf("compression.boilerplate[%d]", j), "regex %q does not compile: %v", pat, err)
		}
	}
	sp := f.Splits
	sp.defaults()
	if err := CheckRatios(sp.Ratios); err != nil {
		bad("splits.ratios", "%v", err)
	}
	if err := f.CheckStratifyBy(sp.StratifyBy); err != nil {
		bad("splits.stratify_by", "%v", err)
	}
	if sp.Combine != "latest" && sp.Combine != "mean" {
		bad("splits.combine", "%q: want latest or mean", sp.Combine)
	}
	if t := sp.NearDuplicateThreshold; t <= 0 || t > 1 {
		bad("splits.near_duplicate_threshold", "%g must be in (0, 1]", t)
	}
	if t := sp.MaxTierShare; t <= 0 || t > 1 {
		bad("splits.max_tier_share", "%g must be in (0, 1]", t)
	}
	if t := sp.MinTierShare; t < 0 || t >= 1 {
		bad("splits.min_tier_share", "%g must be in [0, 1)", t)
	}
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

// packageSHA hashes every regular file of the package (name and content, in
// name order), so any edit gives a new hash.
func packageSHA(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, e := range entries {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", e.Name(), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ScoreOf is the weighted overall score of dimension scores, after gatekeepers.
func (f *Filter) ScoreOf(scores map[string]float64) (overall float64, gated bool) {
	for _, d := range f.Dimensions {
		overall += d.Weight * scores[d.Name]
	}
	for _, g := range f.Gatekeepers {
		if scores[g.Dimension] < g.Below && overall > g.Cap {
			overall, gated = g.Cap, true
		}
	}
	return math.Round(overall*100) / 100, gated
}

// TierOf is the name of the tier an overall score falls in.
func (f *Filter) TierOf(overall float64) string {
	for _, t := range f.Tiers {
		if overall >= t.Min {
			return t.Name
		}
	}
	return f.Tiers[len(f.Tiers)-1].Name
}
