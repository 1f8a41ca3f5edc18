package plan

import (
	"crypto/sha1"
	"encoding/hex"
	"strconv"
	"unicode/utf8"
)

// String and composite keys exposed as GUIDs. A table keyed by one string
// column, or by several string and integer columns, is exposed with an
// Edm.Guid id that no column holds: the id column is virtual (Column.Key),
// its value the UUIDv5 (RFC 9562, SHA-1) of the canonical encoding of the
// key tuple in the namespace KeyMapNamespace. A hash cannot be inverted, so
// every id handed out is recorded in the table's key map (KeyMap.Table:
// id → tuple), which conditions on the id join. The same tuple has the same
// id in every table and on every server, as integer keys do.
//
// The canonical encoding of a tuple concatenates its parts in key order:
//
//	string   's' <UTF-8 byte length in decimal> ':' <the bytes as stored>
//	integer  'i' <the value in decimal, '-' when negative> ';'
//
// The length prefix and the terminator make it unambiguous ("a:b" and
// ("a", "b") differ); strings are taken exactly as stored: no case folding,
// no Unicode normalization, trailing spaces kept.

// KeyMapNamespace is the UUIDv5 namespace of key-map ids ("vecomp", a
// version 4 nibble, then "key-ma" in its last bytes): fixed, so that ids are
// the same across restarts, servers and databases.
const KeyMapNamespace = "7665636f-6d70-4000-8000-6b65792d6d61"

// KeyMap is a string or composite key exposed as GUIDs, on the virtual id
// column of the table it keys or on a lookup to that table.
type KeyMap struct {
	// Table is the physical name of the key map: id → tuple, created by
	// package engine (KeyMapDDL) with columns id, k1 … kN.
	Table string
	// Keyed is the physical name of the table the key is the key of, and
	// KeyColumns the physical names of its key columns, in key order (the
	// map's columns take their types and collations).
	Keyed      string
	KeyColumns []string
	// Parts are the key's columns in key order: the table's own columns on
	// its id column; the foreign key columns holding the tuple on a lookup.
	Parts []*Column
}

// KeyMapTableName is the key map of a table with physical name table:
// vecompile_keymap_<table>; a name longer than the 63 bytes PostgreSQL
// keeps (MySQL refuses more than 64) keeps the table name's first 36 bytes
// and adds the first 8 hex digits of its SHA-1.
func KeyMapTableName(table string) string {
	const prefix, limit = "vecompile_keymap_", 63
	if len(prefix)+len(table) <= limit {
		return prefix + table
	}
	sum := sha1.Sum([]byte(table))
	head := table[:36]
	for !utf8.ValidString(head) {
		head = head[:len(head)-1]
	}
	return prefix + head + "_" + hex.EncodeToString(sum[:4])
}

// KeyPartKind is the kind of a key part a key map accepts: strings and
// integers; false for any other type.
func KeyPartKind(t Type) (Kind, bool) {
	switch k := t.Kind(); k {
	case KString, KInt:
		return k, true
	}
	return 0, false
}

// KeyTuple is the canonical encoding of a key tuple (see above): each value
// a string for a string part, an int64 for an integer part, in the kinds
// of kinds. False when a value does not fit its part (or is null: a tuple
// with a null part names no row).
func KeyTuple(kinds []Kind, values []any) ([]byte, bool) {
	if len(kinds) == 0 || len(kinds) != len(values) {
		return nil, false
	}
	var b []byte
	for i, v := range values {
		switch kinds[i] {
		case KString:
			s, ok := v.(string)
			if !ok || !utf8.ValidString(s) {
				return nil, false
			}
			b = append(b, 's')
			b = strconv.AppendInt(b, int64(len(s)), 10)
			b = append(b, ':')
			b = append(b, s...)
		case KInt:
			n, ok := v.(int64)
			if !ok {
				return nil, false
			}
			b = append(b, 'i')
			b = strconv.AppendInt(b, n, 10)
			b = append(b, ';')
		default:
			return nil, false
		}
	}
	return b, true
}

// KeyMapGUID is the id of a key tuple (KeyTuple's arguments), lower-case
// canonical text: UUIDv5 of its canonical encoding in KeyMapNamespace.
func KeyMapGUID(kinds []Kind, values []any) (string, bool) {
	name, ok := KeyTuple(kinds, values)
	if !ok {
		return "", false
	}
	ns, _ := GUIDBytes(KeyMapNamespace)
	h := sha1.New()
	h.Write(ns)
	h.Write(name)
	sum := h.Sum(nil)[:16]
	sum[6] = sum[6]&0x0f | 0x50 // version 5
	sum[8] = sum[8]&0x3f | 0x80 // RFC 9562 variant
	var out [36]byte
	hex.Encode(out[0:8], sum[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], sum[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], sum[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], sum[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], sum[10:16])
	return string(out[:]), true
}

// Kinds are the part kinds of the key map (KeyPartKind of each part).
func (k *KeyMap) Kinds() []Kind {
	out := make([]Kind, len(k.Parts))
	for i, p := range k.Parts {
		out[i], _ = KeyPartKind(p.Type)
	}
	return out
}

// KeyPart reports whether c is a column of t's key-map id (a part of its
// string or composite key): with the id, the row's identity.
func (t *Table) KeyPart(c *Column) bool {
	pk, ok := t.Column(t.PrimaryKey)
	if !ok || pk.Key == nil {
		return false
	}
	for _, p := range pk.Key.Parts {
		if p == c {
			return true
		}
	}
	return false
}
