package lake

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/twmb/avro"
	"github.com/twmb/avro/ocf"
)

// rewriteMetadata maps the paths in one metadata.json: location,
// metadata-log, snapshots' manifest lists, statistics files, and path
// properties. Numbers are kept as written (snapshot ids are 64-bit).
func (m pathMap) rewriteMetadata(p, out string) error {
	raw, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	gz := len(raw) > 2 && raw[0] == 0x1f && raw[1] == 0x8b
	data := raw
	if gz {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return err
		}
		if data, err = io.ReadAll(zr); err != nil {
			return err
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return err
	}
	changed := m.mapField(doc, "location")
	each := func(key string, fn func(map[string]any) bool) {
		list, _ := doc[key].([]any)
		for _, e := range list {
			if o, ok := e.(map[string]any); ok && fn(o) {
				changed = true
			}
		}
	}
	each("metadata-log", func(o map[string]any) bool { return m.mapField(o, "metadata-file") })
	each("statistics", func(o map[string]any) bool { return m.mapField(o, "statistics-path") })
	each("partition-statistics", func(o map[string]any) bool { return m.mapField(o, "statistics-path") })
	each("snapshots", func(o map[string]any) bool {
		c := m.mapField(o, "manifest-list")
		list, _ := o["manifests"].([]any) // format v1 may list manifests inline
		for i, v := range list {
			if s, ok := v.(string); ok {
				if n, ok := m.mapPath(s); ok {
					list[i], c = n, true
				}
			}
		}
		return c
	})
	if props, ok := doc["properties"].(map[string]any); ok {
		for k := range props {
			if m.mapField(props, k) {
				changed = true
			}
		}
	}
	if !changed {
		return copyUnchanged(p, out, raw)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	body := bytes.TrimRight(buf.Bytes(), "\n")
	if gz {
		var zb bytes.Buffer
		zw := gzip.NewWriter(&zb)
		if _, err := zw.Write(body); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		body = zb.Bytes()
	}
	return writeFileAtomic(out, body)
}

// avroKind returns the record name of an Avro file's schema: manifest_entry
// for a manifest, manifest_file for a manifest list.
func avroKind(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	rd, err := ocf.NewReader(f)
	if err != nil {
		return "", nil // not an Avro container file: not ours to rewrite
	}
	defer rd.Close()
	var sc struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(rd.Metadata()["avro.schema"], &sc)
	return sc.Name, nil
}

// rewriteAvro decodes every record of an Avro container file, lets fix
// change them, and, if any changed, writes them back with the same schema
// text, codec and header metadata. The new file is decoded again and
// compared before it replaces the old one.
func rewriteAvro(p, out string, fix func(map[string]any) bool) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	recs, meta, err := readAvro(f)
	if err != nil {
		return err
	}
	changed := false
	for _, r := range recs {
		if m, ok := r.(map[string]any); ok && fix(m) {
			changed = true
		}
	}
	if !changed {
		if p == out {
			return nil
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return copyUnchanged(p, out, raw)
	}
	codec, err := avroCodec(string(meta["avro.codec"]))
	if err != nil {
		return err
	}
	user := map[string][]byte{}
	for k, v := range meta {
		if !strings.HasPrefix(k, "avro.") {
			user[k] = v
		}
	}
	sc, err := avro.Parse(string(meta["avro.schema"]))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	w, err := ocf.NewWriter(&buf, sc, ocf.WithCodec(codec), ocf.WithMetadata(user))
	if err != nil {
		return err
	}
	for _, r := range recs {
		if err := w.Encode(r); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	back, _, err := readAvro(bytes.NewReader(buf.Bytes()))
	if err != nil {
		return fmt.Errorf("read back: %w", err)
	}
	// Compared as encoded bytes, not values: a NaN bound equals itself there.
	same := len(back) == len(recs)
	for i := 0; same && i < len(recs); i++ {
		a, err1 := sc.AppendEncode(nil, recs[i])
		b, err2 := sc.AppendEncode(nil, back[i])
		same = err1 == nil && err2 == nil && bytes.Equal(a, b)
	}
	if !same {
		return errors.New("the rewritten file reads back differently: left as it was")
	}
	return writeFileAtomic(out, buf.Bytes())
}

func readAvro(r io.Reader) ([]any, map[string][]byte, error) {
	rd, err := ocf.NewReader(r)
	if err != nil {
		return nil, nil, err
	}
	defer rd.Close()
	var recs []any
	for {
		var v any
		err := rd.Decode(&v)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		recs = append(recs, v)
	}
	return recs, rd.Metadata(), nil
}

func avroCodec(name string) (ocf.Codec, error) {
	switch name {
	case "", "null":
		return nil, nil
	case "deflate":
		return ocf.DeflateCodec(flate.DefaultCompression), nil
	case "snappy":
		return ocf.SnappyCodec(), nil
	case "zstandard":
		return ocf.ZstdCodec(nil, nil)
	}
	return nil, fmt.Errorf("unknown Avro codec %q", name)
}

// copyUnchanged writes an unchanged file to out when out is not p.
func copyUnchanged(p, out string, data []byte) error {
	if p == out {
		return nil
	}
	return writeFileAtomic(out, data)
}

// writeFileAtomic replaces p with data: written under a temporary name in
// the same folder, synced, renamed over p, and the folder synced, so p is
// always either the old or the new file.
func writeFileAtomic(p string, data []byte) error {
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(p); err == nil {
		mode = fi.Mode().Perm()
	} else if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp := p + tmpSuffix
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(filepath.Dir(p)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
