package odata

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vecompile/vecompile/internal/diag"
)

// TestHostileInputs: deep or long requests end quickly with a code.
func TestHostileInputs(t *testing.T) {
	cases := []struct {
		req  string
		code diag.Code
	}{
		{"accounts?$orderby=" + strings.Repeat("-", 60000) + "a", diag.TooDeep},
		{"accounts?$filter=" + strings.Repeat("- ", 30000) + "a eq 1", diag.TooDeep},
		{"accounts?$filter=" + strings.Repeat("not ", 15000) + "a eq 1", diag.TooDeep},
		{"accounts?$filter=" + strings.Repeat("(", 20000) + "a eq 1" + strings.Repeat(")", 20000), diag.TooDeep},
		{"accounts?$filter=" + strings.Repeat("a eq 1 and ", 6000) + "a eq 1", diag.LimitExceeded},
		{"accounts?$filter=" + strings.Repeat("a/", 20000) + "b eq 1", diag.UnknownColumn},
		{"accounts?$expand=" + strings.Repeat("a($expand=", 5000) + "b" + strings.Repeat(")", 5000), diag.TooDeep},
		{"accounts?$select=" + strings.Repeat("a($select=", 5000) + "b", diag.TooDeep},
		{"accounts?$apply=" + strings.Repeat("filter(", 5000) + "a", diag.TooDeep},
		{"accounts?$expand=a($search=" + strings.Repeat("(", 5000) + "b)", diag.TooDeep},
		{"accounts?$expand=" + strings.Repeat("a,", 30000) + "a", diag.UnknownColumn},
	}
	for _, c := range cases {
		start := time.Now()
		_, err := Parse(diag.NewSource("q", []byte(c.req)), nil, Options{})
		if got := diag.CodeOf(err); got != c.code {
			t.Errorf("%.40s…: code %q, want %q (%v)", c.req, got, c.code, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%.40s…: took %v", c.req, d)
		}
	}
}

// TestUnstorableText: a NUL or invalid UTF-8, percent-encoded or raw, is
// VE1001 at the byte of the request that wrote it.
func TestUnstorableText(t *testing.T) {
	for _, c := range []struct {
		req string
		at  diag.Pos
		msg string
	}{
		{"accounts?$filter=name eq 'a%00b'", 27, "NUL"},
		{"accounts?$filter=name eq 'a%C3'", 27, "invalid UTF-8"},
		{"accounts?$filter=name eq 'a\xffb'", 27, "invalid UTF-8"},
		{"accounts?$filter=name eq 'a\x00b'", 27, "NUL"},
		{"accounts?$filter=name%20eq%20'%C3%A9%FF'", 36, "invalid UTF-8"},
		{"acc%FFounts?$top=1", 3, "invalid UTF-8"},
	} {
		_, err := ParseRequest(diag.NewSource("q", []byte(c.req)))
		var list diag.ErrorList
		if !errors.As(err, &list) || list[0].Code != diag.SyntaxError || list[0].Span.Start != c.at || !strings.Contains(list[0].Msg, c.msg) {
			t.Errorf("%q: got %v, want VE1001 %q at offset %d", c.req, err, c.msg, c.at)
		}
	}
}
