package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// hashTree lists every regular file under dir but the manifest, sorted by
// path, with its sha256 and size.
func hashTree(dir string) ([]File, error) {
	// The folder itself may be given by a symbolic link (WalkDir would not
	// enter it); links inside it stay refused.
	if r, err := filepath.EvalSymlinks(dir); err == nil {
		dir = r
	}
	var out []File
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if rel == ManifestFile {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%w: %s is not a regular file", ErrExtra, rel)
		}
		sum, size, err := hashFile(p)
		if err != nil {
			return err
		}
		out = append(out, File{Path: rel, SHA256: sum, Size: size})
		return nil
	})
	slices.SortFunc(out, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return out, err
}

func hashFile(path string) (string, int64, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer fh.Close()
	h := sha256.New()
	n, err := io.Copy(h, fh)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// Problem is one file that fails the manifest: changed, missing or extra.
type Problem struct {
	Path string `json:"path"`
	What string `json:"what"`
	err  error
}

func (p Problem) Error() string { return fmt.Sprintf("%s: %s", p.Path, p.What) }
func (p Problem) Unwrap() error { return p.err }

// checkFiles compares the folder's files with the manifest's list: every
// listed file present with its sha256 and size, and no other file.
func checkFiles(dir string, m *Manifest) ([]Problem, error) {
	have, err := hashTree(dir)
	if err != nil {
		return nil, err
	}
	byPath := map[string]File{}
	for _, f := range have {
		byPath[f.Path] = f
	}
	var out []Problem
	listed := map[string]bool{}
	for _, want := range m.Files {
		listed[want.Path] = true
		got, ok := byPath[want.Path]
		switch {
		case !ok:
			out = append(out, Problem{Path: want.Path, What: "missing", err: ErrMissing})
		case got.Size != want.Size || got.SHA256 != want.SHA256:
			out = append(out, Problem{Path: want.Path, What: fmt.Sprintf("sha256 %s (%d bytes), the manifest says %s (%d bytes)", got.SHA256, got.Size, want.SHA256, want.Size), err: ErrHash})
		}
	}
	for _, f := range have {
		if !listed[f.Path] {
			out = append(out, Problem{Path: f.Path, What: "not in the manifest", err: ErrExtra})
		}
	}
	return out, nil
}
