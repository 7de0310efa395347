package main

import (
	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/stages/embed"
)

func embedCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "embed",
		Usage: "one vector per compressed article: <filter>.embeddings",
		Description: `distill embed --filter DIR [--model hashed|FOLDER] [--refit]
  embeds every compressed article the encoder has not embedded yet into
  <filter>.embeddings (id, encoder, vector, ...), for label --select similar|diverse
  and train --backend embed. The default, hashed, needs no download and runs on the
  CPU: latent semantic analysis of the linear student's hashed words, 256 floats,
  fitted on the filter's compressed texts on the first run and kept under the lake
  (encoders/<filter>/<encoder>/) so later runs embed new articles into the same space;
  --refit fits a new one on today's texts. --model FOLDER runs a sentence encoder
  (e.g. all-MiniLM-L6-v2: python -m distill_trainer fetch-minilm --out FOLDER) through
  the Python trainer. Similarity in SQL:
    distill sql "SELECT array_cosine_similarity(a.vector::FLOAT[256], b.vector::FLOAT[256]) ..."`,
		Flags: []cli.Flag{lakeFlag, jsonFlag, filterFlag,
			&cli.StringFlag{Name: "model", Value: embed.Hashed, Usage: "hashed (the CPU default) or a sentence-encoder folder run through the trainer"},
			&cli.BoolFlag{Name: "refit", Usage: "fit a new hashed encoder on today's compressed texts and embed every article with it"},
			&cli.StringFlag{Name: "python", Usage: "the Python that runs a sentence encoder", DefaultText: "$DISTILL_PYTHON, else python3"},
			&cli.StringFlag{Name: "device", Usage: "auto, cpu or cuda, for a sentence encoder", Value: "auto"},
			&cli.IntFlag{Name: "batch-size", Usage: "texts per batch, for a sentence encoder", Value: 32},
		},
		Action: func(c *cli.Context) error {
			f, err := filters.Load(c.String("filter"))
			if err != nil {
				return err
			}
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			res, err := embed.Run(c.Context, l, embed.Options{Filter: f, Model: c.String("model"), Refit: c.Bool("refit"),
				Python: c.String("python"), Device: c.String("device"), BatchSize: c.Int("batch-size")})
			if err != nil {
				return err
			}
			return e.printResult(c, res)
		},
	}
}
