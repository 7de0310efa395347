package filters

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// StoredDir is the folder, inside a model's artifact folder, that holds a
// copy of the filter package the model was trained with: scoring with the
// model later prefilters, compresses and tiers with exactly that package,
// whatever the package's folder holds by then.
const StoredDir = "filter"

// CopyTo copies the package's files (those its SHA256 covers) into dir,
// made if missing. The bytes written are hashed as Load hashed them and
// must give f.SHA256: a package edited since Load is an error, never a
// copy of another package under this one's hash.
func (f *Filter) CopyTo(dir string) error {
	entries, err := os.ReadDir(f.Dir)
	if err != nil {
		return err
	}
	h := sha256.New()
	files := map[string][]byte{}
	var names []string
	for _, e := range entries {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(f.Dir, e.Name()))
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", e.Name(), len(b))
		h.Write(b)
		files[e.Name()] = b
		names = append(names, e.Name())
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.SHA256 {
		return fmt.Errorf("%w: %s since it was loaded (sha256 %s, loaded as %s): run again", ErrChanged, f.Dir, got, f.SHA256)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(dir, name), files[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}
