//go:build !unix

package lake

import "os"

// writable reports whether this user may write the file.
func writable(path string) bool {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

// writableDir reports whether this user may create files in dir.
func writableDir(dir string) bool {
	f, err := os.CreateTemp(dir, ".distill-probe-*")
	if err != nil {
		return false
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return true
}
