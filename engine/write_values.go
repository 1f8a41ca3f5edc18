package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// The shapes a written value may take, by column type (docs/server.md,
// "Write value shapes", shows the same table):
//
//	lookup, owner, customer           "guid", or an EntityReference {"Id", "LogicalName", "Name"}
//	choice (picklist, state, status)  a number, or an OptionSetValue {"Value": number}
//	money                             a number, or a Money {"Value": number}
//	multi-select choice               [number…] or [{"Value": number}…]
//	every other type                  the plain JSON value
//	any column                        null (NULL)

// wrapperKey is a key of the SDK's wrapped values.
type wrapperKey uint8

const (
	keyID wrapperKey = iota + 1
	keyLogicalName
	keyName
	keyValue
)

// wrapperKeys is every accepted spelling of a wrapper key: the SDK's
// data-contract JSON (Id, LogicalName, Name, Value), camel case as
// JavaScript clients write it, and lower case. An object holds each key
// once, in one spelling; any other key is refused, never skipped.
var wrapperKeys = map[string]wrapperKey{
	"Id": keyID, "id": keyID,
	"LogicalName": keyLogicalName, "logicalName": keyLogicalName, "logicalname": keyLogicalName,
	"Name": keyName, "name": keyName,
	"Value": keyValue, "value": keyValue,
}

// IsLookup says whether a column type holds a reference to a row.
func IsLookup(t plan.Type) bool {
	return t == plan.TLookup || t == plan.TOwner || t == plan.TCustomer
}

// DecodeValue is the one reading of a written value: v as encoding/json
// decodes it with UseNumber (hooks may also set Go integers, floats,
// time.Time and []int64), typed for column c as the statement binds it,
// with the table a lookup names. The security check, the lookup targets
// and the statement all take its result, never v. A value of the wrong
// JSON type is TypeMismatch; an unknown or ambiguous wrapper (a key not in
// wrapperKeys, one key in two spellings, Value beside Id, a LogicalName
// that is not one of the lookup's targets) is BadValueShape. nil is NULL.
func DecodeValue(c *plan.Column, v any) (Assignment, error) {
	a := Assignment{Column: c}
	v = goValue(v)
	if m, ok := v.(map[string]any); ok {
		var err error
		if v, a.Target, err = unwrap(c, m); err != nil {
			return a, err
		}
	}
	if v == nil {
		return a, nil
	}
	val, err := typed(c, v)
	if err != nil {
		return a, err
	}
	if val, err = checkLimits(c, val); err != nil {
		return a, err
	}
	a.Value = val
	if IsLookup(c.Type) && a.Target == "" && len(c.Targets) == 1 {
		a.Target = strings.ToLower(c.Targets[0])
	}
	return a, nil
}

// ValueFor is DecodeValue's typed value alone (action parameters).
func ValueFor(c *plan.Column, v any) (*plan.Value, error) {
	a, err := DecodeValue(c, v)
	return a.Value, err
}

// unwrap reads a wrapped value: an EntityReference for lookups, {"Value"}
// for choices and money. It returns the inner value and, for a lookup,
// the target its LogicalName names.
func unwrap(c *plan.Column, m map[string]any) (any, string, error) {
	f, err := wrapperFields(c, m)
	if err != nil {
		return nil, "", err
	}
	switch {
	case IsLookup(c.Type):
		if _, has := f[keyValue]; has {
			return nil, "", shapeError(c, "an EntityReference has no Value key (it takes Id, LogicalName and Name)")
		}
		id, has := f[keyID]
		if !has || id == nil {
			return nil, "", shapeError(c, "an EntityReference needs its Id (write null for no value)")
		}
		if n, has := f[keyName]; has && n != nil {
			if _, ok := n.(string); !ok {
				return nil, "", shapeError(c, "the EntityReference's Name is not a string")
			}
		}
		ln, has := f[keyLogicalName]
		if !has || ln == nil {
			return id, "", nil
		}
		s, ok := ln.(string)
		if !ok {
			return nil, "", shapeError(c, "the EntityReference's LogicalName is not a string")
		}
		for _, t := range c.Targets {
			if strings.EqualFold(t, s) {
				return id, strings.ToLower(t), nil
			}
		}
		if len(c.Targets) == 0 {
			return nil, "", shapeError(c, "LogicalName %q: the metadata names no target tables for this lookup", s)
		}
		return nil, "", shapeError(c, "LogicalName %q is not a target of this lookup (%s)", s, strings.Join(c.Targets, ", "))
	case wrapsValue(c.Type):
		inner, has := f[keyValue]
		if !has || len(f) != 1 {
			return nil, "", shapeError(c, `a %s value is a number or {"Value": number}, nothing else`, c.Type)
		}
		if inner == nil {
			return nil, "", shapeError(c, `{"Value": null} is not a value (write null for no value)`)
		}
		return inner, "", nil
	}
	return nil, "", mismatch(c, m)
}

