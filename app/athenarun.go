package app

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// DefaultAthenaMaxRows caps the rows fetched back from one query: the
// full result stays in Athena's output location in S3.
const DefaultAthenaMaxRows = 10000

// AthenaRun is a query to run, as the person reviewed (and perhaps
// edited) it.
type AthenaRun struct {
	// Name is the query's name (by-bucket...) or "custom".
	Name string `json:"name"`
	SQL  string `json:"sql"`
	// Database is the default database of the query.
	Database string `json:"database"`
	// Workgroup is Athena's workgroup; "" is primary.
	Workgroup string `json:"workgroup,omitempty"`
	// OutputLocation is where Athena writes the results
	// (s3://bucket/prefix/); "" uses the workgroup's.
	OutputLocation string `json:"outputLocation,omitempty"`
	// MaxRows caps the rows fetched back; 0 means DefaultAthenaMaxRows.
	MaxRows int `json:"maxRows,omitempty"`
}

// AthenaResult is a finished query and the rows fetched back.
type AthenaResult struct {
	QueryID string     `json:"queryExecutionId"`
	State   string     `json:"state"`
	Columns []string   `json:"columns"`
	Rows    [][]string `json:"rows"`
	// Truncated is true when the query returned more rows than MaxRows.
	Truncated bool `json:"truncated"`
	// OutputLocation is where Athena wrote the whole result.
	OutputLocation string        `json:"outputLocation,omitempty"`
	ScannedBytes   int64         `json:"dataScannedInBytes"`
	Duration       time.Duration `json:"durationNs"`
	Items          []Collected   `json:"-"`
}

// AthenaRunner is a Cloud that can run Athena queries: start, wait for
// the end (stopping the query if ctx ends first), fetch the results.
type AthenaRunner interface {
	RunAthena(ctx context.Context, run AthenaRun) (AthenaResult, error)
}

// RunAthenaQuery runs a reviewed query and keeps its results (CSV) and
// Athena's record of the run (the SQL as run, the data scanned) as
// evidence, with a finding saying what came back. Only queries that read
// are run; cancelling ctx stops the query in Athena too.
func (s *Service) RunAthenaQuery(ctx context.Context, incidentID string, p Profile, run AthenaRun) (AthenaResult, Saved, error) {
	if err := CheckReadOnlySQL(run.SQL); err != nil {
		return AthenaResult{}, Saved{}, err
	}
	if strings.TrimSpace(run.Database) == "" {
		return AthenaResult{}, Saved{}, fmt.Errorf("%w: name the Athena database the query runs in", ErrInvalid)
	}
	if loc := strings.TrimSpace(run.OutputLocation); loc != "" && !strings.HasPrefix(loc, "s3://") {
		return AthenaResult{}, Saved{}, fmt.Errorf("%w: the output location must be an S3 address such as s3://my-athena-results/s3responder/ (not %q)", ErrInvalid, loc)
	}
	if run.MaxRows < 0 {
		return AthenaResult{}, Saved{}, fmt.Errorf("%w: the row cap must be positive", ErrInvalid)
	}
	if run.MaxRows == 0 {
		run.MaxRows = DefaultAthenaMaxRows
	}
	if strings.TrimSpace(run.Name) == "" {
		run.Name = "custom"
	}
	conn, runner, err := capability[AthenaRunner](ctx, s, incidentID, p, "run Athena queries")
	if err != nil {
		return AthenaResult{}, Saved{}, err
	}
	res, err := runner.RunAthena(ctx, run)
	if err != nil {
		return res, Saved{}, fmt.Errorf("run Athena query %s: %w", run.Name, err)
	}
	saved, err := s.keep(ctx, incidentID, conn.id, res.Items, "the Athena results", func(refs []string) ([]Entry, error) {
		return []Entry{s.entry(KindFinding, athenaText(run, res, conn.id), time.Time{}, refs...)}, nil
	})
	return res, saved, err
}

// athenaText is the finding of a query run: what was asked, how much came
// back, and the first row, which for top-readers is the top reader.
func athenaText(run AthenaRun, res AthenaResult, by Identity) string {
	rows := plural(len(res.Rows), "row")
	if res.Truncated {
		rows = fmt.Sprintf("more than %d rows (the first %d fetched; all are in %s)", len(res.Rows), len(res.Rows), res.OutputLocation)
	}
	text := fmt.Sprintf("Athena query %s (execution %s, as %s) returned %s, scanning %s.", run.Name, res.QueryID, by.ARN, rows, byteWords(res.ScannedBytes))
	if len(res.Rows) > 0 {
		var cells []string
		for i, c := range res.Columns {
			if i < len(res.Rows[0]) && res.Rows[0][i] != "" {
				cells = append(cells, c+"="+res.Rows[0][i])
			}
		}
		text += " First row: " + strings.Join(cells, ", ") + "."
	}
	return text
}

// byteWords says a size the way a person reads it.
func byteWords(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return plural(int(n), "byte")
}
