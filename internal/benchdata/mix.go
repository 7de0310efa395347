package benchdata

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// Pool is a set of real articles, split into sentences, that WriteMixed
// draws new articles from. Word salad (WriteJSONL) names every topic in
// every article, so every filter's prefilter passes nearly all of it; an
// article made of one real article's sentences passes as often as real
// articles of that topic do, so the pool's topic mix is the corpus's.
type Pool struct {
	docs []poolDoc
	// sentences is every sentence of every article, for the strays.
	sentences []string
}

type poolDoc struct {
	title, source string
	sentences     []string
}

// LoadPool reads real articles: JSON lines files (.jsonl or .jsonl.gz)
// with a title and a text or content field, and folders of .txt files
// whose first line is the title (the BBC corpus's layout, searched
// recursively).
func LoadPool(paths ...string) (*Pool, error) {
	p := &Pool{}
	for _, path := range paths {
		st, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		if st.IsDir() {
			err = p.addFolder(path)
		} else {
			err = p.addJSONL(path)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	if len(p.docs) == 0 {
		return nil, fmt.Errorf("no article with a title and text in %v", paths)
	}
	return p, nil
}

// Len is the number of articles in the pool.
func (p *Pool) Len() int { return len(p.docs) }

func (p *Pool) add(title, source, text string) {
	title = strings.TrimSpace(title)
	ss := Sentences(text)
	if title == "" || len(ss) < 3 {
		return
	}
	p.docs = append(p.docs, poolDoc{title: title, source: source, sentences: ss})
	p.sentences = append(p.sentences, ss...)
}

func (p *Pool) addJSONL(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return err
		}
		defer gz.Close()
		r = gz
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var rec struct{ Title, Text, Content, Source string }
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return err
		}
		p.add(rec.Title, rec.Source, rec.Text+rec.Content)
	}
	return sc.Err()
}

func (p *Pool) addFolder(dir string) error {
	return filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".txt" {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		title, body, _ := strings.Cut(string(b), "\n")
		p.add(title, filepath.Base(filepath.Dir(path)), body)
		return nil
	})
}

// Sentences splits text after ., ! or ? followed by white space.
func Sentences(text string) []string {
	var out []string
	start := 0
	for i := 0; i+1 < len(text); i++ {
		c := text[i]
		if (c == '.' || c == '!' || c == '?') && (text[i+1] == ' ' || text[i+1] == '\n') {
			if s := strings.TrimSpace(text[start : i+1]); s != "" {
				out = append(out, s)
			}
			start = i + 1
		}
	}
	if s := strings.TrimSpace(text[start:]); s != "" {
		out = append(out, s)
	}
	return out
}

// WriteMixed writes n articles to w as JSON lines, deterministic by seed.
// Each is one pool article's sentences in order, each replaced with
// probability 1/10 by a sentence of any article: its topic (and so whether
// a filter's prefilter passes it) is the donor's, its text new. Ids are
// "mix-<seed>-<n>", unique for a seed.
func (p *Pool) WriteMixed(w io.Writer, n int, seed uint64) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	enc := json.NewEncoder(bw)
	var body strings.Builder
	for i := 1; i <= n; i++ {
		d := p.docs[r.IntN(len(p.docs))]
		body.Reset()
		for j, s := range d.sentences {
			if r.IntN(10) == 0 {
				s = p.sentences[r.IntN(len(p.sentences))]
			}
			if j > 0 {
				body.WriteByte(' ')
			}
			body.WriteString(s)
		}
		rec := map[string]any{
			"id":             fmt.Sprintf("mix-%d-%d", seed, i),
			"title":          d.title,
			"content":        body.String(),
			"published_date": fmt.Sprintf("2025-%02d-%02dT10:00:00Z", 1+r.IntN(12), 1+r.IntN(28)),
			"source":         d.source,
			"url":            fmt.Sprintf("https://example.org/mix/%d/%d", seed, i),
		}
		if err := enc.Encode(rec); err != nil {
			return err
		}
	}
	return bw.Flush()
}
