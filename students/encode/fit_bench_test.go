package encode_test

import (
	"testing"

	"github.com/distillery/distillery/students/encode"
)

// BenchmarkHashed_Fit fits the CPU encoder on the whole BBC corpus (2,225
// articles).
func BenchmarkHashed_Fit(b *testing.B) {
	texts, _ := bbc(b, 1000)
	for b.Loop() {
		if _, err := encode.FitHashed(texts, encode.DefaultHashed()); err != nil {
			b.Fatal(err)
		}
	}
}
