package oracle

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"regexp"
	"strings"
)

// classifyTransport classifies an error that came with no HTTP response: a
// timeout, a server that cannot be reached (refused, no such host, a TLS
// handshake that fails: asking again will not help, so not retried), or
// unknown. The message is redacted.
func classifyTransport(err error) *Error {
	e := &Error{Class: Unknown, Msg: Redact(err.Error())}
	var (
		dns     *net.DNSError
		op      *net.OpError
		netErr  net.Error
		verify  *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
		header  tls.RecordHeaderError
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded), strings.Contains(e.Msg, "Client.Timeout"),
		errors.As(err, &netErr) && netErr.Timeout():
		e.Class = Timeout
	case errors.As(err, &dns), errors.As(err, &verify), errors.As(err, &unknown), errors.As(err, &host),
		errors.As(err, &invalid), errors.As(err, &header), errors.As(err, &op) && op.Op == "dial":
		e.Class = Connection
	}
	return e
}

// redacted replaces a secret; the patterns' values cannot start with it, so
// redacting twice changes nothing.
const redacted = "<redacted>"

// secretVars are the environment variables whose values are never stored or
// printed.
var secretVars = []string{"GEMINI_API_KEY", "GOOGLE_API_KEY", "OPENAI_API_KEY"}

// secretPatterns match a credential's value after the name that carries it:
// key=… (query strings, api_key=…), Bearer …, x-goog-api-key: ….
var secretPatterns = []*regexp.Regexp{
	regexp.MustCompile(`(?i)(\b(?:api[_-]?)?key=)[^&\s"',;\[\]<>]+`),
	regexp.MustCompile(`(?i)(\bbearer\s+)[^\s"',;\[\]<>]+`),
	regexp.MustCompile(`(?i)(x-goog-api-key"?\s*[:=]\s*\[?\s*"?)[^\s"',;\[\]<>]+`),
}

// Redact removes API keys from s: the values of the key variables
// (GEMINI_API_KEY, OPENAI_API_KEY, GOOGLE_API_KEY) wherever they appear, and
// whatever follows key=, Bearer and x-goog-api-key. Every error text the
// labeler stores (oracle_calls, the journal) or prints goes through it: a
// server may echo the request's headers into its error.
func Redact(s string) string {
	for _, v := range secretVars {
		if k := os.Getenv(v); len(k) >= 6 {
			s = strings.ReplaceAll(s, k, redacted)
		}
	}
	for _, re := range secretPatterns {
		s = re.ReplaceAllString(s, "${1}"+redacted)
	}
	return s
}
