package main

import (
	"github.com/urfave/cli/v2"
)

func benchCommand(e *env) *cli.Command {
	return &cli.Command{Name: "bench", Usage: "benchmarks", Hidden: true}
}
