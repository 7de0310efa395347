package bundle_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"testing"
)

func testSHA(t *testing.T, path string) (string, int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), int64(len(b))
}
