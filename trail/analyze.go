package trail

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
)

// Options tune an analysis. The zero value analyses everything with the
// default limits on every CPU.
type Options struct {
	Filter Filter
	// Workers is the number of files read at once; 0 means one per CPU.
	Workers int
	// MaxRecordBytes caps one record; 0 means DefaultMaxRecordBytes.
	MaxRecordBytes int
	// Limits bound the result tables; zero fields take their defaults.
	Limits Limits
	// Progress, when set, is called after each file with the running
	// totals. Calls are serialised but come from worker goroutines: a GUI
	// must hand them to its own goroutine.
	Progress func(Progress)
}

// Progress is the running state of an analysis.
type Progress struct {
	FilesDone  int64
	FilesTotal int64
	BytesDone  int64
	BytesTotal int64
	Records    int64
	Errors     int64
}

// Analyze reads the log files under paths and answers the questions in
// Result. Unreadable files and bad content are reported in Result.Errors
// and never stop the run; the only error returned is the context's, when
// the run was cancelled (the partial result is returned with it).
func Analyze(ctx context.Context, paths []string, opt Options) (*Result, error) {
	in := Expand(paths)
	res := &Result{Errors: append([]FileError{}, in.Errors...), SkippedDigests: int64(len(in.Digests)), DuplicatePaths: int64(in.Duplicates)}
	seen := newEventIDs()
	lim := opt.Limits.withDefaults()
	shared := newAggregate(&lim)
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	workers = max(1, min(workers, len(in.Logs)))

	var (
		mu   sync.Mutex // guards shared, res and progress calls
		prog Progress
		next atomic.Int64
		wg   sync.WaitGroup
	)
	prog.FilesTotal = int64(len(in.Logs))
	for _, p := range in.Logs {
		if info, err := statSize(p); err == nil {
			prog.BytesTotal += info
		}
	}

	for range workers {
		wg.Go(func() {
			var src source
			local := newAggregate(&lim)
			flush := func() {
				mu.Lock()
				shared.merge(local)
				mu.Unlock()
				local.reset()
			}
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(in.Logs) {
					break
				}
				path := in.Logs[i]
				fr := analyzeFile(ctx, &src, path, &opt, local, seen, flush)
				flush()
				mu.Lock()
				res.Files++
				res.Records += fr.stats.Records
				res.InvalidRecords += fr.stats.Invalid
				res.MistypedRecords += fr.stats.Mistyped
				res.OversizedRecords += fr.stats.Oversized
				res.DuplicateRecords += fr.duplicates
				res.UnreadableTimes += fr.badTimes
				res.BytesRead += fr.size
				if fr.err != nil {
					res.Errors = append(res.Errors, *fr.err)
				}
				prog.FilesDone++
				prog.BytesDone += fr.size
				prog.Records = res.Records
				prog.Errors = int64(len(res.Errors))
				if opt.Progress != nil {
					opt.Progress(prog)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	shared.fill(res)
	sortErrors(res.Errors)
	res.Summary = Summarize(res)
	return res, ctx.Err()
}

type fileResult struct {
	stats      ParseStats
	size       int64
	duplicates int64
	badTimes   int64
	err        *FileError
}

// analyzeFile reads one file into local, calling flush when local grows.
// seen holds the eventIDs counted so far, across files.
func analyzeFile(ctx context.Context, src *source, path string, opt *Options, local *aggregate, seen *eventIDs, flush func()) fileResult {
	var fr fileResult
	r, f, size, err := src.open(path)
	fr.size = size
	if err != nil {
		fr.err = &FileError{File: path, Reason: err.Error()}
		return fr
	}
	defer f.Close()
	filter := &opt.Filter
	noFilter := filter.Empty()
	n := 0
	// The file's note counts what the file holds; the result's total
	// what was counted, duplicates left out. Which of two copies of an
	// event is counted depends on which file a worker reads first, so the
	// note must not depend on it.
	badTime, badInFile := "", int64(0)
	st, err := ParseRecords(r, opt.MaxRecordBytes, func(rec *Record) error {
		t := rec.Time()
		if t.IsZero() {
			if badInFile == 0 {
				badTime = rec.EventTime
			}
			badInFile++
		}
		if rec.EventID != "" && !seen.first(rec.EventID) {
			fr.duplicates++
			return nil
		}
		if t.IsZero() {
			fr.badTimes++
		}
		if noFilter || filter.Match(rec, t) {
			local.add(rec, t)
		}
		n++
		if n&1023 == 0 {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if local.big() {
				flush()
			}
		}
		return nil
	})
	fr.stats = st
	// Problems that stopped the file, then remarks on a file read to its
	// end, in one line.
	var notes []string
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		notes = append(notes, "analysis cancelled")
	case err != nil:
		notes = append(notes, err.Error())
	case st.Invalid > 0 && st.Invalid == st.Records:
		notes = append(notes, ErrNotCloudTrail.Error()+": no record has eventTime, eventName and an AWS eventSource")
	case st.Invalid > 0:
		notes = append(notes, "some records are not CloudTrail events and were skipped: "+itoa(st.Invalid)+" of "+itoa(st.Records))
	}
	if st.Oversized > 0 {
		max := opt.MaxRecordBytes
		if max <= 0 {
			max = DefaultMaxRecordBytes
		}
		notes = append(notes, fmt.Sprintf("%s %s larger than %s skipped (the first is record %d); the records after %s were read",
			Count(st.Oversized), plural(st.Oversized, "record", "records"), Bytes(int64(max)), st.FirstOversized, plural(st.Oversized, "it", "them")))
	}
	if badInFile > 0 {
		notes = append(notes, fmt.Sprintf("%s %s an eventTime that cannot be read (the first: %q): counted, but at no time and matching no --since or --until",
			Count(badInFile), plural(badInFile, "record has", "records have"), badTime))
	}
	if len(notes) > 0 {
		fr.err = &FileError{File: path, Reason: strings.Join(notes, "; "), Records: st.Records, Complete: err == nil}
	}
	return fr
}
