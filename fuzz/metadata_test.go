package fuzz

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// checkMetadata is the property both metadata readers share: any input is
// either refused with BadMetadataFile errors positioned inside it, or read
// into a catalog whose every table has its primary id among its columns
// and whose relationships join tables of the catalog; that catalog,
// written in vecompile's format, reads back to itself.
func checkMetadata(t *testing.T, data []byte) {
	cat, err := engine.ParseMetadata("metadata", data)
	if err != nil {
		var list diag.ErrorList
		if !errors.As(err, &list) || len(list) == 0 {
			t.Fatalf("uncoded error %T: %v", err, err)
		}
		for _, e := range list {
			if e.Code != diag.BadMetadataFile {
				t.Fatalf("code %s, want %s: %v", e.Code, diag.BadMetadataFile, e)
			}
			if int(e.Span.Start) > len(data) {
				t.Fatalf("position %d past the input's %d bytes: %v", e.Span.Start, len(data), e)
			}
		}
		return
	}
	mc := cat.(plan.MapCatalog)
	for name, tb := range mc {
		if tb.PrimaryKey != "" {
			if _, ok := tb.Column(tb.PrimaryKey); !ok {
				t.Fatalf("%s: primary id %q is no column", name, tb.PrimaryKey)
			}
		}
		for _, r := range tb.Relationships {
			for _, other := range []string{r.ReferencedTable, r.ReferencingTable, r.Table1, r.Table2, r.IntersectTable} {
				if _, ok := mc.Table(other); other != "" && !ok {
					t.Fatalf("%s: relationship %s names table %q, not in the catalog", name, r.SchemaName, other)
				}
			}
		}
	}
	var first bytes.Buffer
	if err := engine.WriteMetadata(&first, mc); err != nil {
		t.Fatal(err)
	}
	again, err := engine.ParseMetadata("written", first.Bytes())
	if err != nil {
		t.Fatalf("the written metadata is refused: %v\n%s", err, first.String())
	}
	var second bytes.Buffer
	if err := engine.WriteMetadata(&second, again.(plan.MapCatalog)); err != nil {
		t.Fatal(err)
	}
	if first.String() != second.String() {
		t.Fatalf("written metadata does not read back to itself\n--- first\n%s\n--- second\n%s", first.String(), second.String())
	}
}

// FuzzCSDL: the $metadata reader (ParseMetadata on an XML document).
func FuzzCSDL(f *testing.F) {
	if data, err := os.ReadFile("../testdata/foreign/metadata.xml"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx"><edmx:DataServices/></edmx:Edmx>`))
	f.Fuzz(func(t *testing.T, data []byte) { checkMetadata(t, data) })
}

// FuzzMetadataJSON: the reader of vecompile's own metadata format.
func FuzzMetadataJSON(f *testing.F) {
	if data, err := os.ReadFile("../engine/sampledata/metadata.json"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`{"version":1,"entities":[{"logicalName":"a","attributes":[{"logicalName":"aid","type":"Uniqueidentifier"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) { checkMetadata(t, data) })
}

// FuzzCDMModel: the reader of Synapse Link's model.json.
func FuzzCDMModel(f *testing.F) {
	if data, err := os.ReadFile("../testdata/foreign/synapse/model.json"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`{"name":"cdm","entities":[{"$type":"LocalEntity","name":"a","attributes":[{"name":"aid","dataType":"guid"},{"name":"parentaid","dataType":"guid"}]}],"relationships":[{"$type":"SingleKeyRelationship","fromAttribute":{"entityName":"a","attributeName":"parentaid"},"toAttribute":{"entityName":"a","attributeName":"aid"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) { checkMetadata(t, data) })
}
