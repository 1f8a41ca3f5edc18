package server_test

import (
	"testing"

	"github.com/vecompile/vecompile/server"
)

// Strings match accent-insensitively unless Config.AccentSensitive: the
// server plans with the setting, and the RetrieveMultiple answer shows it.
func TestAccentSensitiveConfig(t *testing.T) {
	q := `<fetch><entity name="account"><attribute name="address1_city"/>
<filter><condition attribute="address1_city" operator="eq" value="SAO PAULO"/></filter></entity></fetch>`
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			for _, sensitive := range []bool{false, true} {
				e := newEnv(t, f, func(c *server.Config) { c.AccentSensitive = sensitive })
				got := entities(t, e.do("POST", "/api/ve/v1/RetrieveMultiple", q).want(t, 200).json(t))
				if want := map[bool]int{false: 1, true: 0}[sensitive]; len(got) != want {
					t.Errorf("AccentSensitive=%v: %d rows, want %d: %v", sensitive, len(got), want, got)
				}
				if !sensitive && len(got) == 1 && attr(got[0], "address1_city") != "São Paulo" {
					t.Errorf("got %v, want São Paulo", got[0])
				}
			}
		})
	}
}
