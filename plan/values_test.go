package plan

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vecompile/vecompile/ast"
)

func TestParsePattern(t *testing.T) {
	lit := func(s string) PatternElem { return PatternElem{Kind: PatLiteral, Lit: s} }
	run := PatternElem{Kind: PatAnyRun}
	one := PatternElem{Kind: PatAnyOne}
	class := func(s string, neg bool) PatternElem { return PatternElem{Kind: PatClass, Lit: s, Negated: neg} }
	tests := []struct {
		in   string
		want Pattern
		back string // String(); "" means same as in
	}{
		{"abc", Pattern{lit("abc")}, ""},
		{"%deal%", Pattern{run, lit("deal"), run}, ""},
		{"a%%b", Pattern{lit("a"), run, lit("b")}, "a%b"},
		{"_x_", Pattern{one, lit("x"), one}, ""},
		{"[a-c]%", Pattern{class("a-c", false), run}, ""},
		{"[^a-m]z", Pattern{class("a-m", true), lit("z")}, ""},
		{"100[%]", Pattern{lit("100%")}, ""},
		{"A[_]B", Pattern{lit("A_B")}, ""},
		{"[[]x", Pattern{lit("[x")}, ""},
		{"[]]", Pattern{lit("]")}, "]"},
		{"[^]]", Pattern{class("]", true)}, ""},
		{"a[bc", Pattern{lit("a[bc")}, "a[[]bc"},
		{"", nil, ""},
		{"é[ü]%", Pattern{lit("éü"), run}, "éü%"},
	}
	for _, tc := range tests {
		got := ParsePattern(tc.in)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParsePattern(%q) (-want +got):\n%s", tc.in, diff)
		}
		back := tc.back
		if back == "" {
			back = tc.in
		}
		if s := got.String(); s != back {
			t.Errorf("ParsePattern(%q).String() = %q, want %q", tc.in, s, back)
		}
		// Rendering then parsing again must give the same pattern.
		if diff := cmp.Diff(got, ParsePattern(got.String())); diff != "" {
			t.Errorf("round trip of %q:\n%s", tc.in, diff)
		}
	}
}

func TestLiteral(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	tests := []struct {
		text     string
		kind     Kind
		behavior DateBehavior
		zone     *time.Location
		want     any
		bad      bool
	}{
		{"42", KInt, UserLocal, nil, int64(42), false},
		{" -7 ", KInt, UserLocal, nil, int64(-7), false},
		{"4.2", KInt, UserLocal, nil, nil, true},
		{"1000000.50", KDecimal, UserLocal, nil, "1000000.50", false},
		{"+3", KDecimal, UserLocal, nil, "3", false},
		{"1e3", KDecimal, UserLocal, nil, nil, true},
		{"2.5", KFloat, UserLocal, nil, 2.5, false},
		{"1", KBool, UserLocal, nil, true, false},
		{"FALSE", KBool, UserLocal, nil, false, false},
		{"yes", KBool, UserLocal, nil, nil, true},
		{"{6F1C1A6B-2A33-4E8F-9B8A-0B6E2B8C1D01}", KGuid, UserLocal, nil, "6f1c1a6b-2a33-4e8f-9b8a-0b6e2b8c1d01", false},
		{"6f1c1a6b2a334e8f9b8a0b6e2b8c1d01", KGuid, UserLocal, nil, "6f1c1a6b-2a33-4e8f-9b8a-0b6e2b8c1d01", false},
		{"6f1c1a6b-2a33-4e8f-9b8a-0b6e2b8c1d0g", KGuid, UserLocal, nil, nil, true},
		{"2024-01-31", KDateTime, UserLocal, time.UTC, time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC), false},
		// Offset-less literals are the caller's wall clock for User Local columns.
		{"2024-01-31T13:00:00", KDateTime, UserLocal, ny, time.Date(2024, 1, 31, 18, 0, 0, 0, time.UTC), false},
		{"2024-01-31T13:00:00Z", KDateTime, UserLocal, ny, time.Date(2024, 1, 31, 13, 0, 0, 0, time.UTC), false},
		{"2024-07-01T13:00:00+02:00", KDateTime, UserLocal, ny, time.Date(2024, 7, 1, 11, 0, 0, 0, time.UTC), false},
		// Date-only and TZ-independent values keep the wall clock.
		{"2024-01-31T13:00:00", KDateTime, DateOnly, ny, time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC), false},
		{"2024-01-31T13:00:00", KDateTime, TimeZoneIndependent, ny, time.Date(2024, 1, 31, 13, 0, 0, 0, time.UTC), false},
		{"31/01/2024", KDateTime, UserLocal, nil, nil, true},
		{"anything", KString, UserLocal, nil, "anything", false},
		// Untyped: the form decides.
		{"12", KUnknown, UserLocal, nil, int64(12), false},
		{"12.5", KUnknown, UserLocal, nil, "12.5", false},
		{"{6F1C1A6B-2A33-4E8F-9B8A-0B6E2B8C1D01}", KUnknown, UserLocal, nil, "6f1c1a6b-2a33-4e8f-9b8a-0b6e2b8c1d01", false},
		{"2024-01-31", KUnknown, UserLocal, nil, time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC), false},
		{"Contoso", KUnknown, UserLocal, nil, "Contoso", false},
	}
	for _, tc := range tests {
		_, v, msg := typed(&ast.Value{Text: tc.text}, tc.kind, tc.behavior, tc.zone)
		if tc.bad {
			if msg == "" {
				t.Errorf("typed(%q, kind %d) = %v, want an error", tc.text, tc.kind, v)
			}
			continue
		}
		if msg != "" {
			t.Errorf("typed(%q, kind %d): unexpected error %q", tc.text, tc.kind, msg)
			continue
		}
		if diff := cmp.Diff(tc.want, v); diff != "" {
			t.Errorf("typed(%q, kind %d) (-want +got):\n%s", tc.text, tc.kind, diff)
		}
	}
}

func TestNullInclusiveCoversEveryNegativeOperator(t *testing.T) {
	// Every operator whose name says "not"/"ne" must have an explicit entry,
	// so a new negative operator cannot silently miss the choice.
	for _, op := range ast.Operators() {
		name := op.String()
		negative := name == "ne" || name == "neq" || len(name) > 3 && (name[:4] == "not-" || name[:3] == "ne-")
		if _, listed := NullInclusive[op]; negative && !listed && op.Info().Cat != ast.CatNull && op != ast.OpNotUnder {
			t.Errorf("negative operator %s has no NullInclusive entry", name)
		}
	}
}
