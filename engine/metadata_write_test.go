package engine

import (
	"bytes"
	"context"
	"testing"

	"github.com/vecompile/vecompile/plan"
)

// What vecompile metadata prints, read back, keeps every column's limits:
// declared ones as declared, and no narrower limit where the database
// declares none (the file's defaults would otherwise refuse writes the
// database takes).
func TestWriteMetadataKeepsLimits(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.SQL.ExecContext(ctx, `CREATE TABLE widget (
		widgetid CHAR(36) PRIMARY KEY, name VARCHAR(40), notes TEXT,
		price NUMERIC(12,3), ratio NUMERIC, cost MONEY)`); err != nil {
		t.Fatal(err)
	}
	cat, err := Introspect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteMetadata(&buf, cat.(plan.MapCatalog)); err != nil {
		t.Fatal(err)
	}
	back, err := ParseMetadata("printed.json", buf.Bytes())
	if err != nil {
		t.Fatalf("the printed metadata does not read back: %v\n%s", err, buf.String())
	}
	in, _ := cat.Table("widget")
	out, _ := back.Table("widget")
	for _, name := range []string{"name", "notes", "price", "ratio", "cost"} {
		a, _ := in.Column(name)
		b, _ := out.Column(name)
		if a == nil || b == nil {
			t.Fatalf("%s: missing column (introspected %v, read back %v)", name, a != nil, b != nil)
		}
		if a.MaxLength != 0 && b.MaxLength != a.MaxLength {
			t.Errorf("%s: maxLength %d read back as %d", name, a.MaxLength, b.MaxLength)
		}
		if a.MaxLength == 0 && b.MaxLength != 0 && b.MaxLength < maxTextLength {
			t.Errorf("%s: no declared length read back as %d", name, b.MaxLength)
		}
		if a.HasPrecision && (b.Precision != a.Precision || !b.HasPrecision) {
			t.Errorf("%s: precision %d read back as %d", name, a.Precision, b.Precision)
		}
		if !a.HasPrecision && b.Type == plan.TDecimal && b.Precision < maxDecimalPrecision {
			t.Errorf("%s: no declared precision read back as %d places", name, b.Precision)
		}
	}
}
