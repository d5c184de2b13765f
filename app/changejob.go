package app

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// An S3 Batch Operations job is created by a change (s3control.batch-job)
// and then runs inside AWS for minutes or hours. Following it is a read:
// the job's status and task counts, polled until it ends, with each new
// status on the timeline.

// BatchJob is an S3 Batch Operations job as last read.
type BatchJob struct {
	ID     string `json:"jobId"`
	Status string `json:"status"`
	// Total, Succeeded and Failed count the job's tasks (one per object).
	Total     int64 `json:"total"`
	Succeeded int64 `json:"succeeded"`
	Failed    int64 `json:"failed"`
	// Report is where the completion report is written: s3://bucket/prefix.
	Report string `json:"report,omitempty"`
	// Reason is why the job is suspended, failed or cancelled, in AWS's words.
	Reason string `json:"reason,omitempty"`
	// Terminal is true once the job has ended (Complete, Failed, Cancelled).
	Terminal bool `json:"terminal"`
}

// Summary is one line on the job.
func (j BatchJob) Summary() string {
	s := fmt.Sprintf("job %s %s: %d of %d task(s) succeeded, %d failed", j.ID, j.Status, j.Succeeded, j.Total, j.Failed)
	if j.Reason != "" {
		s += " (" + j.Reason + ")"
	}
	if j.Terminal && j.Report != "" {
		s += "; completion report under " + j.Report
	}
	return s
}

// BatchJobReader is what a Mutator offers to follow the batch jobs its
// changes create.
type BatchJobReader interface {
	// ReadBatchJob finds the job a ResourceBatchJob names and reads it.
	ReadBatchJob(ctx context.Context, r Resource) (BatchJob, error)
}

// DefaultJobPoll is how often WatchBatchJob reads the job when not told.
const DefaultJobPoll = 30 * time.Second

// WatchBatchJob follows the S3 Batch Operations job that change changeID
// created: it reads the job every interval (DefaultJobPoll when 0) until
// the job ends or ctx is cancelled, tells progress after every read, and
// puts every new status on the timeline once, the last with the task
// counts and where the completion report is.
func (s *Service) WatchBatchJob(ctx context.Context, incidentID string, p Profile, changeID string, every time.Duration, progress func(BatchJob)) (BatchJob, error) {
	run, err := s.findRun(ctx, incidentID, changeID)
	if err != nil {
		return BatchJob{}, err
	}
	var res *Resource
	for _, sr := range run.Steps {
		if sr.Step.Resource.Kind == ResourceBatchJob {
			if sr.Outcome != OutcomeApplied && sr.Outcome != OutcomeAlready {
				return BatchJob{}, fmt.Errorf("%w: change %s has not created its job yet (%s): apply or resume it first", ErrInvalid, changeID, sr.Outcome)
			}
			r := sr.Step.Resource
			res = &r
		}
	}
	if res == nil {
		return BatchJob{}, fmt.Errorf("%w: change %s creates no S3 Batch Operations job", ErrInvalid, changeID)
	}
	conn, reader, err := capability[BatchJobReader](ctx, s, incidentID, p, "follow S3 Batch Operations jobs")
	if err != nil {
		return BatchJob{}, err
	}
	if every <= 0 {
		every = DefaultJobPoll
	}
	saveCtx := context.WithoutCancel(ctx)
	for {
		job, err := reader.ReadBatchJob(ctx, *res)
		if err != nil {
			return job, fmt.Errorf("read the job of change %s: %w", changeID, err)
		}
		if progress != nil {
			progress(job)
		}
		ref := "batchjob:" + job.ID + ":" + job.Status
		known, err := s.knownRefs(saveCtx, incidentID)
		if err != nil {
			return job, err
		}
		if !known[ref] {
			text := fmt.Sprintf("S3 Batch Operations %s (change %s, read as %s).", job.Summary(), changeID, conn.id.ARN)
			if job.Terminal && job.Failed > 0 {
				text += " Failed tasks are listed one by one in the completion report."
			}
			if err := s.record(saveCtx, incidentID, []Entry{s.entry(KindAction, text, time.Time{}, changeID, ref)}); err != nil {
				return job, err
			}
		}
		if job.Terminal {
			return job, nil
		}
		t := time.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return job, fmt.Errorf("stopped following job %s of change %s (it keeps running in AWS): %w", job.ID, changeID, ctx.Err())
		case <-t.C:
		}
	}
}

// TerminalJobStatus reports whether S3 Batch Operations is done with a
// job in this status.
func TerminalJobStatus(status string) bool {
	switch strings.ToLower(status) {
	case "complete", "failed", "cancelled":
		return true
	}
	return false
}
