package probe_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/students/probe"
)

// fixed is an encoder that gives every text the same vector, standing in
// for a sentence encoder's process.
type fixed struct{ name string }

func (f fixed) Name() string { return f.name }
func (f fixed) Dim() int     { return 2 }
func (f fixed) Close() error { return nil }
func (f fixed) Encode(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i := range out {
		out[i] = []float32{1, 0}
	}
	return out, nil
}

// TestModel_SaveOpenSentence saves a model trained on a sentence encoder:
// its encoder folder holds a reference to the encoder's folder, not a
// copy; Open refuses, with a *FolderError saying what to do, once that
// folder is gone (before starting any process).
func TestModel_SaveOpenSentence(t *testing.T) {
	m, _, err := probe.Train([]probe.Example{ex([]float32{1, 0}, 2), ex([]float32{0, 1}, 6)}, nil, []string{"a"}, probe.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m.Encoder = "bert-2@0123abcd"
	dir, folder := filepath.Join(t.TempDir(), "embed-1"), t.TempDir()
	enc := &probe.Sentence{Encoder: fixed{m.Encoder}, Folder: folder, MaxLength: 256, Python: "/usr/bin/python3"}
	if err := m.Save(dir, &probe.Sentence{Encoder: fixed{m.Encoder}, Folder: "relative"}); !errors.Is(err, probe.ErrEncoder) {
		t.Errorf("Save with a relative folder: %v", err)
	}
	if err := m.Save(dir, enc); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, probe.EncoderDir))
	raw, _ := os.ReadFile(filepath.Join(dir, probe.EncoderDir, "encoder.json"))
	var ref map[string]any
	if err := json.Unmarshal(raw, &ref); err != nil || len(entries) != 1 || ref["kind"] != "trainer" || ref["name"] != m.Encoder ||
		ref["folder"] != folder || ref["max_length"] != 256.0 {
		t.Fatalf("encoder folder: %v, encoder.json %s (%v)", entries, raw, err)
	}
	os.RemoveAll(folder)
	_, _, err = probe.Open(dir)
	var fe *probe.FolderError
	if !errors.As(err, &fe) || !errors.Is(err, probe.ErrEncoder) || fe.Folder != folder ||
		err.Error() != "model embed-1 was trained on bert-2@0123abcd; its folder "+folder+" is gone: restore the folder or retrain" {
		t.Errorf("Open with the folder gone: %v", err)
	}
	// encoder.json naming another encoder than the model's.
	ref["name"] = "bert-2@ffffffff"
	raw, _ = json.Marshal(ref)
	os.WriteFile(filepath.Join(dir, probe.EncoderDir, "encoder.json"), raw, 0o644)
	if _, _, err := probe.Open(dir); !errors.Is(err, probe.ErrEncoder) || !strings.Contains(err.Error(), "names bert-2@ffffffff") {
		t.Errorf("Open with another name: %v", err)
	}
}
