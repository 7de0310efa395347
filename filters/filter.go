// Package filters loads and validates filter packages: the directory
// filters/<name>/v<N>/ with filter.yaml (dimensions, tiers, gatekeepers,
// prefilter rules, compression settings), prompt.md (the oracle prompt with
// an {{article}} placeholder) and README.md. The entry point is Load.
package filters

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/internal/strictyaml"
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
	// ThinkingBudget caps the thought tokens a thinking model may spend on
	// an answer (billed as output): 0 turns thinking off where the model
	// allows it. Absent: the model's default, which distill makes off where
	// it can, else the model's minimum (label's thinking table).
	ThinkingBudget *int `yaml:"thinking_budget"`
	// Evidence is how much evidence the oracle writes per dimension:
	// full (the default: a sentence), short (EvidenceShort) or none
	// (scores only). Evidence is most of an answer's tokens.
	Evidence string `yaml:"evidence"`
}

// Evidence modes (Oracle.Evidence, label --evidence).
const (
	EvidenceFull  = "full"
	EvidenceShort = "short"
	EvidenceNone  = "none"
)

// EvidenceModes lists the evidence modes, the default first.
var EvidenceModes = []string{EvidenceFull, EvidenceShort, EvidenceNone}

// CheckEvidence validates an evidence mode ("" is the default, full).
func CheckEvidence(mode string) error {
	if mode == "" || slices.Contains(EvidenceModes, mode) {
		return nil
	}
	return fmt.Errorf("%q: want %s", mode, strings.Join(EvidenceModes, ", "))
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
	// Languages are the ISO 639-1 codes (en, de, …) an article may be
	// written in; one detected in another language is blocked, one whose
	// language cannot be told passes. Empty: any language.
	Languages []string `yaml:"languages"`
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
	// LearnBoilerplate (default true) cuts the furniture compress learns
	// from each source's pages (corpus.boilerplate) before the rules run.
	LearnBoilerplate *bool `yaml:"learn_boilerplate"`
}

// Learns reports whether the filter cuts learned boilerplate.
func (c Compression) Learns() bool { return c.LearnBoilerplate == nil || *c.LearnBoilerplate }

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
	lines, decoded := strictyaml.Decode(data, &f)
	p := &problems{file: cfgPath, lines: lines}
	whole := false
	for _, d := range decoded {
		p.errs = append(p.errs, &FieldError{File: cfgPath, Line: d.Line, Field: d.Key, Msg: d.Msg})
		p.unread = append(p.unread, d.Key)
		whole = whole || d.Key == ""
	}
	f.Dir = dir
	promptPath := filepath.Join(dir, PromptFile)
	prompt, err := os.ReadFile(promptPath)
	if err != nil {
		return nil, append(p.errs, &FieldError{File: promptPath, Msg: "cannot read: " + err.Error()})
	}
	f.Prompt = string(prompt)
	// A file that does not parse has no values to check: its problems
	// would all be of the zero values.
	if !whole {
		f.validate(p, promptPath)
	}
	if len(p.errs) > 0 {
		return nil, p.sorted()
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
	if f.Oracle.Evidence == "" {
		f.Oracle.Evidence = EvidenceFull
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
		return fmt.Errorf("ratios %s: want three (train, val, test), e.g. 0.8, 0.1, 0.1", numbers(r))
	}
	sum := 0.0
	for _, x := range r {
		if x < 0 || x > 1 {
			return fmt.Errorf("ratios %s: each must be within 0-1", numbers(r))
		}
		sum += x
	}
	if math.Abs(sum-1) > 1e-9 {
		return fmt.Errorf("ratios %s sum to %s, not 1", numbers(r), human.Number(sum))
	}
	return nil
}

// numbers lists r as a person writes it: "0.8, 0.1, 0.1".
func numbers(r []float64) string {
	out := make([]string, len(r))
	for i, x := range r {
		out[i] = human.Number(x)
	}
	return strings.Join(out, ", ")
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
