package lake

import (
	"database/sql"
	"net/url"
	"os"
	"strings"
)

// pathMap maps paths (file: URLs or plain) under an old root to the new
// root, keeping each path's spelling.
type pathMap struct {
	root  string
	pairs [][2]string // old prefix, new prefix
	news  []string    // the new root's spellings
}

func fileURL(p string) string { return (&url.URL{Scheme: "file", Path: p}).String() }

func spellings(root string) []string {
	return []string{fileURL(root), "file://" + root, "file:" + root, root}
}

func newPathMap(olds []string, root string) pathMap {
	m := pathMap{root: root, news: spellings(root)}
	for _, o := range olds {
		for i, sp := range spellings(o) {
			m.pairs = append(m.pairs, [2]string{sp, m.news[i]})
		}
	}
	return m
}

func under(s, prefix string) bool { return s == prefix || strings.HasPrefix(s, prefix+"/") }

// mapPath maps s if it is under an old root. A path under the new root is
// left alone when that is the closer match, so a rerun after a stop never
// maps a path twice, even when one root lies inside the other.
func (m pathMap) mapPath(s string) (string, bool) {
	best := -1
	for i, p := range m.pairs {
		if under(s, p[0]) && (best < 0 || len(p[0]) > len(m.pairs[best][0])) {
			best = i
		}
	}
	if best < 0 {
		return s, false
	}
	for _, n := range m.news {
		if under(s, n) && len(n) >= len(m.pairs[best][0]) {
			return s, false
		}
	}
	p := m.pairs[best]
	return p[1] + s[len(p[0]):], true
}

func (m pathMap) mapNull(s sql.NullString) (sql.NullString, bool) {
	if !s.Valid {
		return s, false
	}
	v, ok := m.mapPath(s.String)
	return sql.NullString{String: v, Valid: true}, ok
}

func (m pathMap) mapField(rec map[string]any, key string) bool {
	s, ok := rec[key].(string)
	if !ok {
		return false
	}
	v, changed := m.mapPath(s)
	if changed {
		rec[key] = v
	}
	return changed
}

// fixManifestEntry maps a manifest entry's data (or delete) file paths.
func (m pathMap) fixManifestEntry(rec map[string]any) bool {
	df, ok := rec["data_file"].(map[string]any)
	if !ok {
		return false
	}
	a := m.mapField(df, "file_path")
	b := m.mapField(df, "referenced_data_file")
	return a || b
}

// fixManifestFile maps a manifest list entry's manifest path and sets its
// length to that of the (already rewritten) manifest under the new root.
func (m pathMap) fixManifestFile(rec map[string]any) bool {
	changed := m.mapField(rec, "manifest_path")
	p, _ := rec["manifest_path"].(string)
	if lp := localPath(p); lp == m.root || strings.HasPrefix(lp, m.root+"/") {
		if fi, err := os.Stat(lp); err == nil {
			if n, ok := rec["manifest_length"].(int64); ok && n != fi.Size() {
				rec["manifest_length"] = fi.Size()
				changed = true
			}
		}
	}
	return changed
}
