// Package embed computes one vector per compressed article into
// <filter>.embeddings: with the CPU default (students/encode.Hashed, fitted
// on the filter's compressed texts on the first run and reused after, so
// every vector shares one space) or a sentence encoder folder run through
// the Python trainer. It is incremental: an article embedded by the
// encoder is never embedded again. Run is the entry point.
package embed

import (
	"fmt"

	"github.com/distillery/distillery/filters"
)

// Hashed is the CPU default encoder's model name.
const Hashed = "hashed"

// Options say what to embed with.
type Options struct {
	Filter *filters.Filter `yaml:"-"`
	// Model is hashed (the CPU default) or a local sentence-encoder folder
	// (e.g. all-MiniLM-L6-v2, see trainer/PROTOCOL.md's embed).
	Model string `yaml:"model"`
	// Refit fits a new hashed encoder on today's compressed texts and
	// embeds every article with it (the older vectors stay, under their
	// encoder's name).
	Refit bool `yaml:"-"`
	// Python, Device and BatchSize run a sentence encoder.
	Python    string `yaml:"python"`
	Device    string `yaml:"device"`
	BatchSize int    `yaml:"batch_size"`
	// Waiting, when set, gets the line saying that another embed run holds
	// the table (nil: the line goes to standard error).
	Waiting func(msg string) `yaml:"-"`
}

// Validate fills defaults and checks the options.
func (o *Options) Validate() error {
	if o.Filter == nil {
		return fmt.Errorf("%w: no filter", ErrOptions)
	}
	if o.Model == "" {
		o.Model = Hashed
	}
	if o.Refit && o.Model != Hashed {
		return fmt.Errorf("%w: --refit refits the hashed encoder; a sentence encoder (%s) is fixed by its folder", ErrOptions, o.Model)
	}
	if o.BatchSize < 0 {
		return fmt.Errorf("%w: batch size %d", ErrOptions, o.BatchSize)
	}
	if o.BatchSize == 0 {
		o.BatchSize = 32
	}
	return nil
}
