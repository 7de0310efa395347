package compress

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
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
var BoilerplateMethod = fmt.Sprintf("shingles:v1:%dw:%.0f%%:df%d:min%d", BoilerplateShingle, BoilerplateShare*100, BoilerplateMinDF, BoilerplateMinPages)

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
}

// LearnSource learns the furniture of one source from its pages (in a
// stable order: the first BoilerplateSample distinct ones are searched).
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
	// Candidates: a count-min sketch of every page's shingles (it can
	// only overcount), then exact page counts for the shingles it puts at
	// need or more, behind a bit filter: most shingles of a page are the
	// article's, and the filter answers them without a map lookup.
	sketch := make([]uint16, 1<<22)
	var words []uint64
	for _, p := range distinct {
		words = pageWords(words[:0], p, nil)
		eachShingle(words, func(h uint64) {
			if c := &sketch[h>>42]; *c < 0xFFFF {
				*c++
			}
		})
	}
	cand := map[uint64]*pageCount{}
	var filter shingleFilter
	for i, p := range distinct {
		words = pageWords(words[:0], p, nil)
		eachShingle(words, func(h uint64) {
			if int64(sketch[h>>42]) < need {
				return
			}
			c := cand[h]
			if c == nil {
				c = &pageCount{last: -1}
				cand[h] = c
				filter.add(h)
			}
			c.add(int32(i))
		})
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

// eachShingle calls fn with the key of each run of BoilerplateShingle words.
func eachShingle(words []uint64, fn func(uint64)) {
	for i := 0; i+BoilerplateShingle <= len(words); i++ {
		fn(shingleKey(words[i : i+BoilerplateShingle]))
	}
}

// digest is the model's version: the method and its sorted shingles.
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
	if m == nil || len(m.Shingles) == 0 {
		return nil
	}
	var pos []Span
	words := pageWords(nil, content, &pos)
	var out []Span
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
			df := run[i].df
			// In a small source, where a few pages are a large share, an
			// end at under half the pages inside it is weak too.
			return df*BoilerplateEdge < top || df*2 < top && df < 2*BoilerplateMinDF
		}
		lo, hi := 0, len(run)-1
		for lo < hi && weak(lo, 1) {
			lo++
		}
		for hi > lo && weak(hi, -1) {
			hi--
		}
		out = append(out, Span{pos[run[lo].at].Start, pos[run[hi].at+BoilerplateShingle-1].End})
		run = run[:0]
	}
	for i := 0; i+BoilerplateShingle <= len(words); i++ {
		df, ok := m.Shingles[shingleKey(words[i:i+BoilerplateShingle])]
		if !ok {
			continue
		}
		if n := len(run); n > 0 && i > run[n-1].at+BoilerplateShingle {
			flush() // a gap: the previous run is complete
		}
		run = append(run, hit{i, df})
	}
	flush()
	return bridge(content, out)
}

// BoilerplateBridge is the most words a gap between two furniture spans may
// have to be furniture itself.
const BoilerplateBridge = 150

// bridge joins furniture spans across the gaps between them that hold no
// sentence: lists of headlines and names that change from page to page
// ("related stories", author lists) between the site's fixed blocks. A gap
// with a word ending in '.' or '!' holds a sentence, and stays.
func bridge(content string, spans []Span) []Span {
	if len(spans) < 2 {
		return spans
	}
	out := spans[:1]
	for _, sp := range spans[1:] {
		last := &out[len(out)-1]
		if gap := content[last.End:sp.Start]; !holdsSentence(gap) && countWords(gap) <= BoilerplateBridge {
			last.End = sp.End
			continue
		}
		out = append(out, sp)
	}
	return out
}

// holdsSentence reports a word ending in '.' or '!' (closing quotes and
// brackets aside).
func holdsSentence(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '.' && s[i] != '!' {
			continue
		}
		j := i + 1
		for j < len(s) && strings.IndexByte(`"')]`, s[j]) >= 0 {
			j++
		}
		if j == len(s) || s[j] < utf8.RuneSelf && asciiSpace[s[j]] || strings.HasPrefix(s[j:], "”") || strings.HasPrefix(s[j:], "’") {
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
// the pages its most common shingle is in is not the run's.
const BoilerplateEdge = 2

// Page start and end are words of their own, so that a menu opening many
// pages, or a line closing them, is a shingle however few words it has.
const (
	pageStart uint64 = 0x5354415254 // an FNV-1a key never has these few bits set
	pageEnd   uint64 = 0x454E44
)

// pageWords is appendWordKeys between the page start and end words (whose
// ranges are empty, at 0 and len(s)).
func pageWords(keys []uint64, s string, pos *[]Span) []uint64 {
	keys = append(keys, pageStart)
	if pos != nil {
		*pos = append(*pos, Span{0, 0})
	}
	keys = appendWordKeys(keys, s, pos)
	if pos != nil {
		*pos = append(*pos, Span{len(s), len(s)})
	}
	return append(keys, pageEnd)
}

// appendWordKeys appends the key of each word of s (a run of non-space
// characters holding a letter or a digit; the key hashes its letters and
// digits, lower-cased, so "Reserved." and "reserved" are one word) and, when
// pos is not nil, the word's byte range.
func appendWordKeys(keys []uint64, s string, pos *[]Span) []uint64 {
	const offset = 0xCBF29CE484222325
	const prime = 0x100000001B3
	h, start, has := uint64(offset), -1, false
	end := func(i int) {
		if start >= 0 && has {
			keys = append(keys, h)
			if pos != nil {
				*pos = append(*pos, Span{start, i})
			}
		}
		h, start, has = offset, -1, false
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case asciiSpace[c]:
				end(i)
			default:
				if start < 0 {
					start = i
				}
				if c >= 'A' && c <= 'Z' {
					c += 'a' - 'A'
				}
				if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
					h = (h ^ uint64(c)) * prime
					has = true
				}
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsSpace(r):
			end(i)
		default:
			if start < 0 {
				start = i
			}
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				r = unicode.ToLower(r)
				for ; r > 0; r >>= 8 {
					h = (h ^ uint64(r&0xFF)) * prime
				}
				has = true
			}
		}
		i += n
	}
	end(len(s))
	return keys
}

// shingleKey hashes consecutive word keys, in order.
func shingleKey(words []uint64) uint64 {
	var h uint64 = 0x84222325CBF29CE4
	for _, w := range words {
		h = mix(h ^ w)
	}
	return h
}

// Clean cuts the furniture out of content: each span becomes a line break,
// so what stood before and after it are separate paragraphs.
func (m *SourceModel) Clean(content string) string {
	spans := m.Spans(content)
	if len(spans) == 0 {
		return content
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
	return b.String()
}