// wrapperFields maps an object's keys to wrapper keys, refusing unknown
// keys and a key given twice in two spellings. Keys are visited in order
// so that the error is the same on every run.
func wrapperFields(c *plan.Column, m map[string]any) (map[wrapperKey]any, error) {
	out := make(map[wrapperKey]any, len(m))
	spelled := map[wrapperKey]string{}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		wk, ok := wrapperKeys[k]
		if !ok {
			return nil, shapeError(c, "unknown key %q in a wrapped value (an EntityReference takes Id, LogicalName, Name; an OptionSetValue or Money takes Value)", k)
		}
		if prev, dup := spelled[wk]; dup {
			return nil, shapeError(c, "%q and %q are one key given twice", prev, k)
		}
		spelled[wk] = k
		out[wk] = m[k]
	}
	return out, nil
}

func wrapsValue(t plan.Type) bool {
	switch t {
	case plan.TPicklist, plan.TState, plan.TStatus, plan.TMoney:
		return true
	}
	return false
}

// typed types an unwrapped, non-null JSON value for c.
func typed(c *plan.Column, v any) (*plan.Value, error) {
	k := c.Type.Kind()
	switch k {
	case plan.KString:
		if s, ok := v.(string); ok {
			return &plan.Value{Kind: k, V: s}, nil
		}
	case plan.KInt:
		if n, ok := v.(json.Number); ok {
			i, err := n.Int64()
			if err == nil {
				return &plan.Value{Kind: k, V: i}, nil
			}
			if errors.Is(err, strconv.ErrRange) {
				return nil, outOfRange(c, "%s is outside the Int64 range", n)
			}
		}
	case plan.KDecimal:
		if n, ok := v.(json.Number); ok {
			if _, ok := canonicalDecimal(string(n)); ok && !strings.ContainsAny(string(n), "eE") {
				return &plan.Value{Kind: k, V: string(n)}, nil
			}
		}
	case plan.KFloat:
		if n, ok := v.(json.Number); ok {
			if f, err := n.Float64(); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
				return &plan.Value{Kind: k, V: f}, nil
			}
		}
	case plan.KBool:
		if b, ok := v.(bool); ok {
			return &plan.Value{Kind: k, V: b}, nil
		}
	case plan.KDateTime:
		if s, ok := v.(string); ok {
			if t, err := time.Parse("2006-01-02", s); err == nil {
				return &plan.Value{Kind: k, V: t}, nil
			}
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				return &plan.Value{Kind: k, V: t.UTC()}, nil
			}
		}
	case plan.KGuid:
		if s, ok := v.(string); ok {
			if g, ok := plan.CanonicalGUID(s); ok {
				if !c.Guid.Encodes(g) {
					return nil, writeError(diag.KeyNotEncoded, "%s: %s is not an id of the integer key it holds (ids are GUIDs beginning %s)", c.LogicalName, g, plan.IntKeyPrefix)
				}
				return &plan.Value{Kind: k, V: g}, nil
			}
		}
	case plan.KMulti:
		if list, ok := v.([]any); ok {
			parts := make([]string, 0, len(list))
			for _, e := range list {
				if m, ok := e.(map[string]any); ok { // an OptionSetValue, as results carry them
					f, err := wrapperFields(c, m)
					if err != nil {
						return nil, err
					}
					if _, has := f[keyValue]; !has || len(f) != 1 {
						return nil, shapeError(c, `a multi-select item is a number or {"Value": number}, nothing else`)
					}
					e = f[keyValue]
				}
				n, ok := e.(json.Number)
				if !ok {
					return nil, mismatch(c, v)
				}
				i, err := n.Int64()
				if err != nil {
					return nil, mismatch(c, v)
				}
				parts = append(parts, strconv.FormatInt(i, 10))
			}
			return &plan.Value{Kind: k, V: strings.Join(parts, ",")}, nil
		}
	case plan.KUnknown:
		switch x := v.(type) {
		case string:
			return &plan.Value{Kind: plan.KString, V: x}, nil
		case bool:
			return &plan.Value{Kind: plan.KBool, V: x}, nil
		case json.Number:
			if i, err := x.Int64(); err == nil {
				return &plan.Value{Kind: plan.KInt, V: i}, nil
			}
			d, ok := exactDecimal(string(x))
			if !ok {
				return nil, outOfRange(c, "%.40s takes more than %d digits written out: no engine's DECIMAL holds it exactly", x, maxUntypedDigits)
			}
			return &plan.Value{Kind: plan.KDecimal, V: d}, nil
		}
	}
	return nil, mismatch(c, v)
}

