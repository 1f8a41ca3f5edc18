package engine

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/internal/diag"
)

// TestLoadSynapseFixture loads testdata/foreign/synapse (the sample as
// Synapse Link writes it) and finds the sample's rows: the account written
// twice has its later version, the deleted one is gone, every count is
// the sample's.
func TestLoadSynapseFixture(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "lake.db")+"?create=true")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	model := filepath.Join("..", "testdata", "foreign", "synapse", "model.json")
	sum, err := LoadSynapse(ctx, db, model, false)
	if err != nil {
		t.Fatal(err)
	}
	inserts, err := parseDataSQL(sampleData)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, ins := range inserts {
		want[ins.table] += len(ins.rows)
	}
	for _, ts := range sum.Tables {
		if ts.Rows != want[ts.Table] {
			t.Errorf("%s: %d rows, want %d", ts.Table, ts.Rows, want[ts.Table])
		}
		var n int
		if err := db.SQL.QueryRowContext(ctx, "SELECT count(*) FROM "+db.quote(ts.Table)).Scan(&n); err != nil || n != ts.Rows {
			t.Errorf("%s holds %d rows (%v), the summary says %d", ts.Table, n, err, ts.Rows)
		}
		if ts.Table == "account" && (ts.Replaced != 1 || ts.Deleted != 1 || ts.Read != want["account"]+3) {
			t.Errorf("account: %+v, want 1 replaced, 1 deleted, %d read", ts, want["account"]+3)
		}
	}
	if len(sum.Tables) != len(want) {
		t.Errorf("%d tables loaded, want %d", len(sum.Tables), len(want))
	}
	var name, created, desc string
	var bool1 bool
	if err := db.SQL.QueryRowContext(ctx, `SELECT name, createdon, description, donotemail FROM account WHERE "Id" = 'acc00000-0000-4000-8000-000000000001'`).Scan(&name, &created, &desc, &bool1); err != nil {
		t.Fatal(err)
	}
	if name != "Contoso Ltd" || created != "2024-01-10T09:15:00Z" || desc != "Headquarters account.\nKey strategic customer since 2019." || !bool1 {
		t.Errorf("account 1: %q %q %q %v", name, created, desc, bool1)
	}
	if !strings.Contains(sum.String(), "account: ") || !strings.Contains(sum.String(), "1 replaced by a later version, 1 deleted") {
		t.Errorf("summary:\n%s", sum)
	}
	// Loading again is refused; --replace reloads.
	if _, err := LoadSynapse(ctx, db, model, false); diag.CodeOf(err) != diag.BadFlag {
		t.Errorf("second load: %v, want %s", err, diag.BadFlag)
	}
	if _, err := LoadSynapse(ctx, db, model, true); err != nil {
		t.Errorf("reload: %v", err)
	}
}

const errModel = `{"name": "cdm", "version": "1.0", "entities": [
 {"$type": "LocalEntity", "name": "account", "attributes": [
   {"name": "Id", "dataType": "guid"}, {"name": "name", "dataType": "string", "maxLength": 5},
   {"name": "donotemail", "dataType": "boolean"}, {"name": "createdon", "dataType": "dateTime"},
   {"name": "IsDelete", "dataType": "boolean"}],
  "partitions": [{"name": "2026", "location": "https://x.dfs.core.windows.net/c/account/2026.csv"}]}]}`

