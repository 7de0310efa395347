package filters

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// builtin holds the filter packages that ship with distill, so the demo and
// users without a checkout can start from them.
//
//go:embed sustainability_tech_deployment uplifting
var builtin embed.FS

// Builtin lists the shipped packages as name/vN.
func Builtin() []string {
	var out []string
	dirs, _ := fs.Glob(builtin, "*/v*")
	out = append(out, dirs...)
	return out
}

// WriteBuiltin copies the shipped package pkg (e.g. "uplifting/v1") into
// dir/pkg and returns its path, ready for Load.
func WriteBuiltin(dir, pkg string) (string, error) {
	entries, err := fs.ReadDir(builtin, pkg)
	if err != nil {
		return "", fmt.Errorf("no built-in filter %q (have %v)", pkg, Builtin())
	}
	dst := filepath.Join(dir, filepath.FromSlash(pkg))
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return "", err
	}
	for _, e := range entries {
		b, err := builtin.ReadFile(pkg + "/" + e.Name())
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			return "", err
		}
	}
	return dst, nil
}
