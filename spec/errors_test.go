package spec_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/distillery/distillery/spec"
)

func TestNeedError(t *testing.T) {
	own := errors.New("no prefilter decisions")
	err := fmt.Errorf("compress: %w", spec.Need(spec.Prefiltered, "uplifting", "no prefilter decisions for this filter", own))
	if !errors.Is(err, spec.ErrNotReady) || !errors.Is(err, own) {
		t.Errorf("errors.Is(ErrNotReady) = %v, errors.Is(own) = %v; want both", errors.Is(err, spec.ErrNotReady), errors.Is(err, own))
	}
	if want := "run `distill prefilter --filter DIR` first"; !strings.Contains(err.Error(), want) {
		t.Errorf("Error() = %q, want it to say %q", err, want)
	}
	var ne *spec.NeedError
	if !errors.As(err, &ne) || ne.Stage != spec.Prefilter || ne.Table.String() != "uplifting.prefiltered" {
		t.Fatalf("errors.As: %+v", ne)
	}
	if !strings.Contains(ne.Hint(), "uplifting.prefiltered is written by `distill prefilter") {
		t.Errorf("Hint() = %q", ne.Hint())
	}
	label := spec.Need(spec.Labels, "uplifting", "no labels for this filter yet", nil)
	if got, want := label.Error(), "no labels for this filter yet: run `distill label --filter DIR` (or `distill label import`) first"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	bare := spec.Need(spec.Raw, "ignored", "", nil)
	if got, want := bare.Error(), "corpus.raw has no snapshot yet: run `distill ingest PATH` first"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
