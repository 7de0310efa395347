package compress_test

import (
	"crypto/md5"
	"encoding/csv"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/stages/compress"
)

// learnedModel learns the boilerplate of the ai-tech sample (per source,
// each source's pages in the order the lake reads them, by md5 of the id,
// and at most BoilerplateMaxPages of them)
// and of the BBC files (one dataset), as compress would.
func learnedModel(t testing.TB) *compress.Model {
	t.Helper()
	learnedOnce.Do(func() { learned = learnModel(t) })
	if learned == nil {
		t.Fatal("learning the model failed in an earlier test")
	}
	return learned
}

var (
	learnedOnce sync.Once
	learned     *compress.Model
)

func learnModel(t testing.TB) *compress.Model {
	t.Helper()
	bySource := map[string][]string{}
	ids := map[string][]string{}
	all := aiTechPages(t)
	for id, p := range all {
		ids[p.source] = append(ids[p.source], id)
	}
	for src, list := range ids {
		sort.Slice(list, func(i, j int) bool { return md5hex(list[i]) < md5hex(list[j]) })
		for _, id := range list[:min(len(list), compress.BoilerplateMaxPages)] {
			bySource[src] = append(bySource[src], all[id].text)
		}
	}
	root := testutil.Shared(t, bbcRoot)
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".txt") {
			return err
		}
		b, err := os.ReadFile(p)
		bySource["bbc"] = append(bySource["bbc"], string(b))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	m := &compress.Model{Sources: map[string]*compress.SourceModel{}}
	for src, pages := range bySource {
		if sm := compress.LearnSource(src, pages); sm != nil {
			m.Sources[src] = sm
		}
	}
	return m
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Every span of the hand-checked pages that must go is cut, and not one
// byte of a span that must stay is: learned furniture and the rules
// together, exactly what Render removes before it chooses head and tail.
func TestBoilerplate_HandCheckedPages(t *testing.T) {
	model := learnedModel(t)
	settings, err := compress.SettingsFor(load(t))
	if err != nil {
		t.Fatal(err)
	}
	settings.Model = model
	pages := truthPages(t)
	sources := map[string]string{}
	for id, p := range aiTechPages(t) {
		sources[truthAITech+":"+id] = p.source
	}
	removed := map[string][]compress.Span{}
	for k, text := range pages {
		a := compress.Article{Content: text, Source: sources[k]}
		if strings.HasPrefix(k, truthBBC+":") {
			a.Dataset = "bbc"
		}
		removed[k] = compress.Removed(a, settings)
	}
	var lost, left, stays, goes int
	for _, s := range loadTruth(t) {
		text := pages[s.key()]
		cut := removed[s.key()]
		if s.keep {
			stays++
			for _, r := range cut {
				if r.Start < s.end && s.start < r.End {
					lost++
					t.Errorf("%s: article text [%d,%d) was cut with [%d,%d): %q", s.key(), s.start, s.end, r.Start, r.End, clip(text[max(r.Start, s.start):min(r.End, s.end)]))
					break
				}
			}
			continue
		}
		goes++
		if w := uncut(text, s.start, s.end, cut); w != "" {
			left++
			t.Logf("%s: furniture [%d,%d) kept: %q", s.key(), s.start, s.end, clip(w))
		}
	}
	t.Logf("%d of %d spans to stay lost, %d of %d spans to go kept (at least in part)", lost, stays, left, goes)
	// Measured: 32 of 162. What is left is mostly lists that change from
	// page to page (related stories whose titles are sentences, tag and
	// author lists) and short buttons; this holds the line.
	if left > 32 {
		t.Errorf("%d of %d furniture spans kept (at least in part): more than the 32 measured", left, goes)
	}
}

// uncut is the words of text[start:end] (holding a letter or a digit) that
// no span of cut covers, joined; "" when all are cut.
func uncut(text string, start, end int, cut []compress.Span) string {
	var out []string
	for i := start; i < end; {
		for i < end && unicode.IsSpace(rune(text[i])) {
			i++
		}
		j := i
		for j < end && !unicode.IsSpace(rune(text[j])) {
			j++
		}
		if i < j && strings.IndexFunc(text[i:j], func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
			covered := false
			for _, r := range cut {
				if r.Start <= i && j <= r.End {
					covered = true
					break
				}
			}
			if !covered {
				out = append(out, text[i:j])
			}
		}
		i = j
	}
	return strings.Join(out, " ")
}

func clip(s string) string {
	if len(s) > 160 {
		return s[:80] + " … " + s[len(s)-80:]
	}
	return s
}

// Clean text loses (almost) nothing: BBC's full texts and AG News' leads,
// learned per dataset as compress learns them (from 2,000 pages at most), lose at most 1% of their
// words to the learned model and the rules together. The scraped ai-tech
// pages lose far more: that is their furniture (logged, not held).
func TestBoilerplate_CleanCorporaKeepTheirWords(t *testing.T) {
	settings, err := compress.SettingsFor(load(t))
	if err != nil {
		t.Fatal(err)
	}
	var bbc []string
	root := testutil.Shared(t, bbcRoot)
	if err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".txt") {
			return err
		}
		b, err := os.ReadFile(p)
		bbc = append(bbc, string(b))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(testutil.Shared(t, "corpus/ag_news/test.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	recs, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var ag []string
	for _, r := range recs[1:] {
		ag = append(ag, r[2])
	}
	var ai []compress.Article
	for _, p := range aiTechPages(t) {
		ai = append(ai, compress.Article{Source: p.source, Content: p.text})
	}
	for _, c := range []struct {
		name string
		arts []compress.Article
		most float64
	}{{"bbc", articles("bbc", bbc), 0.01}, {"ag_news", articles("ag_news", ag), 0.01}, {"ai-tech", ai, 1}} {
		settings.Model = learnedModel(t) // per source, as compress learns it
		if c.name != "ai-tech" {
			// compress learns from at most BoilerplateMaxPages a source,
			// chosen by a hash of the id: here, of the text.
			var pages []string
			for _, a := range c.arts {
				pages = append(pages, a.Content)
			}
			sort.Slice(pages, func(i, j int) bool { return md5hex(pages[i]) < md5hex(pages[j]) })
			pages = pages[:min(len(pages), compress.BoilerplateMaxPages)]
			settings.Model = &compress.Model{Sources: map[string]*compress.SourceModel{}}
			if sm := compress.LearnSource(c.name, pages); sm != nil {
				settings.Model.Sources[c.name] = sm
			}
		}
		var words, lost int
		for _, a := range c.arts {
			words += len(strings.Fields(a.Content))
			for _, sp := range compress.Removed(a, settings) {
				lost += len(strings.Fields(a.Content[sp.Start:sp.End]))
			}
		}
		share := float64(lost) / float64(words)
		t.Logf("%s: %d pages, %d words, %d cut (%.2f%%)", c.name, len(c.arts), words, lost, 100*share)
		if share > c.most {
			t.Errorf("%s loses %.2f%% of its words (at most %.0f%%)", c.name, 100*share, 100*c.most)
		}
	}
}

// articles are pages of a dataset with no source.
func articles(dataset string, pages []string) []compress.Article {
	out := make([]compress.Article, len(pages))
	for i, p := range pages {
		out[i] = compress.Article{Dataset: dataset, Content: p}
	}
	return out
}
