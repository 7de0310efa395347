//go:build !unix

package lake

import "os"

// tryLock is a no-op where the platform has no flock: one writer at a time
// is then the user's to ensure.
func tryLock(*os.File) (busy bool, err error) { return false, nil }

func unlock(*os.File) {}
