package oracletest

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/stages/label/oracle"
)

// A call that takes longer than the oracle's timeout is a timeout (retried).
func testTimeout(t *testing.T, newOracle Factory) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { time.Sleep(300 * time.Millisecond) }))
	defer srv.Close()
	o := newOracle(t, Target{URL: srv.URL, Timeout: 50 * time.Millisecond, Filter: Filter()})
	if _, err := o.Call(context.Background(), oracle.Request{Prompt: "p"}); oracle.ClassOf(err) != oracle.Timeout {
		t.Errorf("class = %s (%v), want timeout", oracle.ClassOf(err), err)
	}
}

// A server that cannot be reached (refused, no such host, an untrusted
// certificate) is a connection failure, not an unknown one.
func testConnection(t *testing.T, newOracle Factory) {
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	for name, url := range map[string]string{
		"connection refused": testutil.ClosedPort(t),
		"no such host":       "http://distill-no-such-host.invalid",
		"untrusted TLS":      tlsSrv.URL,
	} {
		o := newOracle(t, Target{URL: url, Timeout: 5 * time.Second, Filter: Filter()})
		_, err := o.Call(context.Background(), oracle.Request{Prompt: "p"})
		if oracle.ClassOf(err) != oracle.Connection {
			t.Errorf("%s: class %s (%v), want connection", name, oracle.ClassOf(err), err)
		}
	}
}

// A server that echoes the request's headers into its error puts the key in
// the message: the error the oracle returns holds no key.
func testEchoedKey(t *testing.T, wire *Wire, newOracle Factory) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		var hs []string
		for k, v := range r.Header {
			hs = append(hs, k+": "+strings.Join(v, ","))
		}
		sort.Strings(hs)
		echo := strings.Join(hs, "; ") + "; url " + r.URL.String() + "?key=" + SecretKey
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		io.WriteString(w, wire.Error(400, "bad request; headers: "+echo))
	}))
	defer srv.Close()
	_, err := newOracle(t, target(srv.URL)).Call(context.Background(), oracle.Request{Prompt: "p"})
	if err == nil || oracle.ClassOf(err) != oracle.BadRequest {
		t.Fatalf("err = %v, want bad_request", err)
	}
	if msg := err.Error(); strings.Contains(msg, SecretKey) || !strings.Contains(msg, "bad request") {
		t.Errorf("error message: %s", msg)
	}
}

// quote is s as a JSON string.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
