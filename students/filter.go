package students

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
)

// ErrNoPackage means a model's filter package can be found nowhere: the
// model was trained before packages were stored with models, and no
// package given has its hash.
var ErrNoPackage = errors.New("no filter package for the model")

// FilterDir is the copy of the filter package stored with the model.
func (m *Model) FilterDir(l *lake.Lake) string { return filepath.Join(m.Dir(l), filters.StoredDir) }

// Package is the filter package the model was trained for: the copy
// stored with it (checked against the hash its row records), else, for a
// model trained before copies were stored, given when its hash is the
// recorded one. Scoring with another package's prefilter, compression or
// tiers would publish scores no evaluation measured.
func (m *Model) Package(l *lake.Lake, given *filters.Filter) (*filters.Filter, error) {
	dir := m.FilterDir(l)
	if _, err := os.Stat(dir); err == nil {
		f, err := filters.Load(dir)
		if err != nil {
			return nil, fmt.Errorf("model %s: its stored filter package: %w", m.ID, err)
		}
		if m.FilterSHA != "" && f.SHA256 != m.FilterSHA {
			return nil, fmt.Errorf("%w: model %s: %s has sha256 %s, but the model was trained with %s: the copy changed; restore it", ErrNoPackage, m.ID, dir, f.SHA256, m.FilterSHA)
		}
		return f, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if given != nil && m.FilterSHA != "" && given.SHA256 == m.FilterSHA {
		return given, nil
	}
	have := "no package"
	if given != nil {
		have = fmt.Sprintf("%s (sha256 %s)", given.Dir, given.SHA256)
	}
	return nil, fmt.Errorf("%w: model %s was trained before packages were stored with models, for the package of sha256 %q; %s differs: train again, or pass --filter with that package", ErrNoPackage, m.ID, m.FilterSHA, have)
}
