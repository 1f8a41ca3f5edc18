package plan

import (
	"encoding/binary"
	"encoding/hex"
)

// Integer keys exposed as GUIDs. A table keyed by an integer (an identity
// or serial column) is exposed with Edm.Guid ids, as Dataverse's virtual
// tables need; the column is stored as GuidInteger and every id is
//
//	7665636f-6d70-8000-XXXX-XXXXXXXXXXXX
//
// the fixed 8-byte namespace IntKeyPrefix ("vecomp", version nibble 8:
// RFC 9562's vendor-specific UUIDv8) followed by the integer in 8 bytes,
// big-endian, with the sign bit flipped (offset binary). The flip makes the
// ids' text order the integers' order for every int64, and makes the ids of
// 0 ≤ n < 2^62 well-formed UUIDv8 (variant bits 10). The encoding is fixed:
// ids are the same across restarts, servers and databases. Any GUID outside
// the namespace is the id of no row (IntKeyOf reports false).

// IntKeyPrefix is the namespace (bytes 76 65 63 6f 6d 70 80 00) as
// canonical text: every integer key's GUID begins with it.
const IntKeyPrefix = "7665636f-6d70-8000-"

// IntKeyGUID is integer key n's GUID, lower-case canonical text.
func IntKeyGUID(n int64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(n)^(1<<63))
	var out [36]byte
	copy(out[:], IntKeyPrefix)
	hex.Encode(out[19:23], b[0:2])
	out[23] = '-'
	hex.Encode(out[24:36], b[2:8])
	return string(out[:])
}

// IntKeyOf decodes a GUID (any accepted form) into the integer key it
// encodes; false when it is not a GUID or lies outside the namespace (IntKeyPrefix).
func IntKeyOf(s string) (int64, bool) {
	g, ok := CanonicalGUID(s)
	if !ok || g[:19] != IntKeyPrefix {
		return 0, false
	}
	var b [8]byte
	if _, err := hex.Decode(b[0:2], []byte(g[19:23])); err != nil {
		return 0, false
	}
	if _, err := hex.Decode(b[2:8], []byte(g[24:36])); err != nil {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(b[:]) ^ (1 << 63)), true
}
