package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/distillery/distillery/students/encode"
)

// File is the model's JSON in its folder; EncoderDir the folder, beside
// it, that holds the copy of its encoder (or, for a Sentence, the
// reference to its folder).
const (
	File       = "probe.json"
	EncoderDir = "encoder"
)

// Save writes the model into dir as File, and enc, the encoder it was
// trained on, into dir/EncoderDir: a copy of a hashed encoder, so the
// folder predicts on its own whatever later happens to the lake's
// encoders; a reference to a Sentence's folder (its weights stay there).
func (m *Model) Save(dir string, enc encode.Encoder) error {
	if enc.Name() != m.Encoder {
		return fmt.Errorf("%w: model trained on %s, saved with %s", ErrEncoder, m.Encoder, enc.Name())
	}
	switch e := enc.(type) {
	case *encode.Hashed:
		if err := e.Save(filepath.Join(dir, EncoderDir)); err != nil {
			return err
		}
	case *Sentence:
		if err := e.save(filepath.Join(dir, EncoderDir)); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%w %s: only a hashed encoder or a Sentence can be saved with a model", ErrEncoder, enc.Name())
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, File), b, 0o644)
}

// Open reads a model folder Save wrote: the model and its encoder, which
// must be the one the model names. A sentence encoder's runs on
// $DISTILL_PYTHON, else the Python it was saved with (see OpenWith).
func Open(dir string) (*Model, encode.Encoder, error) {
	return OpenWith(context.Background(), dir, "")
}

// OpenWith is Open with a sentence encoder's trainer started on python
// ("": $DISTILL_PYTHON, else the one it was saved with), ctx bounding the
// start. A sentence encoder's folder that is gone, or now gives another
// encoder, is a *FolderError. The caller closes the encoder.
func OpenWith(ctx context.Context, dir, python string) (*Model, encode.Encoder, error) {
	m, err := readModel(dir)
	if err != nil {
		return nil, nil, err
	}
	encDir := filepath.Join(dir, EncoderDir)
	if kind, raw := encoderKind(encDir); kind == sentenceKind {
		enc, err := openSentence(ctx, filepath.Base(dir), m, encDir, raw, python)
		if err != nil {
			return nil, nil, err
		}
		return m, enc, nil
	}
	if !encode.IsHashed(m.Encoder) {
		return nil, nil, fmt.Errorf("%w %s: model %s has no sentence encoder reference in %s", ErrEncoder, m.Encoder, dir, encDir)
	}
	enc, err := encode.LoadHashed(encDir)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: model %s: %w", ErrEncoder, dir, err)
	}
	if enc.Name() != m.Encoder || enc.Dim() != m.Dim {
		return nil, nil, fmt.Errorf("%w: model %s was trained on %s (%d floats); its encoder folder holds %s (%d)", ErrEncoder, dir, m.Encoder, m.Dim, enc.Name(), enc.Dim())
	}
	return m, enc, nil
}

// readModel reads and checks File in dir.
func readModel(dir string) (*Model, error) {
	raw, err := os.ReadFile(filepath.Join(dir, File))
	if err != nil {
		return nil, err
	}
	var m Model
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("probe model %s: %w", dir, err)
	}
	if m.Version != Version {
		return nil, fmt.Errorf("probe model %s: format %d, this distill reads %d", dir, m.Version, Version)
	}
	k := len(m.Dimensions)
	if len(m.Weights) != k || len(m.Intercept) != k || len(m.Lambda) != k || m.Dim < 1 {
		return nil, fmt.Errorf("probe model %s: inconsistent model", dir)
	}
	for _, w := range m.Weights {
		if len(w) != m.Dim {
			return nil, fmt.Errorf("probe model %s: weights of %d, want %d", dir, len(w), m.Dim)
		}
	}
	return &m, nil
}

// PredictTexts encodes texts with enc (the model's encoder) and scores
// each on every dimension (0-10), in their order, on every core (each
// vector's scores are its own, so they do not depend on the cores).
func (m *Model) PredictTexts(ctx context.Context, enc encode.Encoder, texts []string) ([][]float64, error) {
	vs, err := enc.Encode(ctx, texts)
	if err != nil {
		return nil, err
	}
	if len(vs) != len(texts) {
		return nil, fmt.Errorf("%w %s: %d vectors for %d texts", ErrEncoder, enc.Name(), len(vs), len(texts))
	}
	for _, v := range vs {
		if len(v) != m.Dim {
			return nil, fmt.Errorf("%w %s: a vector of %d, the model takes %d", ErrEncoder, enc.Name(), len(v), m.Dim)
		}
	}
	out := make([][]float64, len(vs))
	// Contiguous shares of at least scoreShare vectors: fewer goroutines
	// than that would cost more than the scoring they share.
	const scoreShare = 256
	workers := min(runtime.GOMAXPROCS(0), max(1, len(vs)/scoreShare))
	per := (len(vs) + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < len(vs); lo += per {
		hi := min(lo+per, len(vs))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				out[i] = m.Predict(vs[i])
			}
		}()
	}
	wg.Wait()
	return out, nil
}
