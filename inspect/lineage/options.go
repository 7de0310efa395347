package lineage

import "fmt"

// Options name the article and where to look.
type Options struct {
	// ID is the article's id (corpus.raw's id, which every stage keeps).
	ID string
	// Namespace limits the search to corpus and one filter's namespace;
	// empty searches every namespace of the lake.
	Namespace string
}

// Validate checks the options.
func (o *Options) Validate() error {
	if o.ID == "" {
		return fmt.Errorf("%w: no id", ErrOptions)
	}
	return nil
}
