// Package agree measures the oracles before a user pays for many labels:
// how far two oracles agree (and each oracle with itself, over its
// repeated asks), per dimension, overall score and tier, into
// <filter>.agreements; and it exports the articles they disagree on most,
// for a person to judge (a judged file imports back with
// `label import --oracle human`).
package agree

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/distillery/distillery/filters"
)

// Options say which oracles to compare.
type Options struct {
	Filter *filters.Filter `yaml:"-"`
	// A and B name oracles as KIND/MODEL ("" for every oracle): A alone
	// compares A with every other; both, B against A (offsets are B - A).
	A string `yaml:"a"`
	B string `yaml:"b"`
	// Labels pins the labels snapshot read ("labels@N" or a tag; "": the
	// current one).
	Labels string `yaml:"labels"`
	// Export, when set, is a .jsonl or .html file of the Top articles the
	// oracles disagree on most (default 50).
	Export string `yaml:"-"`
	Top    int    `yaml:"top"`
	// Force lets Export replace a file that exists (a review a person may
	// be judging: refused without it).
	Force bool `yaml:"-"`
	// Waiting, when set, gets the line saying that another agree run holds
	// the table (nil: the line goes to standard error).
	Waiting func(msg string) `yaml:"-"`
}

// DefaultTop is how many articles an export lists unless told.
const DefaultTop = 50

// Validate fills defaults and checks the options.
func (o *Options) Validate() error {
	if o.Filter == nil {
		return fmt.Errorf("%w: no filter", ErrOptions)
	}
	for _, name := range []string{o.A, o.B} {
		if name == "" {
			continue
		}
		if kind, model, ok := strings.Cut(name, "/"); !ok || kind == "" || model == "" {
			return fmt.Errorf("%w: oracle %q: name it KIND/MODEL, e.g. gemini/gemini-2.5-flash (distill agree lists the oracles there are)", ErrOptions, name)
		}
	}
	if o.Top == 0 {
		o.Top = DefaultTop
	}
	if o.Top < 0 {
		return fmt.Errorf("%w: --top %d: want a positive number of articles", ErrOptions, o.Top)
	}
	if o.Export != "" {
		switch strings.ToLower(filepath.Ext(o.Export)) {
		case ".jsonl", ".html":
		default:
			return fmt.Errorf("%w: --export %s: want a .jsonl (to judge and import back) or .html (to read) file", ErrOptions, o.Export)
		}
		if _, err := os.Stat(o.Export); err == nil && !o.Force {
			return fmt.Errorf("%w: --export %s exists (a review someone may be judging): choose another name, or --force to replace it", ErrOptions, o.Export)
		}
	}
	return nil
}
