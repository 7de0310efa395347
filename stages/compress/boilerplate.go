package compress

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Learned boilerplate. Scraped pages are often one long line holding the
// site's menu, the article and the site's footer, so rules about whole
// lines never fire. What is furniture is learned from the corpus instead:
// a run of ShingleSize words that recurs in at least BoilerplateShare of a
// source's pages (and in BoilerplateMinDF of them) is the site's, not the
// article's, and every maximal run of words covered by such shingles is cut
// out, wherever it sits in a line.
const (
	// BoilerplateShingle is the number of consecutive words in one shingle.
	BoilerplateShingle = 6
	// BoilerplateShare is the share of a source's pages a shingle must be
	// in to be furniture.
	BoilerplateShare = 0.05
	// BoilerplateMinDF is the fewest pages a shingle must be in.
	BoilerplateMinDF = 4
	// BoilerplateMaxDF is the most pages a shingle needs to be in: in a
	// large source, text repeated on 30 different pages is the site's.
	BoilerplateMaxDF = 30
	// BoilerplateMinPages is the fewest pages a source needs to be learned
	// from; a smaller source falls back to the line rules alone.
	BoilerplateMinPages = 10
	// BoilerplateMaxPages caps the pages learned from per source: a
	// deterministic sample (the pages whose id hashes lowest), so learning
	// costs the same however large a source grows.
	BoilerplateMaxPages = 2000
	// BoilerplateRegrow is how much a source must grow (or shrink) since it
	// was learned before it is learned again: a model that changed with
	// every ingest would change texts, and so labels, with every ingest.
	BoilerplateRegrow = 0.25
)

// BoilerplateMethod names the learning rule and its parameters; a change to
// any of them is a new method (compress renders everything again).
var BoilerplateMethod = fmt.Sprintf("shingles:v1:%dw:%.0f%%:df%d-%d:min%d:max%d:edge%d:bridge%d:keep%d",
	BoilerplateShingle, BoilerplateShare*100, BoilerplateMinDF, BoilerplateMaxDF, BoilerplateMinPages, BoilerplateMaxPages,
	BoilerplateEdge, BoilerplateBridge, BoilerplateKeepWords)

// SourceModel is the learned furniture of one source.
type SourceModel struct {
	Source string
	// Pages is the number of pages it was learned from.
	Pages int64
	// Shingles maps each furniture shingle to the pages holding it.
	Shingles map[uint64]int64
	// Version names the model: a digest of its shingles, so a source learned
	// again to the same furniture keeps its version (and its texts). Empty
	// when the source had too few distinct pages to learn from.
	Version string
	learned learned

	filterOnce sync.Once
	filter     *shingleFilter
}

// LearnSource learns the furniture of one source from its pages (every
// distinct one counts; the caller caps them at BoilerplateMaxPages).
// It returns nil when the source has fewer than BoilerplateMinPages
// distinct pages: too few to tell the site from the article.
func LearnSource(source string, pages []string) *SourceModel {
	// A page scraped twice under two URLs is one page, or its article
	// would be furniture of both.
	distinct := make([]string, 0, len(pages))
	texts := make(map[[32]byte]struct{}, len(pages))
	for _, p := range pages {
		sum := sha256.Sum256([]byte(p))
		if _, dup := texts[sum]; !dup {
			texts[sum] = struct{}{}
			distinct = append(distinct, p)
		}
	}
	n := int64(len(distinct))
	if n < BoilerplateMinPages {
		return nil
	}
	need := max(int64(BoilerplateMinDF), min(BoilerplateMaxDF, int64(BoilerplateShare*float64(n)+0.999999)))
	// Candidates: a table of counters indexed by a hash of every page's
	// shingles (it can only overcount: collisions add up), then exact page
	// counts for the shingles it puts at need or more. Most shingles are
	// the article's and seen once, so the exact map stays small.
	var sc pageScratch
	var all []uint64 // every page's shingles, one after another
	ends := make([]int, 0, len(distinct))
	for _, p := range distinct {
		sc.tokenize(p, false)
		sc.shingles()
		all = append(all, sc.sh...)
		ends = append(ends, len(all))
	}
	// Four counters a shingle at least (few collisions), at most 2^22.
	width := min(22, max(10, bits.Len(uint(len(all)))+2))
	sketch := make([]uint16, 1<<width)
	for _, h := range all {
		if c := &sketch[h>>(64-width)]; *c < 0xFFFF {
			*c++
		}
	}
	cand := map[uint64]*pageCount{}
	from := 0
	for i, to := range ends {
		for _, h := range all[from:to] {
			if int64(sketch[h>>(64-width)]) < need {
				continue
			}
			c := cand[h]
			if c == nil {
				c = &pageCount{last: -1}
				cand[h] = c
			}
			c.add(int32(i))
		}
		from = to
	}
	m := &SourceModel{Source: source, Pages: n, Shingles: map[uint64]int64{}}
	for h, c := range cand {
		if int64(c.n) >= need {
			m.Shingles[h] = int64(c.n)
		}
	}
	m.Version = m.digest()
	return m
}

