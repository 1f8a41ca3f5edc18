package server

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/vecompile/vecompile/internal/jsonw"
)

// The SDK's Entity and EntityCollection written directly: the fields in
// their struct order, attribute names sorted as encoding/json sorts a
// map's keys, the wrapped values (EntityReference, OptionSetValue, Money)
// by type; bytes equal to encoding/json's (sdkjson_test.go).

// appendSDKEntity appends e as encoding/json writes *Entity.
func appendSDKEntity(b []byte, e *Entity) ([]byte, error) {
	if e == nil {
		return append(b, "null"...), nil
	}
	b = append(b, `{"LogicalName":`...)
	b = jsonw.AppendString(b, e.LogicalName)
	if e.Id != "" {
		b = append(b, `,"Id":`...)
		b = jsonw.AppendString(b, e.Id)
	}
	b = append(b, `,"Attributes":`...)
	if e.Attributes == nil {
		b = append(b, "null"...)
	} else {
		keys := make([]string, 0, len(e.Attributes))
		for k := range e.Attributes {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(jsonw.AppendString(b, k), ':')
			var err error
			if b, err = appendSDKValue(b, e.Attributes[k]); err != nil {
				return b, err
			}
		}
		b = append(b, '}')
	}
	if e.RowVersion != "" {
		b = append(b, `,"RowVersion":`...)
		b = jsonw.AppendString(b, e.RowVersion)
	}
	if len(e.FormattedValues) > 0 {
		keys := make([]string, 0, len(e.FormattedValues))
		for k := range e.FormattedValues {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, `,"FormattedValues":{`...)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(jsonw.AppendString(b, k), ':')
			b = jsonw.AppendString(b, e.FormattedValues[k])
		}
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

// appendSDKValue appends an attribute value: the SDK's wrapped types by
// their fields, the rest as jsonw writes them.
func appendSDKValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case *EntityReference:
		if x == nil {
			return append(b, "null"...), nil
		}
		return appendReference(b, x), nil
	case EntityReference:
		return appendReference(b, &x), nil
	case OptionSetValue:
		return appendWrapped(b, x.Value)
	case Money:
		return appendWrapped(b, x.Value)
	case []OptionSetValue:
		if x == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, o := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendWrapped(b, o.Value); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	}
	return jsonw.AppendValue(b, v)
}

func appendReference(b []byte, r *EntityReference) []byte {
	b = append(b, `{"Id":`...)
	b = jsonw.AppendString(b, r.Id)
	if r.LogicalName != "" {
		b = append(b, `,"LogicalName":`...)
		b = jsonw.AppendString(b, r.LogicalName)
	}
	if r.Name != "" {
		b = append(b, `,"Name":`...)
		b = jsonw.AppendString(b, r.Name)
	}
	return append(b, '}')
}

// appendWrapped appends {"Value":v} (OptionSetValue, Money).
func appendWrapped(b []byte, v any) ([]byte, error) {
	b = append(b, `{"Value":`...)
	b, err := jsonw.AppendValue(b, v)
	return append(b, '}'), err
}

// appendSDKCollection appends c as encoding/json writes *EntityCollection.
func appendSDKCollection(b []byte, c *EntityCollection) ([]byte, error) {
	b = append(b, `{"EntityName":`...)
	b = jsonw.AppendString(b, c.EntityName)
	b = append(b, `,"Entities":`...)
	if c.Entities == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, e := range c.Entities {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendSDKEntity(b, e); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	b = append(b, `,"MoreRecords":`...)
	b = strconv.AppendBool(b, c.MoreRecords)
	if c.PagingCookie != "" {
		b = append(b, `,"PagingCookie":`...)
		b = jsonw.AppendString(b, c.PagingCookie)
	}
	b = append(b, `,"TotalRecordCount":`...)
	b = strconv.AppendInt(b, int64(c.TotalRecordCount), 10)
	b = append(b, `,"TotalRecordCountLimitExceeded":`...)
	b = strconv.AppendBool(b, c.TotalRecordCountLimitExceeded)
	return append(b, '}'), nil
}

// writeSDK writes an appended SDK result as writeJSON writes an encoded one.
func writeSDK(w http.ResponseWriter, v any, appendTo func([]byte) ([]byte, error)) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	buf := jsonBodies.Get().(*[]byte)
	b, err := appendTo(*buf)
	if err == nil {
		b = append(b, '\n')
		if checkSDK != nil {
			checkSDK(v, b)
		}
	}
	writeBytes(w, http.StatusOK, buf, b, err)
}
