package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// Paging cookies are opaque to clients: base64url(JSON) "." base64url(HMAC-
// SHA256). They name the query they belong to (a fingerprint of its tree
// without the paging attributes, and the acting user), the page they end,
// and the sort-key values of that page's last row, from which the next
// page continues (keyset paging: rows strictly after those keys in the
// plan's total order). The order ends with the primary keys of the root
// and of every joined source, so the tuple is unique per result row even
// with 1:N links, and a row inserted or deleted before the boundary does
// not shift the next page as an offset would.
//
// Plans whose order is not a plain column order (lookups by name, choices
// by label, aggregates, distinct, multi-select columns, a string primary
// key) page by offset; their cookies carry the page number only. A string
// key compares by its sort key (the folding without trailing spaces, the
// ORDER BY's term), so that rows tied under the collation neither repeat
// nor go missing at a page boundary.

type cookieData struct {
	V    int        `json:"v"`
	FP   string     `json:"q"`
	Page int64      `json:"p"`
	Keys []keyValue `json:"k,omitempty"`
}

// keyValue is one sort key's value: its JSON value, nil for NULL.
type keyValue struct {
	V any `json:"v"`
}

type cookieSigner struct{ key []byte }

func (cs *cookieSigner) seal(c *cookieData) string {
	c.V = 1
	payload, _ := json.Marshal(c)
	mac := hmac.New(sha256.New, cs.key)
	mac.Write(payload)
	return base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// open verifies and decodes a cookie; anything but an intact cookie of
// this server is BadPagingCookie.
func (cs *cookieSigner) open(s string) (*cookieData, error) {
	bad := diagErr(diag.BadPagingCookie, "the paging cookie is not one this server issued, or it was altered")
	p, m, ok := strings.Cut(s, ".")
	if !ok || len(s) > 8192 {
		return nil, bad
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(p)
	sig, err2 := base64.RawURLEncoding.DecodeString(m)
	if err1 != nil || err2 != nil {
		return nil, bad
	}
	mac := hmac.New(sha256.New, cs.key)
	mac.Write(payload)
	if !hmac.Equal(mac.Sum(nil), sig) {
		return nil, bad
	}
	var c cookieData
	dec := json.NewDecoder(strings.NewReader(string(payload)))
	dec.UseNumber()
	if err := dec.Decode(&c); err != nil || c.V != 1 || c.Page < 1 {
		return nil, bad
	}
	return &c, nil
}

// fingerprint names a query independently of its page: the tree without
// page and paging-cookie, and the acting user.
func fingerprint(q *ast.Query, p *Principal) string {
	cp := *q
	cp.Page, cp.PagingCookie = ast.Int{}, ast.Name{}
	h := sha256.New()
	h.Write([]byte(ast.Dump(&cp)))
	h.Write([]byte{0})
	h.Write([]byte(p.Kind.String() + ":" + p.BackendID))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:16])
}

// keyset is the keyset-paging form of a plan: its sort keys and where each
// key's value is found in the output row.
type keyset struct {
	base   *plan.Plan
	keys   []*plan.SortKey
	at     []int // output column index per key
	hidden int   // output columns added for keys not in the output
}

// newKeyset returns nil when the plan cannot page by keys.
func newKeyset(p *plan.Plan) *keyset {
	if p.PageSize == 0 || p.Aggregate || p.Distinct || len(p.Orders) == 0 {
		return nil
	}
	ks := &keyset{base: p}
	for _, k := range p.Orders {
		if k.Column == nil || k.By != plan.SortValue || k.Column.Column == nil {
			return nil
		}
		switch k.Column.Column.Type.Kind() {
		case plan.KUnknown, plan.KMulti:
			return nil
		case plan.KString:
			if stringIdentity(k) {
				// Its ORDER BY ends with the stored value after the sort
				// key, which the cookie's sort-key comparisons do not say.
				return nil
			}
		}
		ks.keys = append(ks.keys, k)
	}
	return ks
}

// stringIdentity reports whether k sorts by a string primary key or a
// string part of a key-map id (emit/sql sorts it by its sort key, then as
// stored: case-sensitive engines may hold spellings that tie under the
// collation).
func stringIdentity(k *plan.SortKey) bool {
	src := k.Column.Source
	return src != nil && src.Table != nil && (k.Column.Column.LogicalName == src.Table.PrimaryKey || src.Table.KeyPart(k.Column.Column))
}

