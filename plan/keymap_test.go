package plan_test

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/vecompile/vecompile/plan"
)

var (
	kStr    = []plan.Kind{plan.KString}
	kStrInt = []plan.Kind{plan.KString, plan.KInt}
)

// Key-map ids are RFC 9562 UUIDv5 of the canonical tuple encoding in
// KeyMapNamespace (docs/server.md). The expected ids were computed
// independently, by Python's uuid.uuid5 over the documented encoding.
func TestKeyMapGUIDVectors(t *testing.T) {
	for _, c := range []struct {
		kinds []plan.Kind
		tuple []any
		name  string
		id    string
	}{
		{kStr, []any{"se"}, "s2:se", "b26fea3a-41fa-5e03-8ee8-aa830c4efb1d"},
		{kStr, []any{"se "}, "s3:se ", "66a07457-20b8-5478-9825-1c5cc4f1fa48"},
		{kStr, []any{"Zürich"}, "s7:Zürich", "2e549691-e0d8-5dad-b323-067687f4d5c9"}, // UTF-8 bytes, not characters
		{kStrInt, []any{"se", int64(1)}, "s2:sei1;", "5ba9c721-6233-592b-8556-f0f445a21945"},
		{kStrInt, []any{"se", int64(-3)}, "s2:sei-3;", "9d227eff-cf50-5a80-8549-73a015d355c2"},
	} {
		name, ok := plan.KeyTuple(c.kinds, c.tuple)
		if !ok || string(name) != c.name {
			t.Errorf("%v: encoding %q %v, want %q", c.tuple, name, ok, c.name)
		}
		if id, ok := plan.KeyMapGUID(c.kinds, c.tuple); !ok || id != c.id {
			t.Errorf("%v: id %s %v, want %s", c.tuple, id, ok, c.id)
		}
	}
}

// What is no key tuple is refused: a part of the wrong kind, a null
// part, a string that is not UTF-8, a tuple of another length.
func TestKeyTupleRefusals(t *testing.T) {
	for _, c := range []struct {
		kinds []plan.Kind
		tuple []any
	}{
		{kStr, []any{int64(1)}},
		{kStrInt, []any{"a", "1"}},
		{kStrInt, []any{"a", nil}},
		{kStr, []any{"\xff"}},
		{kStrInt, []any{"a"}},
		{nil, nil},
		{[]plan.Kind{plan.KGuid}, []any{"a"}},
	} {
		if _, ok := plan.KeyMapGUID(c.kinds, c.tuple); ok {
			t.Errorf("%v %v: an id, want none", c.kinds, c.tuple)
		}
	}
}

// The encoding is unambiguous: two (string, integer) tuples encode alike
// exactly when they are equal, whatever their strings hold (digits,
// separators, the encoding's own letters), so their ids differ unless
// SHA-1 collides.
func TestKeyTupleInjective(t *testing.T) {
	params := gopter.DefaultTestParametersWithSeed(1)
	params.MinSuccessfulTests = 3000
	props := gopter.NewProperties(params)
	str := gen.OneGenOf(gen.AnyString(), gen.OneConstOf("", "s1:a", "i1;", ":", ";", "a", "A", "a "))
	props.Property("encode(a) = encode(b) iff a = b", prop.ForAll(func(s1 string, n1 int64, s2 string, n2 int64) bool {
		a, okA := plan.KeyTuple(kStrInt, []any{s1, n1})
		b, okB := plan.KeyTuple(kStrInt, []any{s2, n2})
		if !okA || !okB {
			return false
		}
		return bytes.Equal(a, b) == (s1 == s2 && n1 == n2)
	}, str, gen.Int64(), str, gen.Int64()))
	props.Property("a one-string tuple never encodes as a two-string one", prop.ForAll(func(s1, s2 string) bool {
		a, _ := plan.KeyTuple(kStr, []any{s1 + s2})
		b, _ := plan.KeyTuple([]plan.Kind{plan.KString, plan.KString}, []any{s1, s2})
		return !bytes.Equal(a, b)
	}, str, str))
	props.Property("ids are version 5, RFC 9562 variant, canonical", prop.ForAll(func(s string, n int64) bool {
		id, ok := plan.KeyMapGUID(kStrInt, []any{s, n})
		c, okC := plan.CanonicalGUID(id)
		return ok && okC && c == id && id[14] == '5' && bytes.ContainsRune([]byte("89ab"), rune(id[19]))
	}, str, gen.Int64()))
	props.TestingRun(t)
}

// Key map names fit every engine's identifier limit: long table names are
// cut and told apart by a hash.
func TestKeyMapTableName(t *testing.T) {
	if got := plan.KeyMapTableName("shop"); got != "vecompile_keymap_shop" {
		t.Errorf("short: %s", got)
	}
	a := plan.KeyMapTableName(strings.Repeat("x", 40) + "_a_very_long_table_name_1")
	b := plan.KeyMapTableName(strings.Repeat("x", 40) + "_a_very_long_table_name_2")
	if len(a) > 63 || len(b) > 63 || a == b || !strings.HasPrefix(a, "vecompile_keymap_xxx") {
		t.Errorf("long: %s %s", a, b)
	}
	if s := plan.KeyMapTableName(strings.Repeat("é", 40)); len(s) > 63 || !utf8.ValidString(s) {
		t.Errorf("multi-byte: %q", s)
	}
}
