package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
)

// demoManifest is what a demo left in its folder, kept in the marker file:
// a rerun replaces the folder only while nothing was added or changed since.
type demoManifest struct {
	// Files are the files outside the lake, by slash path within the folder.
	Files map[string]demoFile `json:"files"`
	// Lake is each table's state: the lake's own files change when it is
	// only read (locks), so it is compared by what the user can do to it.
	Lake map[string]demoTable `json:"lake"`
}

type demoFile struct {
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

type demoTable struct {
	Current   int64    `json:"current"` // snapshot id, 0 for none
	Snapshots []int64  `json:"snapshots"`
	Tags      []string `json:"tags,omitempty"`
}

// demoReport is the report the demo's pipeline writes, relative to its folder.
const demoReport = "report.html"

// demoLakeDir is the lake's folder within a demo's.
const demoLakeDir = "lake"

// DemoChangedError refuses to replace a demo folder the user added to or
// changed since the demo made it.
type DemoChangedError struct {
	Dir     string
	Changes []string
}

func (e *DemoChangedError) Error() string {
	const most = 8
	shown := e.Changes
	more := ""
	if len(shown) > most {
		shown, more = shown[:most], fmt.Sprintf("; and %s more", human.Plural(int64(len(e.Changes)-most), "change"))
	}
	return fmt.Sprintf("%s has changed since distill demo made it, and a new demo would delete it all: %s%s", e.Dir, strings.Join(shown, "; "), more)
}

// Hint says how to go on.
func (e *DemoChangedError) Hint() string {
	return fmt.Sprintf("move what you want to keep out of %s, choose another --dir, or add --force to replace it anyway", e.Dir)
}

// recordDemo writes the manifest of what the demo left in dir.
func recordDemo(ctx context.Context, dir string) error {
	m := demoManifest{}
	var err error
	if m.Files, err = demoFiles(dir); err != nil {
		return err
	}
	if m.Lake, err = demoLake(ctx, dir); err != nil {
		return err
	}
	b, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, demoMarker), b, 0o644)
}

// demoChanges lists what was added to or changed in dir since the demo
// recorded it. Removed files are no loss, and are not listed.
func demoChanges(ctx context.Context, dir string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, demoMarker))
	if err != nil {
		return nil, err
	}
	var m demoManifest
	if len(b) == 0 || json.Unmarshal(b, &m) != nil || m.Files == nil {
		return []string{"its contents were never recorded (an older distill, or a demo that was killed)"}, nil
	}
	var out []string
	files, err := demoFiles(dir)
	if err != nil {
		return nil, err
	}
	for _, p := range slices.Sorted(maps.Keys(files)) {
		was, ok := m.Files[p]
		switch {
		case !ok:
			out = append(out, "added "+p)
		case was != files[p] && p != demoReport:
			// The report is drawn from the lake, checked below: rerunning
			// the demo's own pipeline redraws it and changes nothing of yours.
			out = append(out, "changed "+p)
		}
	}
	tables, err := demoLake(ctx, dir)
	if err != nil {
		return append(out, fmt.Sprintf("%s/ cannot be read (%v)", demoLakeDir, err)), nil
	}
	for _, name := range slices.Sorted(maps.Keys(tables)) {
		out = append(out, tableChanges(name, m.Lake[name], tables[name], hasKey(m.Lake, name))...)
	}
	return out, nil
}

// tableChanges says what the user did to one table: snapshots the demo did
// not make (their own commands), a rollback, tags.
func tableChanges(name string, was, now demoTable, known bool) []string {
	var out []string
	if !known {
		return []string{fmt.Sprintf("added table %s (%s)", name, human.Plural(int64(len(now.Snapshots)), "snapshot"))}
	}
	if n := len(slices.DeleteFunc(slices.Clone(now.Snapshots), func(id int64) bool { return slices.Contains(was.Snapshots, id) })); n > 0 {
		out = append(out, fmt.Sprintf("%s: %s the demo did not make", name, human.Plural(int64(n), "snapshot")))
	} else if now.Current != was.Current {
		out = append(out, fmt.Sprintf("%s: rolled back", name))
	}
	for _, tag := range now.Tags {
		if !slices.Contains(was.Tags, tag) {
			out = append(out, fmt.Sprintf("%s: tag %q", name, tag))
		}
	}
	return out
}

// demoFiles hashes every file of dir but the marker and the lake's.
func demoFiles(dir string) (map[string]demoFile, error) {
	files := map[string]demoFile{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir() && rel == demoLakeDir:
			return fs.SkipDir
		case d.IsDir() || rel == demoMarker:
			return nil
		}
		f, err := fileSum(p, d)
		files[rel] = f
		return err
	})
	return files, err
}

func fileSum(p string, d fs.DirEntry) (demoFile, error) {
	if !d.Type().IsRegular() {
		return demoFile{Size: -1}, nil // a link or device: never one the demo wrote
	}
	fh, err := os.Open(p)
	if err != nil {
		return demoFile{}, err
	}
	defer fh.Close()
	h := sha256.New()
	n, err := io.Copy(h, fh)
	return demoFile{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, err
}

// demoLake is each table's snapshots, current snapshot and tags; nil when
// dir holds no lake.
func demoLake(ctx context.Context, dir string) (map[string]demoTable, error) {
	path := filepath.Join(dir, demoLakeDir)
	if _, err := os.Stat(filepath.Join(path, lake.CatalogFile)); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	l, err := lake.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	infos, err := l.Tables(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]demoTable{}
	for _, ti := range infos {
		snaps, err := l.Snapshots(ctx, ti.Name)
		if err != nil {
			return nil, err
		}
		t := demoTable{Snapshots: []int64{}}
		for _, s := range snaps {
			t.Snapshots = append(t.Snapshots, s.ID)
			t.Tags = append(t.Tags, s.Tags...)
			if s.Current {
				t.Current = s.ID
			}
		}
		slices.Sort(t.Tags)
		out[ti.Name.String()] = t
	}
	return out, nil
}

func hasKey[V any](m map[string]V, k string) bool {
	_, ok := m[k]
	return ok
}
