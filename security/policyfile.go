package security

import (
	"bytes"
	"encoding/json"
	"os"

	"github.com/vecompile/vecompile/internal/diag"
)

// ParsePolicy reads a JSON policy file (the Model's JSON form). Unknown
// fields are errors, so a misspelt key cannot silently grant or drop
// anything. The model is compiled (validated) before it is returned.
func ParsePolicy(name string, data []byte) (*Compiled, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Model
	if err := dec.Decode(&m); err != nil {
		return nil, diag.ErrorList{diag.Errorf(nil, diag.NoSpan, diag.BadSecurityModel, "%s: %v", name, err)}.Err()
	}
	return Compile(&m)
}

// LoadPolicyFile reads and compiles a JSON policy file.
func LoadPolicyFile(path string) (*Compiled, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, diag.ErrorList{diag.Errorf(nil, diag.NoSpan, diag.BadSecurityModel, "policy file: %v", err)}.Err()
	}
	return ParsePolicy(path, data)
}
