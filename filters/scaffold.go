package filters

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Scaffold writes a valid filter package named name in dir/name/v1, to edit.
// It refuses to overwrite an existing package.
func Scaffold(dir, name string) (string, error) {
	if !snakeCase.MatchString(name) {
		return "", fmt.Errorf("%w: filter name %q must be snake_case", ErrInvalid, name)
	}
	pkg := filepath.Join(dir, name, "v1")
	if _, err := os.Stat(pkg); err == nil {
		return "", fmt.Errorf("%s exists: edit it, or copy it to v2 for a new version", pkg)
	}
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		return "", err
	}
	files := map[string]string{
		ConfigFile: strings.ReplaceAll(scaffoldYAML, "NAME", name),
		PromptFile: scaffoldPrompt,
		ReadmeFile: strings.ReplaceAll(scaffoldReadme, "NAME", name),
	}
	for f, text := range files {
		if err := os.WriteFile(filepath.Join(pkg, f), []byte(text), 0o644); err != nil {
			return "", err
		}
	}
	return pkg, nil
}

const scaffoldYAML = `# NAME: describe what this filter finds. Dimension weights must sum to 1;
# tiers are listed from the highest, the lowest starting at 0. Words marked
# "placeholder" are examples to replace with your topic's own.
name: NAME
version: 1
description: What this filter finds, in a sentence or two.

dimensions:
  - name: relevance
    weight: 0.6
    description: How much the article is about the topic.
    scale:
      0: not about the topic
      10: entirely about the topic
    # The offline keywords oracle (label --oracle keywords) scores a dimension
    # by how many of its keywords an article holds (4 or more give 10); a
    # dimension without keywords scores 0 on every article.
    keywords: [topic, another topic phrase, prefix*] # placeholders: your topic's words
  - name: evidence_quality
    weight: 0.4
    description: How well the article supports its claims.
    keywords: [study, data, survey, percent, according to, measured, report*]

tiers:
  - name: high
    min: 7.0
    description: Clearly on topic, well supported.
  - name: medium
    min: 4.0
    description: Partly on topic.
  - name: low
    min: 0
    description: Off topic.

gatekeepers:
  - dimension: evidence_quality
    below: 2
    cap: 4.0

# The prefilter blocks articles before they are labeled, each rule below
# some of them: distill prefilter prints how many each rule blocked.
prefilter:
  head_chars: 2000
  # Articles with content shorter than 300 characters (about 50 words) are
  # blocked: short news items and summaries among them. Lower it, or set 0,
  # if your sources are short.
  min_chars: 300
  required: [title, content]
  junk: true # blocks cookie and consent walls and paywall stubs
  exclude:
    - category: promotional
      patterns: ['(?i)\b(buy now|use code|sponsored)\b']
      unless: []
  positive:
    # 0 turns this rule off. At 1 or more, an article holding fewer of the
    # keywords and patterns below is blocked: set it once they are your
    # topic's words, not these placeholders.
    min_matches: 0
    keywords: [topic, another topic phrase, prefix*] # placeholders

compression:
  max_words: 800
  head_share: 0.7

splits:
  seed: 42
  ratios: [0.8, 0.1, 0.1]
  stratify_by: tier
  near_duplicate_threshold: 0.8
`

const scaffoldPrompt = `Score the article on each dimension from 0 to 10.

- relevance: how much the article is about the topic.
- evidence_quality: how well it supports its claims.

Answer with one JSON object and nothing else: for every dimension an object
with "score" (integer 0-10) and "evidence" (one short sentence).

Article:
{{article}}
`

const scaffoldReadme = `# NAME v1

What the filter finds, its dimensions, and one example article per tier.
`
