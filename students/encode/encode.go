// Package encode turns texts into fixed-size unit vectors: the frozen
// encoders behind <filter>.embeddings (distill embed), the selection
// strategies that read it (label --select similar|diverse) and the embed
// student (train --backend embed). Hashed is the CPU default that needs no
// download: the linear student's hashed unigrams and bigrams, tf-idf
// weighted with an idf frozen when the encoder is fitted, reduced by a
// sparse random projection. Trainer runs a sentence encoder (e.g.
// all-MiniLM-L6-v2) through the Python trainer.
package encode

import "context"

// Encoder turns texts into unit vectors of Dim floats.
type Encoder interface {
	// Name is recorded in embeddings.encoder and a model's parameters: the
	// kind, the size and a digest of what fixes the vectors (e.g.
	// "hashed-256@1a2b3c4d"), so two encoders that embed differently never
	// share a name.
	Name() string
	// Dim is the length of every vector.
	Dim() int
	// Encode embeds texts, one vector per text in their order, each of
	// length Dim with unit L2 norm (a text with no features: all zeros).
	Encode(ctx context.Context, texts []string) ([][]float32, error)
	// Close releases what the encoder holds (a subprocess).
	Close() error
}
