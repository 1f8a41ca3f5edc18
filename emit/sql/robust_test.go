package sql

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// sites collects every settable pointer, interface, slice and small-enum
// field reachable from v, in a deterministic order.
func sites(v reflect.Value, seen map[uintptr]bool, out *[]reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || seen[v.Pointer()] {
			return
		}
		if v.Type().Elem().PkgPath() == "time" {
			return
		}
		seen[v.Pointer()] = true
		sites(v.Elem(), seen, out)
	case reflect.Interface:
		if !v.IsNil() {
			sites(v.Elem(), seen, out)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			if el := v.Index(i); el.CanSet() {
				switch el.Kind() {
				case reflect.Pointer, reflect.Interface:
					*out = append(*out, el)
				}
			}
			sites(v.Index(i), seen, out)
		}
	case reflect.Struct:
		if v.Type().PkgPath() == "time" {
			return
		}
		for i := 0; i < v.NumField(); i++ {
			f := v.Field(i)
			if !f.CanSet() {
				continue
			}
			switch f.Kind() {
			case reflect.Pointer, reflect.Interface, reflect.Slice:
				*out = append(*out, f)
			case reflect.Uint8:
				*out = append(*out, f)
			}
			sites(f, seen, out)
		}
	}
}

func collect(p *plan.Plan) []reflect.Value {
	var out []reflect.Value
	sites(reflect.ValueOf(p), map[uintptr]bool{}, &out)
	return out
}

// TestNoPanic breaks every golden plan in every way it can (each pointer,
// interface or slice field set to nil, each small enum set out of range)
// and checks that both entry points return a statement or an error, never
// panic.
func TestNoPanic(t *testing.T) {
	for _, c := range goldenCases {
		n := len(collect(c.build(newFixture(""))))
		for i := 0; i < n; i++ {
			for _, mode := range []string{"zero", "enum"} {
				p := c.build(newFixture(""))
				s := collect(p)[i]
				if mode == "zero" {
					s.Set(reflect.Zero(s.Type()))
				} else if s.Kind() == reflect.Uint8 {
					s.SetUint(200)
				} else {
					continue
				}
				for _, d := range Dialects() {
					for _, emit := range []func(*plan.Plan, Dialect) (*Statement, error){Emit, EmitCount} {
						func() {
							defer func() {
								if r := recover(); r != nil {
									t.Fatalf("%s site %d (%s, %s) on %s: panic %v", c.name, i, s.Type(), mode, d.Name(), r)
								}
							}()
							_, err := emit(p, d)
							if err != nil && diag.CodeOf(err) == "" {
								t.Errorf("%s: error without a code: %v", c.name, err)
							}
						}()
					}
				}
			}
		}
	}
	if _, err := Emit(nil, Postgres); diag.CodeOf(err) != diag.MalformedPlan {
		t.Errorf("nil plan: %v", err)
	}
	if _, err := Emit(&plan.Plan{Root: root("a", newFixture("").account)}, nil); diag.CodeOf(err) != diag.DialectUnsupported {
		t.Errorf("nil dialect: %v", err)
	}
}

// TestCycle: a cyclic plan is an error, not a stack overflow.
func TestCycle(t *testing.T) {
	f := newFixture("")
	a := root("account", f.account)
	c := link(a, plan.JoinInner, "c", f.contact, "parentcustomerid", "accountid")
	c.Joins = append(c.Joins, c)
	and := &plan.And{}
	and.Terms = []plan.Expr{and}
	a.Filter = and
	for _, d := range Dialects() {
		_, err := Emit(&plan.Plan{Root: a, Columns: outs(a, "name")}, d)
		if diag.CodeOf(err) != diag.MalformedPlan {
			t.Errorf("%s: %v", d.Name(), err)
		}
	}
}

func TestDialectByName(t *testing.T) {
	for name, want := range map[string]Dialect{
		"postgres": Postgres, "PostgreSQL": Postgres, "sqlite": SQLite, "mysql": MySQL, "MariaDB": MySQL,
		"sqlserver": SQLServer, "mssql": SQLServer, "tsql": SQLServer,
	} {
		if d, ok := DialectByName(name); !ok || d != want {
			t.Errorf("DialectByName(%q) = %v, %v", name, d, ok)
		}
	}
	if _, ok := DialectByName("oracle"); ok {
		t.Error("oracle accepted")
	}
	for _, d := range Dialects() {
		if d2, _ := DialectByName(d.Name()); d2 != d {
			t.Errorf("%s does not round-trip", d.Name())
		}
	}
	_ = fmt.Sprint
}
