package engine

import (
	_ "embed"

	"github.com/vecompile/vecompile/security"
)

//go:embed sampledata/security.json
var sampleSecurity []byte

// SampleSecurity is the embedded sample's security model: the business
// unit tree, users and teams of the sample data, with roles (System
// Administrator, Sales Manager, Salesperson, Regional Reader, Portal
// Reader, Team Owner Read), shares, hierarchy security (depth 2), column
// security on account.revenue and contact.birthdate, and portal mappings.
func SampleSecurity() (*security.Compiled, error) {
	return security.ParsePolicy("sampledata/security.json", sampleSecurity)
}