// withKeys is the plan with an output column for every sort key not
// already returned (named so that no query column can clash).
func (ks *keyset) withKeys(p *plan.Plan) *plan.Plan {
	cols := slices.Clip(p.Columns) // appends copy: the plan is shared
	ks.at = ks.at[:0]
	ks.hidden = 0
	for i, k := range ks.keys {
		found := -1
		for j, oc := range p.Columns {
			if oc.Source == k.Column.Source && oc.Column == k.Column.Column && oc.Aggregate == ast.NoAggregate && oc.DateGrouping == ast.NoDateGrouping && oc.RowAggregate == nil {
				found = j
				break
			}
		}
		if found < 0 {
			found = len(cols)
			cols = append(cols, &plan.OutputColumn{Name: " key" + strconv.Itoa(i), Source: k.Column.Source, Column: k.Column.Column})
			ks.hidden++
		}
		ks.at = append(ks.at, found)
	}
	if ks.hidden == 0 {
		return p
	}
	cp := *p
	cp.Columns = cols
	return &cp
}

// after is the plan restricted to rows strictly after the given key
// values, on its first page.
func (ks *keyset) after(vals []keyValue) (*plan.Plan, error) {
	if len(vals) != len(ks.keys) {
		return nil, diagErr(diag.BadPagingCookie, "the paging cookie does not fit the query's order")
	}
	p := ks.withKeys(ks.base)
	pv := make([]*plan.Value, len(vals))
	for i, v := range vals {
		val, err := keyPlanValue(ks.keys[i].Column.Column, v.V)
		if err != nil {
			return nil, err
		}
		pv[i] = val
	}
	// The emitter writes the continuation as an index can seek it
	// (plan.Plan.After, emit/sql/keyset.go).
	cp := *p
	cp.After = pv
	cp.PageNumber = 1
	return &cp, nil
}

// keyPlanValue turns a cookie value (as the engine returned it) back into
// a typed plan value for the column.
func keyPlanValue(c *plan.Column, v any) (*plan.Value, error) {
	if v == nil {
		return nil, nil
	}
	bad := diagErr(diag.BadPagingCookie, "the paging cookie's key for %s does not fit the column", c.LogicalName)
	k := c.Type.Kind()
	switch x := v.(type) {
	case string:
		switch k {
		case plan.KString, plan.KGuid:
			return &plan.Value{Kind: k, V: x}, nil
		case plan.KDateTime:
			for _, layout := range []string{"2006-01-02T15:04:05Z", "2006-01-02"} {
				if t, err := time.Parse(layout, x); err == nil {
					return &plan.Value{Kind: k, V: t}, nil
				}
			}
		}
	case json.Number:
		switch k {
		case plan.KInt:
			if n, err := x.Int64(); err == nil {
				return &plan.Value{Kind: k, V: n}, nil
			}
		case plan.KDecimal:
			return &plan.Value{Kind: k, V: string(x)}, nil
		case plan.KFloat:
			if f, err := x.Float64(); err == nil {
				return &plan.Value{Kind: k, V: f}, nil
			}
		}
	case bool:
		if k == plan.KBool {
			return &plan.Value{Kind: k, V: x}, nil
		}
	}
	return nil, bad
}

// lastKeys reads the key values of the page's last row.
func (ks *keyset) lastKeys(r *engine.Result) []keyValue {
	if len(r.Rows) == 0 || len(ks.at) != len(ks.keys) {
		return nil
	}
	last := r.Rows[len(r.Rows)-1]
	out := make([]keyValue, len(ks.at))
	for i, at := range ks.at {
		if at >= len(last) {
			return nil
		}
		switch v := last[at].Value.(type) {
		case int64:
			out[i].V = json.Number(strconv.FormatInt(v, 10))
		case float64:
			out[i].V = json.Number(strconv.FormatFloat(v, 'g', -1, 64))
		default:
			out[i].V = v
		}
	}
	return out
}

// strip removes the added key columns from the result.
func (ks *keyset) strip(r *engine.Result) {
	if ks.hidden == 0 {
		return
	}
	n := len(r.Columns) - ks.hidden
	r.Columns = r.Columns[:n]
	for i := range r.Rows {
		r.Rows[i] = r.Rows[i][:n]
	}
}
