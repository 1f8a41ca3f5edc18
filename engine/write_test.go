package engine

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/internal/testkit"
)

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *testkit.Update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

func sampleResult() *Result {
	cols := []string{"accountid", "name", "revenue", "numberofemployees", "address1_latitude", "donotemail", "createdon", "new_tags", "c.birthdate"}
	row := func(vals ...any) Row {
		r := make(Row, len(cols))
		for i, c := range cols {
			r[i] = Field{Name: c, Value: vals[i]}
		}
		return r
	}
	return &Result{
		Columns: cols,
		Rows: []Row{
			row("acc00000-0000-4000-8000-000000000001", "Contoso Ltd", json.Number("1000000.5"), int64(12), 47.60621, true, "2024-01-10T09:15:00Z", []int64{1, 3}, "1985-07-04"),
			row("acc00000-0000-4000-8000-00000000000d", "Café Ünïcode", nil, int64(250), nil, false, "2026-05-18T21:06:48Z", nil, nil),
			row("acc00000-0000-4000-8000-000000000020", "100% \"Natural\", <Inc>\nline two", json.Number("0.01"), nil, 1e21, nil, "2025-07-31T09:58:42Z", []int64{5}, nil),
		},
		MoreRecords:      true,
		CountRequested:   true,
		TotalRecordCount: 40,
	}
}

func TestWriteGolden(t *testing.T) {
	for _, f := range Formats {
		t.Run(f, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, sampleResult(), f); err != nil {
				t.Fatal(err)
			}
			golden(t, "write."+f, b.Bytes())
		})
	}
}

func TestWriteJSONShape(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, sampleResult(), "json"); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Value       []map[string]any `json:"value"`
		MoreRecords bool             `json:"morerecords"`
		Total       *int             `json:"totalrecordcount"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("json output does not parse: %v\n%s", err, b.String())
	}
	if len(doc.Value) != 3 || !doc.MoreRecords || doc.Total == nil || *doc.Total != 40 {
		t.Fatalf("unexpected document: %+v", doc)
	}
	if _, ok := doc.Value[1]["revenue"]; ok {
		t.Error("null values must be omitted from JSON rows")
	}
	// Keys keep column order.
	line := strings.Split(b.String(), "\n")[1]
	if strings.Index(line, `"accountid"`) > strings.Index(line, `"name"`) || strings.Index(line, `"name"`) > strings.Index(line, `"revenue"`) {
		t.Errorf("row keys out of column order: %s", line)
	}
	// Without a count request there is no totalrecordcount.
	r := sampleResult()
	r.CountRequested = false
	b.Reset()
	Write(&b, r, "json")
	if strings.Contains(b.String(), "totalrecordcount") {
		t.Errorf("totalrecordcount written without a request: %s", b.String())
	}
}

func TestWriteEmptyAndUnknown(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, &Result{Columns: []string{"a", "bb"}}, "table"); err != nil {
		t.Fatal(err)
	}
	if want := "a  bb\n-  --\n(0 rows)\n"; b.String() != want {
		t.Errorf("empty table = %q, want %q", b.String(), want)
	}
	b.Reset()
	Write(&b, &Result{}, "json")
	if want := "{\"value\":[],\"morerecords\":false}\n"; b.String() != want {
		t.Errorf("empty json = %q, want %q", b.String(), want)
	}
	if err := Write(&b, &Result{}, "xml"); diag.CodeOf(err) != diag.BadFlag {
		t.Errorf("unknown format: got %v, want %s", err, diag.BadFlag)
	}
}
