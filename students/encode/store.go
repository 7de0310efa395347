package encode

import (
	"path/filepath"
	"strings"
)

// Dir is the folder under the lake's root where the encoder called name
// keeps its files for a filter's namespace: encoders/<namespace>/<name>/.
func Dir(root, namespace, name string) string {
	return filepath.Join(root, "encoders", namespace, strings.ReplaceAll(name, "/", "_"))
}

// IsHashed reports whether an encoder's name is a hashed encoder's.
func IsHashed(name string) bool { return strings.HasPrefix(name, "hashed-") }
