package changeplan

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/exposure"
)

func TestRemoveStatements(t *testing.T) {
	const policy = `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"Public","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},` +
		`{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},` +
		`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}]}`
	verdict, err := exposure.EvaluatePolicy(policy, "111122223333")
	require.NoError(t, err)
	for _, tc := range []struct {
		name, which, after string
		labels, losers     []string
		err                error
	}{
		{name: "public and shared by default", after: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}]}`,
			labels: []string{"statement 0 (Public)", "statement 1 (Partner)"}, losers: []string{"everyone it lets in", "444455556666"}},
		{name: "by position", which: "2", after: `{"Version":"2012-10-17","Statement":[{"Sid":"Public","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`,
			labels: []string{"statement 2"}},
		{name: "every one leaves no policy", which: "Public, Partner,2", after: Null,
			labels: []string{"statement 0 (Public)", "statement 1 (Partner)", "statement 2"}},
		{name: "unknown Sid", which: "Nope", err: app.ErrInvalid},
		{name: "position out of range", which: "3", err: app.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			after, dropped, err := RemoveStatements(json.RawMessage(policy), verdict, tc.which, "b")
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.after, string(after))
			var labels, losers []string
			for _, f := range dropped {
				labels = append(labels, StatementLabel(f))
				losers = append(losers, LosesAccess(f))
			}
			assert.Equal(t, tc.labels, labels)
			if tc.losers != nil {
				assert.Equal(t, tc.losers, losers)
			}
		})
	}

	private := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}]}`
	v, err := exposure.EvaluatePolicy(private, "111122223333")
	require.NoError(t, err)
	_, _, err = RemoveStatements(json.RawMessage(private), v, "", "b")
	require.ErrorIs(t, err, app.ErrNoChange, "nothing public or shared to remove")
	_, _, err = RemoveStatements(json.RawMessage(policy), v, "", "b")
	require.ErrorIs(t, err, app.ErrInvalid, "a verdict on another policy is refused")
}

func TestPutStatement(t *testing.T) {
	lock := json.RawMessage(`{"Sid":"L","Effect":"Deny","Principal":"*","Action":"s3:PutBucketPolicy","Resource":"arn:aws:s3:::b"}`)
	lock2 := json.RawMessage(`{"Sid":"L","Effect":"Deny","Principal":"*","Action":"s3:PutBucketAcl","Resource":"arn:aws:s3:::b"}`)
	for _, tc := range []struct{ name, policy, want string }{
		{"no policy yet", Null, `{"Version":"2012-10-17","Statement":[` + string(lock) + `]}`},
		{"added last", `{"Id":"x","Statement":{"Sid":"A","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}}`,
			`{"Id":"x","Statement":[{"Sid":"A","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"},` + string(lock) + `]}`},
		{"replaced in place", `{"Version":"2012-10-17","Statement":[` + string(lock2) + `,{"Sid":"B","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}`,
			`{"Version":"2012-10-17","Statement":[` + string(lock) + `,{"Sid":"B","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := PutStatement(json.RawMessage(tc.policy), "L", lock)
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got))
		})
	}
	_, err := PutStatement(json.RawMessage(`[1]`), "L", lock)
	require.ErrorIs(t, err, app.ErrInvalid)
}
