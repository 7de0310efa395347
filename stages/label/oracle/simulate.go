package oracle

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/distillery/distillery/filters"
)

// ErrSimulateModel means a simulate oracle's model does not say its offset
// and noise.
var ErrSimulateModel = errors.New(`the simulate oracle's model says its offset and noise, e.g. --model "offset=-1.5,noise=0.8"`)

// Simulate is an offline oracle with a known bias and noise, for rehearsing
// oracle comparisons (distill agree, --repeat, the noise floor) before
// paying for one: each dimension's score is the keywords oracle's, plus
// Offset, plus normal noise of spread Noise, clamped to 0-10 and rounded
// to 0.1. The noise is drawn from the model, the text and the ask's repeat
// index, so a run is reproducible and each repeat is a fresh draw. Its rows
// say "simulate" and the model string, never an LLM's name.
type Simulate struct {
	kw            *Keywords
	model         string
	offset, noise float64
}

// NewSimulate parses model ("offset=X,noise=Y", either key may be left
// out: 0) and builds the oracle over f's keywords.
func NewSimulate(f *filters.Filter, model string) (*Simulate, error) {
	s := &Simulate{kw: NewKeywords(f), model: model}
	if strings.TrimSpace(model) == "" {
		return nil, ErrSimulateModel
	}
	seen := map[string]bool{}
	for _, kv := range strings.Split(model, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if k = strings.TrimSpace(k); seen[k] {
			return nil, fmt.Errorf("%w: %q is given twice", ErrSimulateModel, k)
		}
		seen[k] = true
		x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if !ok || err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%w: %q is not KEY=NUMBER", ErrSimulateModel, kv)
		}
		switch k {
		case "offset":
			s.offset = x
		case "noise":
			if x < 0 {
				return nil, fmt.Errorf("%w: noise %g is negative", ErrSimulateModel, x)
			}
			s.noise = x
		default:
			return nil, fmt.Errorf("%w: unknown key %q (offset, noise)", ErrSimulateModel, k)
		}
	}
	return s, nil
}

// Kind is "simulate".
func (s *Simulate) Kind() string { return "simulate" }

// Model is the model string it was built with.
func (s *Simulate) Model() string { return s.model }

// Call answers the keywords oracle's scores moved by the offset and noise.
func (s *Simulate) Call(ctx context.Context, req Request) (Response, error) {
	resp, err := s.kw.Call(ctx, req)
	if err != nil {
		return resp, err
	}
	var scores map[string]struct {
		Score    float64 `json:"score"`
		Evidence string  `json:"evidence"`
	}
	if err := json.Unmarshal([]byte(resp.Text), &scores); err != nil {
		return Response{}, err
	}
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%d\x00%s", s.model, req.Repeat, req.Input)))
	rng := rand.New(rand.NewPCG(binary.LittleEndian.Uint64(sum[:8]), binary.LittleEndian.Uint64(sum[8:16])))
	out := map[string]any{}
	for _, d := range s.kw.dims { // the filter's order: one draw per dimension
		v := scores[d.name]
		x := math.Round(min(10, max(0, v.Score+s.offset+s.noise*rng.NormFloat64()))*10) / 10
		out[d.name] = map[string]any{"score": x, "evidence": fmt.Sprintf("simulated: keywords %g (%s), offset %g, noise %g", v.Score, v.Evidence, s.offset, s.noise)}
	}
	b, _ := json.Marshal(out)
	return Response{Text: string(b)}, nil
}
