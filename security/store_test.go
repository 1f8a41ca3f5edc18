package security

import (
	"testing"

	"github.com/vecompile/vecompile/internal/testkit"
)

// TestSchemaFile: schema.sql is SchemaSQL("sqlite", "") (-update rewrites it).
func TestSchemaFile(t *testing.T) {
	testkit.Golden(t, "schema.sql", []byte(SchemaSQL("sqlite", "")))
}

func TestPrivilegeNames(t *testing.T) {
	for _, c := range []struct {
		name  string
		priv  Privilege
		table string
	}{{"prvReadAccount", Read, "account"}, {"prvAppendToOpportunity", AppendTo, "opportunity"}, {"prvAppendContact", Append, "contact"}, {"prvWritenew_Project", Write, "new_project"}} {
		p, tb, ok := parsePrivilegeName(c.name)
		if !ok || p != c.priv || tb != c.table {
			t.Errorf("%s: got %s %s %v", c.name, p, tb, ok)
		}
		if c.table != "new_project" && PrivilegeName(tb, p) != c.name {
			t.Errorf("PrivilegeName(%s, %s) = %s", tb, p, PrivilegeName(tb, p))
		}
	}
	if _, _, ok := parsePrivilegeName("prvFlyAccount"); ok {
		t.Error("prvFlyAccount parsed")
	}
}
