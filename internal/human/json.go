package human

import (
	"bytes"
	"encoding/json"
	"io"
)

// JSONEncoder is the encoder of every JSON document distill prints: indented
// by two spaces, and with <, > and & left as they are (encoding/json's
// default writes them as \u003c, \u003e and \u0026, for HTML that distill
// never writes into), so that a query's `score > 5` reads as written.
func JSONEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc
}

// MarshalJSON is json.Marshal without the escaping of <, > and &: for a
// MarshalJSON method, whose bytes an encoder copies as they are.
func MarshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
