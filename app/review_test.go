package app_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

func lastEntry(t *testing.T, f *fixture) app.Entry {
	t.Helper()
	entries, err := f.svc.Timeline(f.ctx, f.c.Incident.ID)
	require.NoError(t, err)
	require.NotEmpty(t, entries)
	return entries[len(entries)-1]
}

func TestEditRecordsEachChange(t *testing.T) {
	f := newFixture(t)
	id := f.c.Incident.ID
	c, err := f.svc.Edit(f.ctx, id, app.Details{Title: "Public bucket reported by a researcher", Severity: "p1",
		Buckets: []string{"examplecorp-exports", " examplecorp-logs ", "examplecorp-exports"}, TimeZone: "Europe/Paris"})
	require.NoError(t, err)
	assert.Equal(t, app.SeverityP1, c.Incident.Severity)
	assert.Equal(t, []string{"examplecorp-exports", "examplecorp-logs"}, c.Incident.Buckets)
	e := lastEntry(t, f)
	assert.Equal(t, app.KindEdit, e.Kind)
	assert.Contains(t, e.Text, `severity: "P2" → "P1"`)
	assert.Contains(t, e.Text, "buckets: examplecorp-exports → examplecorp-exports, examplecorp-logs")
	assert.Contains(t, e.Text, `time zone: "" → "Europe/Paris"`)
	assert.NotContains(t, e.Text, "title")

	before := len(mustTimeline(t, f))
	_, err = f.svc.Edit(f.ctx, id, app.Details{Title: c.Incident.Title, Severity: "P1", Buckets: c.Incident.Buckets, TimeZone: "Europe/Paris"})
	require.NoError(t, err)
	assert.Len(t, mustTimeline(t, f), before, "an edit that changes nothing writes nothing")

	_, err = f.svc.Edit(f.ctx, id, app.Details{Title: "x", TimeZone: "Mars/Olympus"})
	assert.ErrorIs(t, err, app.ErrInvalid)
}

func mustTimeline(t *testing.T, f *fixture) []app.Entry {
	t.Helper()
	entries, err := f.svc.Timeline(f.ctx, f.c.Incident.ID)
	require.NoError(t, err)
	return entries
}

func TestReviewKeyTimesAndItems(t *testing.T) {
	f := newFixture(t)
	id := f.c.Incident.ID
	c, err := f.svc.SaveReviewText(f.ctx, id, app.ReviewText{Lessons: "Keep BPA on at account level", AttackVectors: []string{"public policy", ""}})
	require.NoError(t, err)
	assert.Equal(t, []string{"public policy"}, c.Incident.Review.AttackVectors)
	e := lastEntry(t, f)
	assert.Equal(t, "Post-incident review updated: lessons learned, attack vectors", e.Text)

	c, err = f.svc.SetStatus(f.ctx, id, app.StatusContained)
	require.NoError(t, err)
	assert.False(t, c.Incident.Times.Contained.IsZero(), "reaching contained stamps its key time")
	stamped := c.Incident.Times.Contained
	_, err = f.svc.SetStatus(f.ctx, id, app.StatusOpen)
	require.NoError(t, err)
	c, err = f.svc.SetStatus(f.ctx, id, app.StatusContained)
	require.NoError(t, err)
	assert.Equal(t, stamped, c.Incident.Times.Contained, "the first time counts")

	at := time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC)
	c, err = f.svc.SetKeyTime(f.ctx, id, "Detected", at)
	require.NoError(t, err)
	assert.Equal(t, at, c.Incident.Times.Detected)
	assert.Equal(t, at, lastEntry(t, f).EventTime, "a corrected time is recorded at its own time")
	_, err = f.svc.SetKeyTime(f.ctx, id, "lunch", at)
	assert.ErrorIs(t, err, app.ErrInvalid)

	c, err = f.svc.SaveActionItem(f.ctx, id, app.ActionItem{Description: "Turn on account BPA", Owner: "Zoë", Due: at})
	require.NoError(t, err)
	require.Len(t, c.Incident.Review.ActionItems, 1)
	item := c.Incident.Review.ActionItems[0]
	assert.Equal(t, "A1", item.ID)
	assert.Equal(t, "open", item.Status)
	item.Status = "done"
	c, err = f.svc.SaveActionItem(f.ctx, id, item)
	require.NoError(t, err)
	assert.Equal(t, "done", c.Incident.Review.ActionItems[0].Status)
	_, err = f.svc.SaveActionItem(f.ctx, id, app.ActionItem{ID: "A9", Description: "x"})
	assert.ErrorIs(t, err, app.ErrNotFound)

	_, err = f.svc.AddDeadline(f.ctx, id, app.Deadline{Name: "Regulator", Start: at, Hours: 72})
	require.NoError(t, err)
	_, err = f.svc.AddCommunication(f.ctx, id, app.Communication{Audience: "legal", Summary: "Briefed counsel", At: at.Add(time.Hour)})
	require.NoError(t, err)
	c, err = f.svc.AddStakeholder(f.ctx, id, app.Stakeholder{Role: "legal", Name: "Łucja"})
	require.NoError(t, err)
	assert.Len(t, c.Incident.Review.Deadlines, 1)
	assert.Len(t, c.Incident.Review.Communications, 1)
	assert.Len(t, c.Incident.Review.Stakeholders, 1)
	n, err := f.svc.Verify(f.ctx, id)
	require.NoError(t, err)
	assert.Greater(t, n, 8)
}
