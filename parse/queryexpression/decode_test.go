package queryexpression

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vecompile/vecompile/internal/diag"
)

// plain turns a decoded value into the shape encoding/json gives with
// UseNumber, so the two decoders can be compared.
func plain(v *jv) any {
	switch v.kind {
	case jString:
		return v.text
	case jNumber:
		return json.Number(v.text)
	case jBool:
		return v.b
	case jArray:
		out := []any{}
		for _, x := range v.arr {
			out = append(out, plain(x))
		}
		return out
	case jObject:
		out := map[string]any{}
		for _, p := range v.obj.props {
			out[p.key] = plain(p.val)
		}
		return out
	}
	return nil
}

// checkDecode compares decode with encoding/json on one input: both accept
// or both reject, and accepted documents decode to the same value with
// spans inside the text.
func checkDecode(t *testing.T, text []byte) {
	got, derr := decode(diag.NewSource("q.json", text))
	var want any
	werr := func() error {
		d := json.NewDecoder(bytesReader(text))
		d.UseNumber()
		if err := d.Decode(&want); err != nil {
			return err
		}
		if d.More() {
			return errTrailing
		}
		return nil
	}()
	if !json.Valid(text) {
		werr = errTrailing
	}
	switch {
	case derr == nil && werr != nil:
		t.Fatalf("%q: accepted, encoding/json says %v", text, werr)
	case derr != nil && werr == nil && derr.Code == diag.SyntaxError && holdsRefusedText(want):
		return // invalid UTF-8, unpaired surrogates and NUL are refused, not replaced
	case derr != nil && werr == nil && derr.Code != diag.TooDeep:
		t.Fatalf("%q: rejected (%v), encoding/json accepts it", text, derr)
	case derr != nil:
		if derr.Code != diag.SyntaxError && derr.Code != diag.TooDeep {
			t.Fatalf("%q: code %s", text, derr.Code)
		}
		if int(derr.Span.Start) > len(text) {
			t.Fatalf("%q: error offset %d beyond the text", text, derr.Span.Start)
		}
		return
	}
	if diff := cmp.Diff(want, plain(got)); diff != "" {
		t.Fatalf("%q: value differs from encoding/json (-want +got):\n%s", text, diff)
	}
	if got.sp.Start < 0 || int(got.sp.End) > len(text) || got.sp.Start > got.sp.End {
		t.Fatalf("%q: bad span %v", text, got.sp)
	}
}

// holdsRefusedText reports whether encoding/json's value has a string (or
// key) with NUL or U+FFFD, which is what it makes of the NUL, invalid
// UTF-8 and unpaired surrogates that decode refuses.
func holdsRefusedText(v any) bool {
	bad := func(s string) bool { return strings.ContainsAny(s, "\x00\ufffd") }
	switch v := v.(type) {
	case string:
		return bad(v)
	case []any:
		for _, x := range v {
			if holdsRefusedText(x) {
				return true
			}
		}
	case map[string]any:
		for k, x := range v {
			if bad(k) || holdsRefusedText(x) {
				return true
			}
		}
	}
	return false
}

var decodeSeeds = []string{
	`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `1.5e10`, `-1E-2`, `"x"`,
	`{"a":1,"b":[true,false,null],"c":{"d":"e"}}`,
	`{"a":1,"a":2}`,
	`"\u00e9\ud83d\ude00\n\t\"\\\/"`,
	`"\ud800"`, `"\ud800\u0041"`, "\"\xff\xfe\"", "\"caf\xc3\xa9\"", `"a\u0000b"`, "\"ab\xff\"", `"\n\udc00"`,
	`{"a":1,}`, `[1,]`, `[1 2]`, `{"a" 1}`, `{a:1}`, `01`, `1.`, `.5`, `-`, `1e`, `+1`,
	`"\x"`, "\"a\x01b\"", `"abc`, `[`, `{"a":`, `tru`, `nul`, `{} {}`, ` `, ``,
	`{"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17,"k3":18}`,
}

func TestDecodeMatchesEncodingJSON(t *testing.T) {
	for _, s := range decodeSeeds {
		checkDecode(t, []byte(s))
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		if len(text) > 1<<16 {
			return
		}
		checkDecode(t, text)
	})
}

func TestDecodeDuplicatesLastWins(t *testing.T) {
	v, err := decode(diag.NewSource("q.json", []byte(decodeSeeds[len(decodeSeeds)-1])))
	if err != nil {
		t.Fatal(err)
	}
	if got := v.obj.get("k3").text; got != "18" {
		t.Errorf("k3 = %s, want the last value 18", got)
	}
	if len(v.obj.dup) != 1 || v.obj.dup[0] != "k3" || len(v.obj.props) != 17 {
		t.Errorf("dup = %v, %d props; want [k3], 17", v.obj.dup, len(v.obj.props))
	}
}

var errTrailing = errorString("trailing data")

type errorString string

func (e errorString) Error() string { return string(e) }

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// TestDecodeRefusesUnstorableText: NUL, invalid UTF-8 and unpaired
// surrogates in a string are VE1001 at their byte offset, in the fast
// (borrowing) path and after an escape alike.
func TestDecodeRefusesUnstorableText(t *testing.T) {
	for _, c := range []struct {
		text string
		off  diag.Pos
		msg  string
	}{
		{`{"a":"x\u0000"}`, 7, "NUL"},
		{"{\"a\":\"x\xff\"}", 7, "invalid UTF-8"},
		{"{\"a\":\"\\n\xc3\"}", 8, "invalid UTF-8"},
		{`["ok","\ud800x"]`, 7, "unpaired surrogate"},
		{`["\udc00"]`, 2, "unpaired surrogate"},
	} {
		_, err := decode(diag.NewSource("q.json", []byte(c.text)))
		if err == nil || err.Code != diag.SyntaxError || err.Span.Start != c.off || !strings.Contains(err.Msg, c.msg) {
			t.Errorf("%q: got %v, want VE1001 %q at offset %d", c.text, err, c.msg, c.off)
		}
	}
}
