package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/vecompile/vecompile/engine"
	odataparse "github.com/vecompile/vecompile/parse/odata"
	"github.com/vecompile/vecompile/plan"
)

// BenchmarkWriteJSON writes the load comparison's reads (server/loadtest):
// read a, one account by key; read b, 10 opportunities with their
// customer expanded; writer=maps is the map-based writer the server used
// before (the reference of odatajson_test.go), writer=direct the writer
// it uses now. Compare with benchstat -col /writer.
func BenchmarkWriteJSON(b *testing.B) {
	account := plan.NewTable(plan.Table{LogicalName: "account", PrimaryKey: "accountid", Columns: []*plan.Column{
		{LogicalName: "accountid", Type: plan.TUniqueidentifier, IsPrimaryKey: true},
		{LogicalName: "name", Type: plan.TString},
		{LogicalName: "accountnumber", Type: plan.TString},
		{LogicalName: "revenue", Type: plan.TMoney},
		{LogicalName: "versionnumber", Type: plan.TBigInt},
	}})
	opportunity := plan.NewTable(plan.Table{LogicalName: "opportunity", PrimaryKey: "opportunityid", Columns: []*plan.Column{
		{LogicalName: "opportunityid", Type: plan.TUniqueidentifier, IsPrimaryKey: true},
		{LogicalName: "name", Type: plan.TString},
		{LogicalName: "estimatedvalue", Type: plan.TMoney},
		{LogicalName: "closeprobability", Type: plan.TInteger},
		{LogicalName: "customerid", Type: plan.TCustomer, Targets: []string{"account", "contact"}},
		{LogicalName: "versionnumber", Type: plan.TBigInt},
	}})
	cat, err := newExposure(plan.MapCatalog{"account": account, "opportunity": opportunity}, nil)
	if err != nil {
		b.Fatal(err)
	}
	s := &Server{catalog: cat}
	ctx := context.Background()
	r := httptest.NewRequest("GET", "/odata/accounts(x)", nil)

	e := &Entity{LogicalName: "account", Id: "5f1c2e0a-1b2c-4d3e-8f40-123456789abc", Attributes: map[string]any{
		"accountid": "5f1c2e0a-1b2c-4d3e-8f40-123456789abc", "name": "Fourth Coffee (sample)",
		"accountnumber": "ABSS4G45", "revenue": json.Number("60000.0000"),
	}}
	const ctxA = "http://127.0.0.1/odata/$metadata#accounts/$entity"
	etag := `W/"1733550000000001"`

	level := &odataparse.ExpandLevel{Table: "opportunity", Hidden: []string{"versionnumber"}, Single: []*odataparse.SingleExpand{{
		Property: "customerid_account", Level: &odataparse.ExpandLevel{Table: "account", Prefix: "c.", Key: "accountid", Hidden: []string{"accountid"}},
	}}}
	res := &engine.Result{}
	for i := range 10 {
		res.Rows = append(res.Rows, engine.Row{
			{Name: "opportunityid", Value: "7a1c2e0a-1b2c-4d3e-8f40-12345678900" + strconv.Itoa(i)},
			{Name: "name", Value: "Opportunity " + strconv.Itoa(i) + " for 10 units"},
			{Name: "estimatedvalue", Value: json.Number(strconv.Itoa(100000-i*1000) + ".0000")},
			{Name: "closeprobability", Value: int64(40 + i)},
			{Name: "versionnumber", Value: int64(1733550000000001 + i)},
			{Name: "c.accountid", Value: "5f1c2e0a-1b2c-4d3e-8f40-123456789ab" + strconv.Itoa(i)},
			{Name: "c.name", Value: "Customer " + strconv.Itoa(i)},
		})
	}
	coll := odataCollection{context: "http://127.0.0.1/odata/$metadata#opportunities"}

	var out bytes.Buffer
	encode := func(v any) {
		out.Reset()
		enc := json.NewEncoder(&out)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			b.Fatal(err)
		}
	}
	buf := make([]byte, 0, 4096)
	b.Run("read=a/writer=maps", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			encode(referenceByKey(s, ctx, account, ctxA, e, etag, true))
		}
	})
	b.Run("read=a/writer=direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf, _ = appendEntity(buf[:0], byKeyMembers(r, account, ctxA, e, etag, true))
		}
	})
	b.Run("read=b/writer=maps", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			encode(referenceCollection(s, ctx, opportunity, level, coll, res))
		}
	})
	b.Run("read=b/writer=direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			names := rowNames(res)
			shape := compileLevel(ctx, s.catalog, level, names).shape
			buf, _ = appendCollection(buf[:0], coll, entityRows{shape: shape, rows: res.Rows})
		}
	})
	// The writers agree on what is measured.
	encode(referenceCollection(s, ctx, opportunity, level, coll, res))
	names := rowNames(res)
	buf, _ = appendCollection(buf[:0], coll, entityRows{shape: compileLevel(ctx, s.catalog, level, names).shape, rows: res.Rows})
	if !bytes.Equal(buf, out.Bytes()) {
		b.Fatalf("read b differs:\n%s\n%s", buf, out.Bytes())
	}
}
