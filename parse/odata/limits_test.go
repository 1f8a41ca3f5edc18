package odata

import (
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
