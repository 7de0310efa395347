package linear_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/distillery/distillery/students/linear"
)

// A model sent through its JSON form predicts exactly what it did, and a
// JSON whose shape is off is refused.
func TestPortable_RoundTrip(t *testing.T) {
	var train []linear.Example
	for i := range 60 {
		text := strings.Repeat("solar grid ", i%5) + "Ünïcode WÖRDS 42 village " + strings.Repeat("İstanbul wind ", i%3)
		train = append(train, linear.Example{Text: text, Labels: []float64{float64(i % 5), float64(i % 3)}})
	}
	m, _, err := linear.Train(train, nil, []string{"a", "b"}, linear.Config{Bits: 12, NGrams: 2, MinDF: 1, Lambdas: []float64{1}, MaxIter: 50})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(m.Portable())
	if err != nil {
		t.Fatal(err)
	}
	var p linear.Portable
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	back, err := linear.FromPortable(&p)
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range train {
		if got, want := back.Predict(ex.Text), m.Predict(ex.Text); !slices.Equal(got, want) {
			t.Fatalf("%q: %v after the JSON, %v before", ex.Text, got, want)
		}
	}
	bad := p
	bad.Weights = bad.Weights[:1]
	if _, err := linear.FromPortable(&bad); err == nil {
		t.Error("a JSON with one weight row for two dimensions was accepted")
	}
	bad = p
	bad.Buckets = slices.Clone(p.Buckets)
	bad.Buckets[0] = 1 << 12
	if _, err := linear.FromPortable(&bad); err == nil {
		t.Error("a bucket beyond 2^bits was accepted")
	}
	bad = p
	bad.Format = "other"
	if _, err := linear.FromPortable(&bad); err == nil {
		t.Error("another format was accepted")
	}
}
