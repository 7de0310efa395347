package probe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/distillery/distillery/students/encode"
	"github.com/distillery/distillery/students/lora"
)

// Sentence is a sentence encoder run by the Python trainer
// (encode.Trainer) with the folder it was started on. A model saved with
// one keeps a reference to the folder, not a copy of its weights (about
// 90 MB for all-MiniLM-L6-v2): Open starts the trainer on that folder
// again and checks it still gives the encoder the model was trained on.
type Sentence struct {
	encode.Encoder
	// Folder is the model folder, absolute.
	Folder string
	// MaxLength is the token budget it was started with (part of its Name).
	MaxLength int
	// Python is the interpreter that ran it, the default when reopened.
	Python string
}

// sentenceKind is encoder.json's kind for a Sentence.
const sentenceKind = "trainer"

// sentenceFile is the encoder.json Save writes for a Sentence.
type sentenceFile struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Folder    string `json:"folder"`
	MaxLength int    `json:"max_length"`
	Python    string `json:"python,omitempty"`
}

// save writes the reference to s into dir (created).
func (s *Sentence) save(dir string) error {
	if !filepath.IsAbs(s.Folder) {
		return fmt.Errorf("%w %s: folder %s is not absolute", ErrEncoder, s.Name(), s.Folder)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(sentenceFile{Kind: sentenceKind, Name: s.Name(), Folder: s.Folder, MaxLength: s.MaxLength,
		Python: lora.Recordable(s.Python)}, "", "  ")
	return os.WriteFile(filepath.Join(dir, "encoder.json"), append(b, '\n'), 0o644)
}

// encoderKind is the kind encoder.json in dir names ("" when there is
// none to read).
func encoderKind(dir string) (string, []byte) {
	raw, err := os.ReadFile(filepath.Join(dir, "encoder.json"))
	if err != nil {
		return "", nil
	}
	var k struct {
		Kind string `json:"kind"`
	}
	json.Unmarshal(raw, &k)
	return k.Kind, raw
}

// openSentence starts the trainer again on the folder encoder.json in
// encDir names (python, else $DISTILL_PYTHON, else the one it was saved
// with) and checks that it gives m's encoder.
func openSentence(ctx context.Context, model string, m *Model, encDir string, raw []byte, python string) (*Sentence, error) {
	var f sentenceFile
	if err := json.Unmarshal(raw, &f); err != nil || f.Folder == "" || f.Name == "" {
		return nil, fmt.Errorf("%w: model %s: %s is not a sentence encoder's reference (%v)", ErrEncoder, model, filepath.Join(encDir, "encoder.json"), err)
	}
	if f.Name != m.Encoder {
		return nil, fmt.Errorf("%w: model %s was trained on %s; its encoder folder names %s", ErrEncoder, model, m.Encoder, f.Name)
	}
	if fi, err := os.Stat(f.Folder); err != nil || !fi.IsDir() {
		return nil, &FolderError{Model: model, Encoder: m.Encoder, Folder: f.Folder}
	}
	python = lora.Python(python, f.Python)
	opts := encode.DefaultTrainerOptions()
	opts.MaxLength = f.MaxLength
	t, err := encode.NewTrainer(ctx, python, f.Folder, opts)
	if errors.Is(err, encode.ErrNoModel) {
		return nil, &FolderError{Model: model, Encoder: m.Encoder, Folder: f.Folder}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: model %s: %w", ErrEncoder, model, err)
	}
	if t.Name() != m.Encoder || t.Dim() != m.Dim {
		t.Close()
		return nil, &FolderError{Model: model, Encoder: m.Encoder, Folder: f.Folder, Now: t.Name()}
	}
	return &Sentence{Encoder: t, Folder: f.Folder, MaxLength: f.MaxLength, Python: python}, nil
}