// maxUntypedDigits bounds a number written to a column of unknown type:
// SQL Server's DECIMAL(38), the narrowest of the engines.
const maxUntypedDigits = 38

// exactDecimal writes a JSON number out as plain decimal text, exactly
// (1.5e3 is 1500, 25e-3 is 0.025): the databases read a decimal parameter
// without an exponent, and would round, overflow or refuse 1e400 each
// their own way. ok is false past maxUntypedDigits digits.
func exactDecimal(n string) (string, bool) {
	sign := ""
	if strings.HasPrefix(n, "-") {
		sign, n = "-", n[1:]
	}
	mant, exp := n, 0
	if i := strings.IndexAny(n, "eE"); i >= 0 {
		e, err := strconv.Atoi(strings.TrimPrefix(n[i+1:], "+"))
		if err != nil || e > 2*maxUntypedDigits || e < -2*maxUntypedDigits {
			return "", false
		}
		mant, exp = n[:i], e
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := strings.TrimLeft(intPart+frac, "0")
	point := len(intPart) + exp - (len(intPart+frac) - len(digits)) // the point's place in digits
	digits = strings.TrimRight(digits, "0")
	if digits == "" {
		return "0", true
	}
	intDigits, fracDigits := max(point, 1), max(len(digits)-point, 0)
	if intDigits+fracDigits > maxUntypedDigits {
		return "", false
	}
	switch {
	case point <= 0:
		return sign + "0." + strings.Repeat("0", -point) + digits, true
	case point >= len(digits):
		return sign + digits + strings.Repeat("0", point-len(digits)), true
	}
	return sign + digits[:point] + "." + digits[point:], true
}

// goValue turns the Go values hooks may set into the JSON forms.
func goValue(v any) any {
	switch x := v.(type) {
	case int:
		return json.Number(strconv.Itoa(x))
	case int64:
		return json.Number(strconv.FormatInt(x, 10))
	case float64:
		return json.Number(strconv.FormatFloat(x, 'f', -1, 64))
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []int64:
		out := make([]any, len(x))
		for i, n := range x {
			out[i] = json.Number(strconv.FormatInt(n, 10))
		}
		return out
	}
	return v
}

func shapeError(c *plan.Column, format string, args ...any) error {
	return writeError(diag.BadValueShape, "%s: %s", c.LogicalName, fmt.Sprintf(format, args...))
}
