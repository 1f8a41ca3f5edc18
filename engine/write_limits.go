package engine

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/internal/textcheck"
	"github.com/vecompile/vecompile/plan"
)

// Dataverse's limits on written values (docs/server.md, "Value limits").
// A value beyond them is refused before the database sees it, so that
// every engine answers alike: PostgreSQL and MySQL would refuse some of
// them with their own errors, SQLite would store them.
var (
	// Integer columns are Int32; BigInt is Int64 (the decoder's range).
	minInt32, maxInt32 = int64(math.MinInt32), int64(math.MaxInt32)
	// Money: ±922,337,203,685,477 with at most 4 decimal places.
	moneyLimit = big.NewRat(922337203685477, 1)
	// Decimal and Double: ±100,000,000,000.
	decimalLimit = big.NewRat(100000000000, 1)
	// DateTime: 1753-01-01 through 9999-12-31 (SQL Server's datetime).
	minDate = time.Date(1753, 1, 1, 0, 0, 0, 0, time.UTC)
	endDate = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Default decimal places where the metadata names none: Dataverse's
// defaults for new columns, which the sample's DDL uses too.
const (
	defaultDecimalPrecision = 2
	moneyPrecision          = 4
	defaultStringLength     = 100
	// The widest a metadata file may declare: Dataverse's largest text
	// column, and the decimal places of its most precise Decimal. The
	// metadata printer writes them for a column the database declares no
	// limit for, so that reading the file back invents none narrower.
	maxTextLength       = 1048576
	maxDecimalPrecision = 10
)

// checkLimits checks a typed, non-null value against c's metadata and
// returns the value as it is written: decimals rounded to the column's
// decimal places (half away from zero, as Dataverse and SQL Server round).
// Out of range is ValueOutOfRange; NUL or invalid UTF-8 is InvalidText.
func checkLimits(c *plan.Column, v *plan.Value) (*plan.Value, error) {
	switch v.Kind {
	case plan.KString:
		s := v.V.(string)
		if err := checkText(c, s); err != nil {
			return nil, err
		}
		if n := utf8.RuneCountInString(s); c.MaxLength > 0 && n > c.MaxLength {
			return nil, outOfRange(c, "%d characters, more than its maximum length of %d", n, c.MaxLength)
		}
	case plan.KInt:
		i := v.V.(int64)
		if c.Type != plan.TBigInt && c.Type != plan.TUnknown && (i < minInt32 || i > maxInt32) {
			return nil, outOfRange(c, "%d is outside the Int32 range %d to %d", i, minInt32, maxInt32)
		}
		if err := checkOption(c, i); err != nil {
			return nil, err
		}
	case plan.KMulti:
		for _, part := range strings.Split(v.V.(string), ",") {
			i, _ := strconv.ParseInt(part, 10, 64)
			if i < minInt32 || i > maxInt32 {
				return nil, outOfRange(c, "%d is outside the Int32 range %d to %d", i, minInt32, maxInt32)
			}
			if err := checkOption(c, i); err != nil {
				return nil, err
			}
		}
		if c.MaxLength > 0 && len(v.V.(string)) > c.MaxLength {
			return nil, outOfRange(c, "%d characters as stored, more than its maximum length of %d", len(v.V.(string)), c.MaxLength)
		}
	case plan.KDecimal:
		if c.Type == plan.TUnknown {
			break
		}
		s, err := checkDecimal(c, v.V.(string))
		if err != nil {
			return nil, err
		}
		return &plan.Value{Kind: v.Kind, V: s}, nil
	case plan.KFloat:
		f := v.V.(float64)
		if math.Abs(f) > 1e11 {
			return nil, outOfRange(c, "%s is outside the range -100000000000 to 100000000000", strconv.FormatFloat(f, 'f', -1, 64))
		}
		if c.HasPrecision {
			r, _ := new(big.Rat).SetString(strconv.FormatFloat(f, 'f', -1, 64))
			f, _ = roundHalfAway(r, c.Precision).Float64()
			return &plan.Value{Kind: v.Kind, V: f}, nil
		}
	case plan.KDateTime:
		t := v.V.(time.Time)
		if t.Before(minDate) || !t.Before(endDate) {
			return nil, outOfRange(c, "%s is outside the range 1753-01-01 to 9999-12-31", t.Format(time.RFC3339Nano))
		}
	}
	return v, nil
}

// checkText refuses NUL, which PostgreSQL cannot store and other engines
// truncate at, and bytes that are not UTF-8.
func checkText(c *plan.Column, s string) error {
	switch i, what := textcheck.Unstorable(s); what {
	case textcheck.NUL:
		return writeError(diag.InvalidText, "%s: the text holds a NUL character (U+0000) at byte %d", c.LogicalName, i)
	case textcheck.NotUTF8:
		return writeError(diag.InvalidText, "%s: the text is not valid UTF-8 (byte %d)", c.LogicalName, i)
	}
	return nil
}

// checkOption refuses a choice value the metadata's options do not list;
// a column without options takes any value.
func checkOption(c *plan.Column, i int64) error {
	if len(c.Options) == 0 {
		return nil
	}
	for _, o := range c.Options {
		if o.Value == i {
			return nil
		}
	}
	vals := make([]string, 0, len(c.Options))
	for _, o := range c.Options {
		vals = append(vals, strconv.FormatInt(o.Value, 10))
	}
	if len(vals) > 20 {
		vals = append(vals[:20], "…")
	}
	return outOfRange(c, "%d is not one of its options (%s)", i, strings.Join(vals, ", "))
}

// checkDecimal rounds a canonical decimal to c's decimal places and checks
// its range: Money's, Decimal's, or the digits the database declares.
func checkDecimal(c *plan.Column, s string) (string, error) {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return "", mismatch(c, s)
	}
	scale, limit := -1, decimalLimit
	if c.HasPrecision {
		scale = c.Precision
	}
	if c.Type == plan.TMoney {
		limit = moneyLimit
		if scale < 0 || scale > moneyPrecision {
			scale = moneyPrecision
		}
	}
	if c.Digits > 0 {
		s := max(scale, 0)
		limit = new(big.Rat).SetInt(pow10(c.Digits - s))
		limit.Sub(limit, new(big.Rat).SetFrac(big.NewInt(1), pow10(s)))
	}
	if scale >= 0 {
		r = roundHalfAway(r, scale)
	}
	if new(big.Rat).Abs(r).Cmp(limit) > 0 {
		return "", outOfRange(c, "%s is outside the range -%s to %s", s, stripZeros(limit.FloatString(max(scale, 0))), stripZeros(limit.FloatString(max(scale, 0))))
	}
	if scale < 0 {
		return s, nil
	}
	return stripZeros(r.FloatString(scale)), nil
}

// roundHalfAway rounds r to scale decimal places, halves away from zero.
func roundHalfAway(r *big.Rat, scale int) *big.Rat {
	m := new(big.Rat).Mul(r, new(big.Rat).SetInt(pow10(scale)))
	num, den := m.Num(), m.Denom()
	q, rem := new(big.Int).QuoRem(num, den, new(big.Int))
	// |rem|*2 >= den rounds away from zero.
	if new(big.Int).Mul(new(big.Int).Abs(rem), big.NewInt(2)).Cmp(den) >= 0 {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return new(big.Rat).SetFrac(q, pow10(scale))
}

func pow10(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(max(n, 0))), nil)
}

func outOfRange(c *plan.Column, format string, args ...any) error {
	return writeError(diag.ValueOutOfRange, "%s (%s): %s", c.LogicalName, c.Type, fmt.Sprintf(format, args...))
}