// TestLoadSynapseErrors: every bad row is reported at file:line:col and
// nothing is kept.
func TestLoadSynapseErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, csv string
		want      []string
	}{
		{"values", "acc00000-0000-4000-8000-000000000001,\"Ok\",True,\"2026-03-15T13:20:00.0000000Z\",\n" +
			"not-a-guid,\"Ok\",True,,\n" +
			"acc00000-0000-4000-8000-000000000003,\"Ok\",Yes,,\n" +
			"acc00000-0000-4000-8000-000000000004,\"Too long\",,,\n" +
			"acc00000-0000-4000-8000-000000000005,\"a\nb\",False,\"15/03/2026\",\n" +
			"acc00000-0000-4000-8000-000000000006,,,,,extra\n" +
			",\"no id\"\n",
			[]string{
				"account/2026.csv:2:1: VE1021 attribute \"Id\" (guid): \"not-a-guid\" is not a GUID",
				"account/2026.csv:3:43: VE1021 attribute \"donotemail\" (boolean): \"Yes\" is not a boolean",
				"account/2026.csv:4:38: VE1021 attribute \"name\" (string): 8 characters where the attribute's maxLength is 5",
				"account/2026.csv:6:10: VE1021 attribute \"createdon\" (datetime): \"15/03/2026\" is not a datetime",
				"account/2026.csv:7:42: VE1021 6 fields where model.json has 5 attributes",
				"account/2026.csv:8:1: VE1021 attribute \"Id\" (the key) is empty",
			}},
		{"quoting", "acc00000-0000-4000-8000-000000000001,\"unterminated\n", []string{"account/2026.csv:1:52: VE1021 extraneous or missing \" in quoted-field"}},
		{"partition", "", []string{"model.json:1:", "VE1022 $.entities[0].partitions[0].location: partition"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "model.json"), []byte(strings.ReplaceAll(errModel, "\n", "")), 0o644)
			if tc.name != "partition" {
				os.MkdirAll(filepath.Join(dir, "account"), 0o755)
				os.WriteFile(filepath.Join(dir, "account", "2026.csv"), []byte(tc.csv), 0o644)
			}
			db, err := Open(ctx, "sqlite::memory:")
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			_, err = LoadSynapse(ctx, db, filepath.Join(dir, "model.json"), false)
			if err == nil {
				t.Fatal("loaded")
			}
			msg := strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q:\n%s", w, msg)
				}
			}
			if ok, _ := tableExists(ctx, db, "account"); ok {
				t.Error("a failed load kept its table")
			}
		})
	}
}

// FuzzSynapseRow: the partition reader and row decoder never panic, and a
// row they accept, written again as Synapse Link writes it, decodes to
// the same values.
func FuzzSynapseRow(f *testing.F) {
	for _, s := range []string{
		"acc00000-0000-4000-8000-000000000001,\"3/14/2026 11:05:00 PM\",\"Contoso \"\"Old\"\" Ltd\",True,12,-3,1000.5,47.60621,\"2024-01-10T09:15:00.0000000Z\",\"2024-01-10T00:00:00.0000000+00:00\",1963-10-26,\n",
		"{ACC00000-0000-4000-8000-000000000001},,\"a\nb\",false,,,,,,,,True\r\n",
		"x,\"unterminated\n",
		",,,,,,,,,,,,,,\n",
		"\ufeffacc00000-0000-4000-8000-000000000001,\"1/1/2020 0:00:00 PM\"\n",
	} {
		f.Add([]byte(s))
	}
	attrs := []cdmAttr{
		{name: "Id", dataType: "guid"}, {name: "SinkCreatedOn", dataType: "datetime"}, {name: "name", dataType: "string", maxLength: 160},
		{name: "flag", dataType: "boolean"}, {name: "n", dataType: "int64"}, {name: "s", dataType: "int16"}, {name: "d", dataType: "decimal"},
		{name: "x", dataType: "double"}, {name: "t", dataType: "datetime"}, {name: "o", dataType: "datetimeoffset"}, {name: "day", dataType: "date"},
		{name: "IsDelete", dataType: "boolean"},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := newSynapseReader(bytes.NewReader(data))
		for {
			rec, err := r.Read()
			if err == io.EOF || err != nil {
				return
			}
			vals, _, err := decodeCDMRecord(attrs, rec)
			if err != nil {
				continue
			}
			var buf bytes.Buffer
			w := csv.NewWriter(&buf)
			out := make([]string, len(attrs))
			for i, v := range vals {
				out[i] = encodeCDMField(attrs[i].dataType, v)
			}
			if err := w.Write(out); err != nil {
				t.Fatal(err)
			}
			w.Flush()
			again, err := newSynapseReader(&buf).Read()
			if err != nil {
				t.Fatalf("%q written as %q does not read back: %v", rec, buf.String(), err)
			}
			vals2, _, err := decodeCDMRecord(attrs, again)
			if err != nil {
				t.Fatalf("%q written as %q does not decode: %v", rec, buf.String(), err)
			}
			if !reflect.DeepEqual(vals, vals2) {
				t.Fatalf("%q: %v, written and read back %v", rec, vals, vals2)
			}
		}
	})
}
