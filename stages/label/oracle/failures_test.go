package oracle

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/distillery/distillery/internal/testutil"
)

// both makes a Gemini and an OpenAI-compatible oracle for baseURL.
func both(t *testing.T, baseURL string) map[string]Oracle {
	t.Setenv("GEMINI_API_KEY", secretKey)
	t.Setenv("OPENAI_API_KEY", secretKey)
	g, err := NewGemini(context.Background(), "gemini-test", baseURL, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	o, err := NewOpenAI("m", baseURL+"/v1", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]Oracle{"gemini": g, "openai": o}
}

// A server that cannot be reached (refused, no such host, an untrusted
// certificate) is a connection failure, not an unknown one.
func TestCall_ConnectionClass(t *testing.T) {
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	for name, url := range map[string]string{
		"connection refused": testutil.ClosedPort(t),
		"no such host":       "http://distill-no-such-host.invalid",
		"untrusted TLS":      tlsSrv.URL,
	} {
		for kind, o := range both(t, url) {
			_, err := o.Call(context.Background(), Request{Prompt: "p"})
			if ClassOf(err) != Connection {
				t.Errorf("%s, %s: class %s (%v), want connection", name, kind, ClassOf(err), err)
			}
		}
	}
}

// A server that echoes the request's headers into its error puts the key in
// the message: the error the oracle returns holds no key.
func TestCall_EchoedKeyRedacted(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		var hs []string
		for k, v := range r.Header {
			hs = append(hs, k+": "+strings.Join(v, ","))
		}
		sort.Strings(hs)
		echo := strings.Join(hs, "; ") + "; url " + r.URL.String() + "?key=" + secretKey
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"error":{"code":400,"message":%q,"status":"INVALID_ARGUMENT"}}`, "bad request; headers: "+echo)
	}))
	defer srv.Close()
	for kind, o := range both(t, srv.URL) {
		_, err := o.Call(context.Background(), Request{Prompt: "p"})
		if err == nil || ClassOf(err) != BadRequest {
			t.Fatalf("%s: %v", kind, err)
		}
		if msg := err.Error(); strings.Contains(msg, secretKey) || !strings.Contains(msg, "bad request") {
			t.Errorf("%s: %s", kind, msg)
		}
	}
}

func TestRedact(t *testing.T) {
	t.Setenv("GEMINI_API_KEY", "AIzaEnvironmentKey123")
	for in, want := range map[string]string{
		"GET /v1?key=abc123&alt=json":                         "GET /v1?key=<redacted>&alt=json",
		"Authorization: Bearer sk-abc.def":                    "Authorization: Bearer <redacted>",
		`"authorization":["Bearer sk-abc"]`:                   `"authorization":["Bearer <redacted>"]`,
		"X-Goog-Api-Key: AIzaXYZ, next":                       "X-Goog-Api-Key: <redacted>, next",
		`{"x-goog-api-key": "AIzaXYZ"}`:                       `{"x-goog-api-key": "<redacted>"}`,
		"the key AIzaEnvironmentKey123 is wrong":              "the key <redacted> is wrong",
		"connection refused: dial tcp 127.0.0.1:1":            "connection refused: dial tcp 127.0.0.1:1",
		`{"error":{"message":"api_key=abc","code":"monkey"}}`: `{"error":{"message":"api_key=<redacted>","code":"monkey"}}`,
	} {
		if got := Redact(in); got != want || Redact(got) != got {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
