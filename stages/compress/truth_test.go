package compress_test

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/distillery/distillery/internal/testutil"
)

// The hand-checked ground truth for boilerplate removal lives in
// testdata/boilerplate/truth.tsv as offsets and hashes only: the shared
// corpora are not ours to copy into the repository.
const (
	truthFile   = "testdata/boilerplate/truth.tsv"
	aiTechPath  = "corpus/ai-tech-articles/ai-tech-articles.sample.jsonl.gz"
	bbcRoot     = "corpus/bbc-fulltext/bbc"
	truthAITech = "ai-tech"
	truthBBC    = "bbc"
)

// truthSpan is one row of truth.tsv: bytes [start, end) of a page's raw text
// that a boilerplate cleaner must keep (keep) or remove (!keep).
type truthSpan struct {
	corpus string // "ai-tech" or "bbc"
	page   string // ai-tech id, or a BBC path relative to bbc/ (tech/001.txt)
	keep   bool
	start  int
	end    int
	sha12  string // first 12 hex digits of sha256 of the span's bytes
}

// key names the page of s in truthPages' map.
func (s truthSpan) key() string { return s.corpus + ":" + s.page }

// loadTruth parses truth.tsv, failing the test on any malformed row.
func loadTruth(t testing.TB) []truthSpan {
	t.Helper()
	fh, err := os.Open(truthFile)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var out []truthSpan
	sc := bufio.NewScanner(fh)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 6 {
			t.Fatalf("%s:%d: %d fields, want 6", truthFile, n, len(f))
		}
		s := truthSpan{corpus: f[0], page: f[1], sha12: f[5]}
		switch f[2] {
		case "stay":
			s.keep = true
		case "go":
		default:
			t.Fatalf("%s:%d: kind %q, want stay or go", truthFile, n, f[2])
		}
		if s.corpus != truthAITech && s.corpus != truthBBC {
			t.Fatalf("%s:%d: corpus %q, want %s or %s", truthFile, n, s.corpus, truthAITech, truthBBC)
		}
		if s.start, err = strconv.Atoi(f[3]); err != nil {
			t.Fatalf("%s:%d: start: %v", truthFile, n, err)
		}
		if s.end, err = strconv.Atoi(f[4]); err != nil {
			t.Fatalf("%s:%d: end: %v", truthFile, n, err)
		}
		if s.start < 0 || s.end <= s.start || len(s.sha12) != 12 {
			t.Fatalf("%s:%d: bad span [%d, %d) or hash %q", truthFile, n, s.start, s.end, s.sha12)
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// truthPages returns the raw text of every page in truth.tsv, by
// "corpus:page" (see truthSpan.key): the ai-tech text field as JSON decodes
// it, and a BBC file's bytes as they are on disk.
func truthPages(t testing.TB) map[string]string {
	t.Helper()
	want := map[string]bool{}
	for _, s := range loadTruth(t) {
		want[s.key()] = true
	}
	pages := map[string]string{}
	for id, p := range aiTechPages(t) {
		if k := truthAITech + ":" + id; want[k] {
			pages[k] = p.text
		}
	}
	root := testutil.Shared(t, bbcRoot)
	for k := range want {
		rel, ok := strings.CutPrefix(k, truthBBC+":")
		if !ok {
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		pages[k] = string(b)
	}
	for k := range want {
		if _, ok := pages[k]; !ok {
			t.Fatalf("page %s of %s is not in the shared corpus", k, truthFile)
		}
	}
	return pages
}

// The ground truth still points at the text that was checked by hand: every
// span's bytes hash as recorded, lie on UTF-8 boundaries within the page,
// and no span to keep overlaps one to remove.
func TestTruth_SpansMatchCorpus(t *testing.T) {
	spans := loadTruth(t)
	pages := truthPages(t)
	byPage := map[string][]truthSpan{}
	for _, s := range spans {
		byPage[s.key()] = append(byPage[s.key()], s)
		text := pages[s.key()]
		if s.end > len(text) {
			t.Errorf("%s [%d, %d): past the page's end %d", s.key(), s.start, s.end, len(text))
			continue
		}
		if !boundary(text, s.start) || !boundary(text, s.end) {
			t.Errorf("%s [%d, %d): not on UTF-8 character boundaries", s.key(), s.start, s.end)
		}
		sum := sha256.Sum256([]byte(text[s.start:s.end]))
		if got := hex.EncodeToString(sum[:])[:12]; got != s.sha12 {
			t.Errorf("%s [%d, %d): sha256 %s, want %s (the corpus changed?)", s.key(), s.start, s.end, got, s.sha12)
		}
	}
	for k, ss := range byPage {
		slices.SortFunc(ss, func(a, b truthSpan) int { return a.start - b.start })
		for i := 1; i < len(ss); i++ {
			if ss[i].start < ss[i-1].end {
				t.Errorf("%s: spans [%d, %d) and [%d, %d) overlap", k, ss[i-1].start, ss[i-1].end, ss[i].start, ss[i].end)
			}
		}
		if ss[0].corpus == truthBBC && slices.ContainsFunc(ss, func(s truthSpan) bool { return !s.keep }) {
			t.Errorf("%s: BBC text is clean, yet a span is marked go", k)
		}
	}
	logTruthCounts(t, spans)
}

// boundary reports whether byte offset i of s starts a character (or is its end).
func boundary(s string, i int) bool {
	return i == len(s) || utf8.RuneStart(s[i])
}

// logTruthCounts logs pages and spans per source, so a reader sees the set's spread.
func logTruthCounts(t *testing.T, spans []truthSpan) {
	t.Helper()
	all := aiTechPages(t)
	type count struct{ pages, stay, gone int }
	counts := map[string]*count{}
	seen := map[string]bool{}
	for _, s := range spans {
		src := s.corpus
		if s.corpus == truthAITech {
			src = all[s.page].source
		}
		c := counts[src]
		if c == nil {
			c = &count{}
			counts[src] = c
		}
		if !seen[s.key()] {
			seen[s.key()] = true
			c.pages++
		}
		if s.keep {
			c.stay++
		} else {
			c.gone++
		}
	}
	for _, src := range slices.Sorted(maps.Keys(counts)) {
		c := counts[src]
		t.Logf("%-24s %2d pages, %3d spans to keep, %3d to remove", src, c.pages, c.stay, c.gone)
	}
}

// aiTechPage is one record of the ai-tech sample, as truth.tsv needs it.
type aiTechPage struct{ text, source, title string }

// aiTechPages reads the ai-tech sample, by id (once: several tests and
// benchmarks read it).
func aiTechPages(t testing.TB) map[string]aiTechPage {
	t.Helper()
	aiTechOnce.Do(func() { aiTechRead = readAITech(t) })
	if aiTechRead == nil {
		t.Fatal("reading the ai-tech sample failed in an earlier test")
	}
	return aiTechRead
}

var (
	aiTechOnce sync.Once
	aiTechRead map[string]aiTechPage
)

func readAITech(t testing.TB) map[string]aiTechPage {
	t.Helper()
	fh, err := os.Open(testutil.Shared(t, aiTechPath))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	zr, err := gzip.NewReader(fh)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]aiTechPage{}
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var rec struct {
			ID     json.Number `json:"id"`
			Text   string      `json:"text"`
			Source string      `json:"source"`
			Title  string      `json:"title"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		out[rec.ID.String()] = aiTechPage{text: rec.Text, source: rec.Source, title: rec.Title}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
