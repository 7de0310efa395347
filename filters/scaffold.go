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
# tiers are listed from the highest, the lowest starting at 0.
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
  - name: evidence_quality
    weight: 0.4
    description: How well the article supports its claims.

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

prefilter:
  head_chars: 2000
  min_chars: 300
  required: [title, content]
  junk: true
  exclude:
    - category: promotional
      patterns: ['(?i)\b(buy now|use code|sponsored)\b']
      unless: []
  positive:
    min_matches: 1
    keywords: [topic, another topic phrase, prefix*]

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
