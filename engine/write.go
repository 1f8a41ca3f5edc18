package engine

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/width"

	"github.com/vecompile/vecompile/internal/diag"
)

// Formats lists the output formats Write accepts.
var Formats = []string{"table", "json", "jsonl", "csv"}

// Write prints a result in one of Formats:
//
//	table  aligned text with a header, numbers right-aligned, nulls blank,
//	       then "(N rows)" and, when set, "(more records)" and the total count
//	json   one document {"value":[rows…],"morerecords":bool} plus
//	       "totalrecordcount" (and "totalrecordcountlimitexceeded") when
//	       the query asked for the count; rows are objects with keys in
//	       column order and null values omitted
//	jsonl  one row object per line, nulls omitted
//	csv    a header row, then one record per row; null is an empty field
//
// Fields with a formatted value (Formatter.Apply) show it in table and csv
// in place of the raw value; json and jsonl keep the raw value and add the
// Web API's annotations before it (col@OData.Community.Display.V1.FormattedValue,
// and col@Microsoft.Dynamics.CRM.lookuplogicalname for lookups).
// An unknown format is a BadFlag error.
func Write(w io.Writer, r *Result, format string) error {
	bw := bufio.NewWriter(w)
	var err error
	switch format {
	case "table":
		err = writeTable(bw, r)
	case "json":
		err = writeJSON(bw, r)
	case "jsonl":
		err = writeJSONL(bw, r)
	case "csv":
		err = writeCSV(bw, r)
	default:
		return diag.ErrorList{&diag.Error{Code: diag.BadFlag, Msg: fmt.Sprintf("unknown output format %q: use %s", format, strings.Join(Formats, ", "))}}.Err()
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

func writeJSON(w *bufio.Writer, r *Result) error {
	w.WriteString("{\"value\":[")
	for i, row := range r.Rows {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteString("\n  ")
		b, err := row.MarshalJSON()
		if err != nil {
			return err
		}
		w.Write(b)
	}
	if len(r.Rows) > 0 {
		w.WriteString("\n")
	}
	fmt.Fprintf(w, "],\"morerecords\":%t", r.MoreRecords)
	if r.CountRequested {
		fmt.Fprintf(w, ",\"totalrecordcount\":%d,\"totalrecordcountlimitexceeded\":%t", r.TotalRecordCount, r.TotalRecordCountLimitExceeded)
	}
	w.WriteString("}\n")
	return nil
}

func writeJSONL(w *bufio.Writer, r *Result) error {
	for _, row := range r.Rows {
		b, err := row.MarshalJSON()
		if err != nil {
			return err
		}
		w.Write(b)
		w.WriteByte('\n')
	}
	return nil
}

func writeCSV(w *bufio.Writer, r *Result) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(r.Columns); err != nil {
		return err
	}
	rec := make([]string, len(r.Columns))
	for _, row := range r.Rows {
		for i := range rec {
			rec[i] = ""
			if i < len(row) {
				rec[i] = displayText(row[i])
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// formatText renders a value as plain text: the same digits as the JSON
// forms, true/false, multi-select values joined by ",", null empty.
func formatText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case json.Number:
		return string(x)
	case float64:
		b, err := json.Marshal(x)
		if err != nil {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
		return string(b)
	case bool:
		return strconv.FormatBool(x)
	case []int64:
		parts := make([]string, len(x))
		for i, n := range x {
			parts[i] = strconv.FormatInt(n, 10)
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}

// displayText is a field's text for table and csv: its formatted value
// when it has one, else formatText of the value.
func displayText(f Field) string {
	if f.Formatted != nil && f.Formatted.HasValue {
		return f.Formatted.Value
	}
	return formatText(f.Value)
}

// displayWidth is the number of terminal columns s takes: East Asian
// Wide and Fullwidth characters take two, combining marks and format
// characters none, others one.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		case isWide(r):
			n += 2
		default:
			n++
		}
	}
	return n
}

func isWide(r rune) bool {
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return true
	}
	return false
}

// numericText reports whether a number field reads as one: a choice's
// label does not, and aligns left.
func numericText(f Field) bool {
	return f.Formatted == nil || !f.Formatted.HasValue || strings.ContainsAny(f.Formatted.Value, "0123456789")
}

func isNumber(v any) bool {
	switch v.(type) {
	case int64, json.Number, float64:
		return true
	}
	return false
}

// cellText makes a value fit on one table line.
var cellReplacer = strings.NewReplacer("\r\n", `\n`, "\n", `\n`, "\r", `\r`, "\t", `\t`)

func writeTable(w *bufio.Writer, r *Result) error {
	n := len(r.Columns)
	widths := make([]int, n)
	numeric := make([]bool, n)
	cells := make([][]string, len(r.Rows))
	for i, c := range r.Columns {
		widths[i] = displayWidth(c)
		numeric[i] = true
	}
	for j, row := range r.Rows {
		cells[j] = make([]string, n)
		for i := 0; i < n && i < len(row); i++ {
			v := row[i].Value
			if v != nil && (!isNumber(v) || !numericText(row[i])) {
				numeric[i] = false
			}
			s := cellReplacer.Replace(displayText(row[i]))
			cells[j][i] = s
			if l := displayWidth(s); l > widths[i] {
				widths[i] = l
			}
		}
	}
	line := func(vals []string, pad byte) {
		var b bytes.Buffer
		for i, s := range vals {
			if i > 0 {
				b.WriteString("  ")
			}
			gap := strings.Repeat(string(pad), widths[i]-displayWidth(s))
			if numeric[i] && pad == ' ' {
				b.WriteString(gap)
				b.WriteString(s)
			} else {
				b.WriteString(s)
				if i < len(vals)-1 || pad != ' ' {
					b.WriteString(gap)
				}
			}
		}
		w.Write(bytes.TrimRight(b.Bytes(), " "))
		w.WriteByte('\n')
	}
	if n > 0 {
		line(r.Columns, ' ')
		dashes := make([]string, n)
		line(dashes, '-')
		for _, c := range cells {
			line(c, ' ')
		}
	}
	if len(r.Rows) == 1 {
		w.WriteString("(1 row)\n")
	} else {
		fmt.Fprintf(w, "(%d rows)\n", len(r.Rows))
	}
	if r.MoreRecords {
		w.WriteString("(more records)\n")
	}
	if r.CountRequested {
		fmt.Fprintf(w, "(total record count: %d", r.TotalRecordCount)
		if r.TotalRecordCountLimitExceeded {
			w.WriteString(", limit exceeded")
		}
		w.WriteString(")\n")
	}
	return nil
}