// pageCount counts the pages holding a shingle; last is the page that
// counted it last, so a page counts once however often it repeats it.
type pageCount struct{ n, last int32 }

func (c *pageCount) add(page int32) {
	if c.last != page {
		c.n, c.last = c.n+1, page
	}
}

// shingleFilter is a one-hash Bloom filter of 2^16 bits.
type shingleFilter [1 << 10]uint64

func (f *shingleFilter) add(h uint64)      { f[(h>>6)&(1<<10-1)] |= 1 << (h & 63) }
func (f *shingleFilter) has(h uint64) bool { return f[(h>>6)&(1<<10-1)]&(1<<(h&63)) != 0 }

// digest is the model's version: the method, its sorted shingles and their
// page counts (the edge trimming reads them).
func (m *SourceModel) digest() string {
	keys := make([]uint64, 0, len(m.Shingles))
	for h := range m.Shingles {
		keys = append(keys, h)
	}
	slices.Sort(keys)
	h := sha256.New()
	h.Write([]byte(BoilerplateMethod))
	var b [8]byte
	for _, k := range keys {
		binary.LittleEndian.PutUint64(b[:], k)
		h.Write(b[:])
		binary.LittleEndian.PutUint64(b[:], uint64(m.Shingles[k]))
		h.Write(b[:])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Span is a byte range of content.
type Span struct{ Start, End int }

// Spans returns the furniture in content: maximal runs of words covered by
// the model's shingles, as byte ranges from the first covered word's start
// to the last one's end. A run's end shingles that are far rarer than the
// run itself are left out: they hold a word of the article next to the
// furniture (the menu's last words and "Google", the first word of the
// many articles that open with it).
func (m *SourceModel) Spans(content string) []Span {
	spans, _, _ := m.cut(content)
	return spans
}

// cut is Spans, with the page's words and the words the spans cover
// (words as the shingles count them: holding a letter or a digit).
func (m *SourceModel) cut(content string) (spans []Span, words, covered int) {
	if m == nil || len(m.Shingles) == 0 {
		return nil, 0, 0
	}
	sc := scratchPool.Get().(*pageScratch)
	defer scratchPool.Put(sc)
	sc.tokenize(content, true)
	sc.shingles()
	filter := m.bits()
	var ranges []wordRange
	var run []hit
	flush := func() {
		if len(run) == 0 {
			return
		}
		// An end shingle is weak when far rarer than the shingles just
		// inside it (those within one shingle's length): it holds an
		// article's word next to the furniture.
		weak := func(i, dir int) bool {
			var top int64
			for j := i + dir; j >= 0 && j < len(run) && abs(run[j].at-run[i].at) < BoilerplateShingle; j += dir {
				top = max(top, run[j].df)
			}
			return run[i].df*BoilerplateEdge < top
		}
		lo, hi := 0, len(run)-1
		for lo < hi && weak(lo, 1) {
			lo++
		}
		for hi > lo && weak(hi, -1) {
			hi--
		}
		ranges = append(ranges, wordRange{run[lo].at, run[hi].at + BoilerplateShingle - 1})
		run = run[:0]
	}
	for i, h := range sc.sh {
		if !filter.has(h) {
			continue
		}
		df, ok := m.Shingles[h]
		if !ok {
			continue
		}
		if n := len(run); n > 0 && i > run[n-1].at+BoilerplateShingle {
			flush() // a gap: the previous run is complete
		}
		run = append(run, hit{i, df})
	}
	flush()
	last := len(sc.keys) - 1 // the page end; 0 is the page start
	for _, r := range bridge(content, sc, ranges) {
		spans = append(spans, Span{sc.starts[r.from], sc.ends[r.to]})
		covered += min(r.to, last-1) - max(r.from, 1) + 1
	}
	return spans, last - 1, covered
}

// wordRange is the words from..to (indices into the page's words).
type wordRange struct{ from, to int }

// BoilerplateBridge is the most words a gap between two furniture spans may
// have to be furniture itself.
const BoilerplateBridge = 150

// bridge joins furniture runs across the gaps between them that hold no
// sentence: lists of headlines and names that change from page to page
// ("related stories", author lists) between the site's fixed blocks.
func bridge(content string, sc *pageScratch, ranges []wordRange) []wordRange {
	if len(ranges) < 2 {
		return ranges
	}
	out := ranges[:1]
	for _, r := range ranges[1:] {
		prev := &out[len(out)-1]
		if r.from-prev.to-1 <= BoilerplateBridge && !holdsSentence(content[sc.ends[prev.to]:sc.starts[r.from]]) {
			prev.to = r.to
			continue
		}
		out = append(out, r)
	}
	return out
}

// holdsSentence reports a sentence end: '.' or '!' followed (after any
// closing quotes and brackets) by white space or the end of the gap, or a
// CJK full stop. '?' does not count: headline lists ask questions.
func holdsSentence(s string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch r {
		case '。', '！':
			return true
		case '.', '!':
		default:
			continue
		}
		j := i
		for j < len(s) {
			q, m := utf8.DecodeRuneInString(s[j:])
			if !strings.ContainsRune(`"')]”’»`, q) {
				break
			}
			j += m
		}
		if j == len(s) {
			return true
		}
		if q, _ := utf8.DecodeRuneInString(s[j:]); unicode.IsSpace(q) {
			return true
		}
	}
	return false
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// hit is a furniture shingle at word index at, in df pages.
type hit struct {
	at int
	df int64
}

// BoilerplateEdge: a run's end shingle in fewer than 1/BoilerplateEdge of
// the pages of the shingles just inside it is not the run's.
const BoilerplateEdge = 2

// Page start and end are words of their own, so that a menu opening many
// pages, or a line closing them, is a shingle however few words it has.
const (
	pageStart uint64 = 0x5354415254 // word keys are FNV-1a hashes: never these
	pageEnd   uint64 = 0x454E44
)

// pageScratch is one page's words and shingles, reused from page to page
// (compress tokenizes every article it renders).
type pageScratch struct {
	keys         []uint64 // each word's key, between pageStart and pageEnd
	starts, ends []int    // each word's byte range (the page start and end: empty)
	sh           []uint64 // the key of each run of BoilerplateShingle words
}

var scratchPool = sync.Pool{New: func() any { return new(pageScratch) }}

const (
	fnvOffset = 0xCBF29CE484222325
	fnvPrime  = 0x100000001B3
)

// tokenize fills keys (and, with pos, the ranges) with s's words: runs of
// non-space characters holding a letter or a digit, keyed by their letters
// and digits lower-cased, so that "Reserved." and "reserved" are one word.
func (sc *pageScratch) tokenize(s string, pos bool) {
	sc.keys = append(sc.keys[:0], pageStart)
	if pos {
		sc.starts, sc.ends = append(sc.starts[:0], 0), append(sc.ends[:0], 0)
	}
	h, start, has := uint64(fnvOffset), -1, false
	for i := 0; i < len(s); {
		c := s[i]
		space, n := false, 1
		if c < utf8.RuneSelf {
			switch l := c | 0x20; {
			case asciiSpace[c]:
				space = true
			case l >= 'a' && l <= 'z':
				h, has = (h^uint64(l))*fnvPrime, true
			case c >= '0' && c <= '9':
				h, has = (h^uint64(c))*fnvPrime, true
			}
		} else {
			var r rune
			r, n = utf8.DecodeRuneInString(s[i:])
			switch {
			case unicode.IsSpace(r):
				space = true
			case unicode.IsLetter(r) || unicode.IsDigit(r):
				for r = unicode.ToLower(r); r > 0; r >>= 8 {
					h = (h ^ uint64(r&0xFF)) * fnvPrime
				}
				has = true
			}
		}
		if space {
			if has {
				sc.word(h, start, i, pos)
			}
			h, start, has = fnvOffset, -1, false
		} else if start < 0 {
			start = i
		}
		i += n
	}
	if has {
		sc.word(h, start, len(s), pos)
	}
	sc.keys = append(sc.keys, pageEnd)
	if pos {
		sc.starts, sc.ends = append(sc.starts, len(s)), append(sc.ends, len(s))
	}
}

func (sc *pageScratch) word(h uint64, start, end int, pos bool) {
	sc.keys = append(sc.keys, h)
	if pos {
		sc.starts, sc.ends = append(sc.starts, start), append(sc.ends, end)
	}
}

// rollBase is the base of the rolling shingle hash, rollTop its power
// BoilerplateShingle-1 (what the word leaving the window weighs).
const rollBase = 0x9E3779B97F4A7C15

var rollTop = func() uint64 {
	p := uint64(1)
	for range BoilerplateShingle - 1 {
		p *= rollBase
	}
	return p
}()

// shingles fills sh from keys: a polynomial hash of each window of
// BoilerplateShingle words, rolled from one window to the next, then mixed.
func (sc *pageScratch) shingles() {
	sc.sh = sc.sh[:0]
	k := sc.keys
	if len(k) < BoilerplateShingle {
		return
	}
	var h uint64
	for _, w := range k[:BoilerplateShingle] {
		h = h*rollBase + w
	}
	sc.sh = append(sc.sh, mix(h))
	for i := BoilerplateShingle; i < len(k); i++ {
		h = (h-k[i-BoilerplateShingle]*rollTop)*rollBase + k[i]
		sc.sh = append(sc.sh, mix(h))
	}
}

// bits is the model's shingles as a bit filter, built once: most shingles
// of a page are the article's, and the filter answers them without a map
// lookup.
func (m *SourceModel) bits() *shingleFilter {
	m.filterOnce.Do(func() {
		m.filter = new(shingleFilter)
		for h := range m.Shingles {
			m.filter.add(h)
		}
	})
	return m.filter
}

// BoilerplateKeepWords: learned furniture is cut from a page only when at
// least this many of its words, or half of them, are left. A page the model
// would all but empty is a page of furniture (a video page, an index) or a
// corpus of templated articles whose sentences recur on every page; either
// way the rules alone do better than an empty text.
const BoilerplateKeepWords = 50

// Cut is the furniture Render cuts from content: Spans, or nothing when
// cutting them would leave fewer than BoilerplateKeepWords words and less
// than half the page.
func (m *SourceModel) Cut(content string) []Span {
	spans, total, cut := m.cut(content)
	if kept := total - cut; kept < BoilerplateKeepWords && 2*kept < total {
		return nil
	}
	return spans
}

// Clean cuts the furniture out of content (Cut): each span becomes a line
// break, so what stood before and after it are separate paragraphs. It
// reports whether it cut anything.
func (m *SourceModel) Clean(content string) (string, bool) {
	spans := m.Cut(content)
	if len(spans) == 0 {
		return content, false
	}
	var b strings.Builder
	b.Grow(len(content))
	last := 0
	for _, sp := range spans {
		b.WriteString(strings.TrimRight(content[last:sp.Start], " \t"))
		b.WriteByte('\n')
		last = sp.End
	}
	b.WriteString(content[last:])
	return b.String(), true
}
