// Package benchdata writes large synthetic article corpora for scale
// benchmarks: deterministic by seed, shaped like the content-aggregator format.
// The entry point is WriteJSONL.
package benchdata

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
)

var words = strings.Fields(`solar wind battery grid storage hydrogen turbine farm deployed megawatt
capacity project utility commissioned pilot plant carbon capture emissions electric vehicle charging
network installed operational construction financing investors announced company city council energy
efficiency heat pump geothermal offshore onshore transmission policy report research laboratory results
prototype startup funding market price demand supply chain manufacturing factory jobs workers region
government minister agreement climate target renewable nuclear gas coal oil transition households
customers contract tender auction permit local community residents study data analysis model software
the a of and to in for on with by from at as is was will has have that this which their its new`)

// WriteJSONL writes articles to w until about size bytes are written and
// returns how many it wrote. Article bodies are 2-8 KB of word salad.
func WriteJSONL(w io.Writer, size int64, seed uint64) (int64, error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	enc := json.NewEncoder(bw)
	var written, n int64
	var body strings.Builder
	for written < size {
		n++
		body.Reset()
		target := 2000 + r.IntN(6000)
		for body.Len() < target {
			body.WriteString(words[r.IntN(len(words))])
			if r.IntN(14) == 0 {
				body.WriteString(". ")
			} else {
				body.WriteByte(' ')
			}
		}
		title := fmt.Sprintf("%s %s %s %s", strings.ToUpper(words[r.IntN(len(words))][:1]), words[r.IntN(len(words))], words[r.IntN(len(words))], words[r.IntN(len(words))])
		rec := map[string]any{
			"id":             fmt.Sprintf("bench-%d-%d", seed, n),
			"title":          title,
			"content":        body.String(),
			"description":    body.String()[:min(200, body.Len())],
			"published_date": fmt.Sprintf("2025-%02d-%02dT10:00:00Z", 1+r.IntN(12), 1+r.IntN(28)),
			"source":         "bench_source_" + fmt.Sprint(r.IntN(40)),
			"url":            fmt.Sprintf("https://example.org/%d/%d", seed, n),
		}
		before := bw.Buffered()
		if err := enc.Encode(rec); err != nil {
			return n, err
		}
		after := bw.Buffered()
		if after > before {
			written += int64(after - before)
		} else {
			written += int64(body.Len() + 400) // the buffer flushed mid-record: estimate
		}
	}
	return n, bw.Flush()
}
