package prove

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/internal/gen"
	"github.com/vecompile/vecompile/internal/refeval"
	"github.com/vecompile/vecompile/parse/fetchxml"
)

// Regression is a shrunk counterexample kept in testdata/regressions: the
// dataset (values as text, typed by their column), the clock and the
// FetchXML. Known, when set, says the case still fails because of a bug
// that is reported and not yet fixed; the test then expects the failure
// and asks for the mark to be removed once it passes.
type Regression struct {
	Note  string `json:"note"`
	Known string `json:"known,omitempty"`
	// KnownOn names the engines the known failure shows on (empty: all).
	KnownOn   []string     `json:"knownOn,omitempty"`
	Now       string       `json:"now"`
	Zone      string       `json:"zone"`
	WeekStart time.Weekday `json:"weekStart"`
	// Fiscal calendar: start month, start day (0: the 1st) and period
	// type (0: none).
	FiscalStartMonth time.Month      `json:"fiscalStartMonth,omitempty"`
	FiscalStartDay   int             `json:"fiscalStartDay,omitempty"`
	FiscalPeriodType int             `json:"fiscalPeriodType,omitempty"`
	Caller           *refeval.Caller `json:"caller,omitempty"`
	Tables           []regTable      `json:"tables"`
	FetchXML         string          `json:"fetchxml"`
}

type regTable struct {
	Name        string               `json:"name"`
	PrimaryKey  string               `json:"primaryKey"`
	PrimaryName string               `json:"primaryName"`
	Columns     []regColumn          `json:"columns"`
	Rows        []map[string]*string `json:"rows"`
}

type regColumn struct {
	Name   string           `json:"name"`
	Kind   string           `json:"kind"`
	Target string           `json:"target,omitempty"`
	Labels map[int64]string `json:"labels,omitempty"`
}

// NewRegression records ds and q.
func NewRegression(note string, ds *gen.Dataset, q *ast.Query) *Regression {
	r := &Regression{Note: note, Now: ds.Env.Now.UTC().Format(time.RFC3339), Zone: ds.Env.Zone.String(), WeekStart: ds.Env.WeekStart, FetchXML: FetchXML(q)}
	if f := ds.Env.Fiscal; f != nil {
		r.FiscalStartMonth, r.FiscalStartDay, r.FiscalPeriodType = f.StartMonth, f.StartDay, f.PeriodType
	}
	r.Caller = ds.Env.Caller
	for _, t := range ds.DB.Tables {
		rt := regTable{Name: t.Name, PrimaryKey: t.PrimaryKey, PrimaryName: t.PrimaryName}
		for _, c := range t.Columns {
			rt.Columns = append(rt.Columns, regColumn{Name: c.Name, Kind: c.Kind.String(), Target: c.Target, Labels: c.Labels})
		}
		for _, row := range t.Rows {
			m := map[string]*string{}
			for _, c := range t.Columns {
				if v := row[c.Name]; v != nil {
					s := valueText(v)
					m[c.Name] = &s
				} else {
					m[c.Name] = nil
				}
			}
			rt.Rows = append(rt.Rows, m)
		}
		r.Tables = append(r.Tables, rt)
	}
	return r
}

func valueText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case *big.Rat:
		return x.FloatString(2)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case []int64:
		parts := make([]string, len(x))
		for i, n := range x {
			parts[i] = strconv.FormatInt(n, 10)
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}

// Case rebuilds the dataset and the query.
func (r *Regression) Case() (*gen.Dataset, *ast.Query, error) {
	zone, err := time.LoadLocation(r.Zone)
	if err != nil {
		return nil, nil, err
	}
	now, err := time.Parse(time.RFC3339, r.Now)
	if err != nil {
		return nil, nil, err
	}
	ds := &gen.Dataset{DB: &refeval.Database{}, Env: refeval.Env{Now: now, Zone: zone, WeekStart: r.WeekStart}}
	if r.FiscalPeriodType != 0 {
		ds.Env.Fiscal = &refeval.Fiscal{StartMonth: r.FiscalStartMonth, StartDay: r.FiscalStartDay, PeriodType: r.FiscalPeriodType}
	}
	ds.Env.Caller = r.Caller
	for _, rt := range r.Tables {
		t := &refeval.Table{Name: rt.Name, PrimaryKey: rt.PrimaryKey, PrimaryName: rt.PrimaryName}
		for _, rc := range rt.Columns {
			k, ok := kindByName(rc.Kind)
			if !ok {
				return nil, nil, fmt.Errorf("column %s: unknown kind %q", rc.Name, rc.Kind)
			}
			t.Columns = append(t.Columns, &refeval.Column{Name: rc.Name, Kind: k, Target: rc.Target, Labels: rc.Labels})
		}
		for _, m := range rt.Rows {
			row := refeval.Row{}
			for _, c := range t.Columns {
				s := m[c.Name]
				if s == nil {
					row[c.Name] = nil
					continue
				}
				v, err := parseValue(c.Kind, *s)
				if err != nil {
					return nil, nil, fmt.Errorf("%s.%s: %v", t.Name, c.Name, err)
				}
				row[c.Name] = v
			}
			t.Rows = append(t.Rows, row)
		}
		ds.DB.Tables = append(ds.DB.Tables, t)
	}
	q, err := fetchxml.Parse(diag.NewSource("regression.xml", []byte(r.FetchXML)))
	if err != nil {
		return nil, nil, err
	}
	return ds, q, nil
}

func kindByName(s string) (refeval.Kind, bool) {
	for k := refeval.String; k <= refeval.MultiChoice; k++ {
		if k.String() == s {
			return k, true
		}
	}
	return 0, false
}

func parseValue(k refeval.Kind, s string) (any, error) {
	switch k {
	case refeval.Int, refeval.Choice:
		return strconv.ParseInt(s, 10, 64)
	case refeval.Decimal:
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			return nil, fmt.Errorf("bad decimal %q", s)
		}
		return r, nil
	case refeval.Float:
		return strconv.ParseFloat(s, 64)
	case refeval.Bool:
		return strconv.ParseBool(s)
	case refeval.DateTime, refeval.DateOnly, refeval.WallDateTime:
		return time.Parse(time.RFC3339, s)
	case refeval.MultiChoice:
		var out []int64
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				return nil, err
			}
			out = append(out, n)
		}
		return out, nil
	}
	return s, nil
}

// MarshalRegression is the file form.
func MarshalRegression(r *Regression) ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	return append(b, '\n'), err
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
