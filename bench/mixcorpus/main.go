// Command mixcorpus writes a JSON lines corpus of n articles made of real
// articles' sentences (benchdata.Pool.WriteMixed), for the score benchmark
// (bench/score.sh):
//
//	go run ./bench/mixcorpus -n 100000 -seed 1 -o corpus.jsonl POOL...
//
// POOL is a JSON lines file (.jsonl, .jsonl.gz) or a folder of .txt files.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/distillery/distillery/internal/benchdata"
)

func main() {
	n := flag.Int("n", 100000, "articles to write")
	seed := flag.Uint64("seed", 1, "seed (ids are mix-<seed>-<n>)")
	out := flag.String("o", "", "the file to write (default stdout)")
	flag.Parse()
	if err := write(*n, *seed, *out, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "mixcorpus:", err)
		os.Exit(1)
	}
}

func write(n int, seed uint64, out string, pool []string) error {
	p, err := benchdata.LoadPool(pool...)
	if err != nil {
		return err
	}
	w := os.Stdout
	if out != "" {
		if w, err = os.Create(out); err != nil {
			return err
		}
	}
	if err := p.WriteMixed(w, n, seed); err != nil {
		w.Close()
		return err
	}
	fmt.Fprintf(os.Stderr, "mixcorpus: %d articles from a pool of %d\n", n, p.Len())
	return w.Close()
}
