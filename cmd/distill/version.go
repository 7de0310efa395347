package main

import (
	"fmt"
	"io"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

func versionCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version, revision, Go version and build tags (as --version)",
		Action: func(*cli.Context) error {
			_, err := io.WriteString(e.stdout, versionText(buildInfo()))
			return err
		},
	}
}

func buildInfo() *debug.BuildInfo {
	bi, _ := debug.ReadBuildInfo()
	return bi
}

// pseudoVersion matches the versions Go stamps on a build between releases:
// v0.0.0-20260102030405-0123456789ab, with +dirty for uncommitted changes.
var pseudoVersion = regexp.MustCompile(`\d{14}-[0-9a-f]{12}`)

// versionText is what --version prints: the release, or "devel" and the
// commit it was built from; the Go that built it; and whether it has the
// duckdb_arrow tag, with which DuckDB hands query results to Go as Arrow
// batches itself (without it they are built row by row: slower).
func versionText(bi *debug.BuildInfo) string {
	if bi == nil {
		bi = &debug.BuildInfo{}
	}
	setting := func(key string) string {
		for _, s := range bi.Settings {
			if s.Key == key {
				return s.Value
			}
		}
		return ""
	}
	rev := setting("vcs.revision")
	if len(rev) > 12 {
		rev = rev[:12]
	}
	var when []string
	if t := setting("vcs.time"); t != "" {
		when = append(when, t)
	}
	if setting("vcs.modified") == "true" {
		when = append(when, "modified")
	}
	var b strings.Builder
	v := bi.Main.Version
	release := strings.HasPrefix(v, "v") && !pseudoVersion.MatchString(v) && !strings.Contains(v, "+dirty")
	switch {
	case release && rev != "":
		fmt.Fprintf(&b, "distill %s (%s)\n", v, strings.Join(append([]string{rev}, when...), ", "))
	case release:
		fmt.Fprintf(&b, "distill %s\n", v)
	case rev != "" && len(when) > 0:
		fmt.Fprintf(&b, "distill devel %s (%s)\n", rev, strings.Join(when, ", "))
	case rev != "":
		fmt.Fprintf(&b, "distill devel %s\n", rev)
	default:
		fmt.Fprintf(&b, "distill devel (no revision)\n")
	}
	goVersion := bi.GoVersion
	if goVersion == "" {
		goVersion = runtime.Version()
	}
	fmt.Fprintf(&b, "%s %s/%s\n", goVersion, runtime.GOOS, runtime.GOARCH)
	tags := strings.Split(setting("-tags"), ",")
	if slices.Contains(tags, "duckdb_arrow") {
		fmt.Fprintln(&b, "duckdb_arrow: yes (query results reach Go as Arrow batches)")
	} else {
		fmt.Fprintln(&b, "duckdb_arrow: no (query results are built row by row, slower: make build adds the tag)")
	}
	return b.String()
}
