package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/distillery/distillery/students/encode"
)

// File is the model's JSON in its folder; EncoderDir the folder, beside
// it, that holds the copy of its encoder.
const (
	File       = "probe.json"
	EncoderDir = "encoder"
)

// Save writes the model into dir as File, and enc, the encoder it was
// trained on, into dir/EncoderDir: the folder then predicts on its own,
// whatever later happens to the lake's encoders.
func (m *Model) Save(dir string, enc encode.Encoder) error {
	if enc.Name() != m.Encoder {
		return fmt.Errorf("%w: model trained on %s, saved with %s", ErrEncoder, m.Encoder, enc.Name())
	}
	h, ok := enc.(*encode.Hashed)
	if !ok {
		return fmt.Errorf("%w %s: only the hashed encoder can be saved with a model for now", ErrEncoder, enc.Name())
	}
	if err := h.Save(filepath.Join(dir, EncoderDir)); err != nil {
		return err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, File), b, 0o644)
}

// Open reads a model folder Save wrote: the model and its encoder, which
// must be the one the model names.
func Open(dir string) (*Model, encode.Encoder, error) {
	raw, err := os.ReadFile(filepath.Join(dir, File))
	if err != nil {
		return nil, nil, err
	}
	var m Model
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, nil, fmt.Errorf("probe model %s: %w", dir, err)
	}
	if m.Version != Version {
		return nil, nil, fmt.Errorf("probe model %s: format %d, this distill reads %d", dir, m.Version, Version)
	}
	k := len(m.Dimensions)
	if len(m.Weights) != k || len(m.Intercept) != k || len(m.Lambda) != k || m.Dim < 1 {
		return nil, nil, fmt.Errorf("probe model %s: inconsistent model", dir)
	}
	for _, w := range m.Weights {
		if len(w) != m.Dim {
			return nil, nil, fmt.Errorf("probe model %s: weights of %d, want %d", dir, len(w), m.Dim)
		}
	}
	if !encode.IsHashed(m.Encoder) {
		return nil, nil, fmt.Errorf("%w %s: this distill loads only hashed encoders with a model", ErrEncoder, m.Encoder)
	}
	enc, err := encode.LoadHashed(filepath.Join(dir, EncoderDir))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: model %s: %w", ErrEncoder, dir, err)
	}
	if enc.Name() != m.Encoder || enc.Dim() != m.Dim {
		return nil, nil, fmt.Errorf("%w: model %s was trained on %s (%d floats); its encoder folder holds %s (%d)", ErrEncoder, dir, m.Encoder, m.Dim, enc.Name(), enc.Dim())
	}
	return &m, enc, nil
}

// PredictTexts encodes texts with enc (the model's encoder) and scores
// each on every dimension (0-10), in their order.
func (m *Model) PredictTexts(ctx context.Context, enc encode.Encoder, texts []string) ([][]float64, error) {
	vs, err := enc.Encode(ctx, texts)
	if err != nil {
		return nil, err
	}
	if len(vs) != len(texts) {
		return nil, fmt.Errorf("%w %s: %d vectors for %d texts", ErrEncoder, enc.Name(), len(vs), len(texts))
	}
	out := make([][]float64, len(vs))
	for i, v := range vs {
		if len(v) != m.Dim {
			return nil, fmt.Errorf("%w %s: a vector of %d, the model takes %d", ErrEncoder, enc.Name(), len(v), m.Dim)
		}
		out[i] = m.Predict(v)
	}
	return out, nil
}
