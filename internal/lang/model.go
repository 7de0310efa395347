package lang

import (
	"math"
	"sync"
)

// posting is one language's weight for a trigram.
type posting struct {
	lang   uint8
	weight int32
}

// slot is one entry of the open-addressing trigram table: the trigram's
// postings are postings[start : start+n].
type slot struct {
	key      uint64
	start, n uint32
}

// model is the trigram table, built once from the profiles.
type model struct {
	codes    []string // index -> ISO 639-1 code
	script   []script // index -> the script it is written in
	slots    []slot
	mask     uint64
	shift    uint
	postings []posting
}

var (
	modelOnce sync.Once
	theModel  *model
)

// get builds the model on first use (about a millisecond), so that
// programs that never detect a language never pay for it.
func get() *model {
	modelOnce.Do(func() { theModel = build(profiles()) })
	return theModel
}

// rankWeight is a trigram's weight by its rank in a profile: a log-odds
// against an unseen trigram under a Zipf law, so the commonest trigrams
// ("the", " de") count most, and a text's score is a naive-Bayes log
// likelihood up to a constant.
func rankWeight(rank int) int32 {
	const k = 50 // flattens the head: rank 0 is not infinitely likelier than rank 5
	return int32(math.Round(100 * math.Log((k+1000)/(k+float64(rank)))))
}

func build(profiles []profile) *model {
	m := &model{}
	byKey := map[uint64][]posting{}
	var order []uint64
	for idx, p := range profiles {
		m.codes = append(m.codes, p.code)
		m.script = append(m.script, p.script)
		for rank, t := range p.trigrams {
			r := []rune(t)
			if len(r) != 3 {
				continue
			}
			k := pack(r[0], r[1], r[2])
			if byKey[k] == nil {
				order = append(order, k)
			}
			byKey[k] = append(byKey[k], posting{lang: uint8(idx), weight: rankWeight(rank)})
		}
	}
	size := 1
	for size < 2*len(order) {
		size <<= 1
	}
	m.slots = make([]slot, size)
	m.mask = uint64(size - 1)
	m.shift = uint(64 - bitsOf(size))
	for _, k := range order {
		i := m.home(k)
		for m.slots[i].key != 0 {
			i = (i + 1) & m.mask
		}
		ps := byKey[k]
		m.slots[i] = slot{key: k, start: uint32(len(m.postings)), n: uint32(len(ps))}
		m.postings = append(m.postings, ps...)
	}
	return m
}

func bitsOf(size int) int {
	n := 0
	for size > 1 {
		size >>= 1
		n++
	}
	return n
}

// pack is a trigram as one key: a rune fits in 21 bits.
func pack(a, b, c rune) uint64 { return uint64(a)<<42 | uint64(b)<<21 | uint64(c) }

func (m *model) home(k uint64) uint64 { return (k * 0x9E3779B97F4A7C15) >> m.shift & m.mask }

// lookup is the postings of trigram k, none when no profile holds it.
func (m *model) lookup(k uint64) []posting {
	for i := m.home(k); ; i = (i + 1) & m.mask {
		s := m.slots[i]
		if s.key == k {
			return m.postings[s.start : s.start+s.n]
		}
		if s.key == 0 {
			return nil
		}
	}
}
