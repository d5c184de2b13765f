package trail

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// WriteJSON writes the result as indented JSON, the same text as
// json.MarshalIndent(r, "", "  ") plus a newline, but one list element at a
// time: a result with a hundred thousand objects read would otherwise be
// built whole in memory, twice (once marshalled, once indented), which is
// more than the analysis itself holds.
func (r *Result) WriteJSON(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	v := reflect.ValueOf(r).Elem()
	t := v.Type()
	var buf bytes.Buffer
	first := true
	bw.WriteString("{")
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fv := v.Field(i)
		if strings.Contains(opts, "omitempty") && fv.IsZero() {
			continue
		}
		if !first {
			bw.WriteString(",")
		}
		first = false
		key, _ := json.Marshal(name)
		fmt.Fprintf(bw, "\n  %s: ", key)
		if fv.Kind() != reflect.Slice || fv.IsNil() || fv.Len() == 0 {
			if err := writeIndented(bw, &buf, fv.Interface(), "  "); err != nil {
				return fmt.Errorf("encode %s: %w", name, err)
			}
			continue
		}
		bw.WriteString("[")
		for j := range fv.Len() {
			if j > 0 {
				bw.WriteString(",")
			}
			bw.WriteString("\n    ")
			if err := writeIndented(bw, &buf, fv.Index(j).Interface(), "    "); err != nil {
				return fmt.Errorf("encode %s: %w", name, err)
			}
		}
		bw.WriteString("\n  ]")
	}
	bw.WriteString("\n}\n")
	return bw.Flush()
}

func writeIndented(w *bufio.Writer, buf *bytes.Buffer, v any, prefix string) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	buf.Reset()
	if err := json.Indent(buf, b, prefix, "  "); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}
