//go:build !unix

package lake

// diskFull and readOnly rely on the error texts storageError also checks
// where the platform's error numbers are not at hand.
func diskFull(error) bool { return false }

func readOnly(error) bool { return false }
