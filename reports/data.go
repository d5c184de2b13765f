package reports

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"s3responder/app"
)

// CSVHeader is the first row of the timeline CSV.
var CSVHeader = []string{"seq", "eventTime", "recordedAt", "actor", "kind", "text", "refs", "prevHash", "hash"}

// CSV writes the timeline, one entry a row, times in RFC 3339 UTC with
// nanoseconds and refs joined by ";".
//
// Text typed by people or copied from AWS can start with "=", "+", "-" or
// "@", which spreadsheets run as a formula; such cells are prefixed with a
// single quote. That protects the reader at the cost of exactness: the JSON
// export is the form to recompute hashes from.
func CSV(w io.Writer, entries []app.Entry) error {
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	if err := cw.Write(CSVHeader); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	for _, e := range entries {
		rec := []string{
			strconv.FormatUint(e.Seq, 10),
			e.EventTime.UTC().Format(time.RFC3339Nano),
			e.RecordedAt.UTC().Format(time.RFC3339Nano),
			defuse(e.Actor), defuse(string(e.Kind)), defuse(e.Text), defuse(strings.Join(e.Refs, ";")),
			e.PrevHash, e.Hash,
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write CSV entry %d: %w", e.Seq, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return nil
}

// defuse neutralises a cell a spreadsheet would evaluate.
func defuse(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// JSON writes the whole incident as an indented app.Bundle, which
// `s3responder import` reads back.
func JSON(w io.Writer, b app.Bundle) error {
	if b.Format == "" {
		b.Format = app.BundleFormat
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(b); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

// ReadJSON reads a bundle written by JSON, refusing unknown fields: a
// field this version does not know may carry meaning it would drop.
func ReadJSON(r io.Reader) (app.Bundle, error) {
	var b app.Bundle
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return app.Bundle{}, fmt.Errorf("%w: read incident JSON: %v", app.ErrInvalid, err)
	}
	return b, nil
}
