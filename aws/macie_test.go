package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/assets"
	"s3responder/store"
)

// newMacieServer speaks Macie's REST-JSON protocol for GetBucketStatistics
// (POST /datasources/s3/statistics) with a body shaped like the API
// reference's: enabled in eu-west-1, not enabled in us-east-1 (Macie's
// AccessDeniedException), refused in ap-south-1.
func newMacieServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.Path != "/datasources/s3/statistics" || !json.Valid(body) {
			t.Errorf("unexpected Macie request %s %s %s", r.Method, r.URL, body)
			writeRESTJSONError(w, http.StatusBadRequest, "ValidationException", "bad request")
			return
		}
		switch scopeAnyRE(r.Header.Get("Authorization")) {
		case "eu-west-1":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"bucketCount":12,
"bucketCountByEffectivePermission":{"publiclyAccessible":2,"publiclyReadable":2,"publiclyWritable":1,"unknown":1},
"bucketCountByEncryptionType":{"kmsManaged":3,"s3Managed":9,"unencrypted":0,"unknown":0},
"bucketCountByObjectEncryptionRequirement":{"allowsUnencryptedObjectUploads":4,"deniesUnencryptedObjectUploads":8,"unknown":0},
"bucketCountBySharedAccessType":{"external":3,"internal":1,"notShared":7,"unknown":1},
"classifiableObjectCount":51234,"classifiableSizeInBytes":734003200,"lastUpdated":"2026-03-10T06:12:44.221Z",
"objectCount":60321,"sizeInBytes":912680550,"sizeInBytesCompressed":0,
"unclassifiableObjectCount":{"fileType":9087,"storageClass":0,"total":9087},
"unclassifiableObjectSizeInBytes":{"fileType":178677350,"storageClass":0,"total":178677350}}`)
		case "us-east-1":
			writeRESTJSONError(w, http.StatusForbidden, "AccessDeniedException", "Macie is not enabled.")
		default:
			writeRESTJSONError(w, http.StatusForbidden, "AccessDeniedException", "User: arn:aws:iam::123456789012:user/Alice is not authorized to perform: macie2:GetBucketStatistics")
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func macieCloud(t *testing.T) *Cloud {
	t.Helper()
	s := connectTo(t, newSTSServer(t).URL)
	t.Setenv("AWS_ENDPOINT_URL_MACIE2", newMacieServer(t).URL)
	s2, err := Connect(context.Background(), Options{HTTPClient: loopbackClient(t)})
	require.NoError(t, err)
	s.Macie = s2.Macie
	c := NewCloud(s)
	c.Now = func() time.Time { return fixedNow }
	return c
}

func TestMacieSummary(t *testing.T) {
	c := macieCloud(t)
	rep, err := c.MacieSummary(context.Background(), app.MacieQuery{Regions: []string{"eu-west-1", "us-east-1", "ap-south-1"}})
	require.NoError(t, err, "one region answers")
	require.Len(t, rep.Regions, 3)
	eu, us, ap := rep.Regions[0], rep.Regions[1], rep.Regions[2]
	assert.Equal(t, app.MacieStats{Region: "eu-west-1", Enabled: true, LastUpdated: time.Date(2026, 3, 10, 6, 12, 44, 221e6, time.UTC), Buckets: 12,
		PubliclyAccessible: 2, PubliclyReadable: 2, PubliclyWritable: 1, PermissionUnknown: 1, SharedExternal: 3, SharedInternal: 1, NotShared: 7, SharedUnknown: 1}, eu)
	assert.Equal(t, "eu-west-1: 12 buckets; 2 publicly accessible (2 readable, 1 writable by anyone), 3 shared with other accounts, 1 shared inside the organisation, 7 not shared, 1 whose access Macie could not work out (Macie's counts as of 2026-03-10T06:12:44Z)", eu.Summary())
	assert.False(t, us.Enabled)
	assert.Equal(t, "us-east-1: Amazon Macie is not enabled in us-east-1, so it has no summary of the buckets there (turning it on starts a charged service)", us.Summary())
	assert.False(t, ap.Enabled)
	assert.Contains(t, ap.Note, "lacks the permission macie2:GetBucketStatistics", "a refusal is not taken for Macie being off")

	require.Len(t, rep.Items, 3)
	assert.Equal(t, "Amazon Macie bucket statistics in eu-west-1", rep.Items[0].Title)
	assert.Contains(t, string(rep.Items[0].Data), `"PubliclyAccessible": 2`)
	assert.Equal(t, "GetBucketStatistics", rep.Items[0].Source.API)
	assert.Equal(t, "Amazon Macie bucket statistics in us-east-1 (not-configured)", rep.Items[1].Title)
	assert.Contains(t, string(rep.Items[1].Data), "AccessDeniedException")
	assert.Empty(t, rep.Items[1].Problem, "Macie off is an answer, not a failure")
	assert.Equal(t, "Amazon Macie bucket statistics in ap-south-1 (failed)", rep.Items[2].Title)
	assert.NotEmpty(t, rep.Items[2].Problem)

	t.Run("the only region refused is an error", func(t *testing.T) {
		_, err := c.MacieSummary(context.Background(), app.MacieQuery{Regions: []string{"ap-south-1"}})
		var e *Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, KindDenied, e.Kind)
		assert.Equal(t, "macie2:GetBucketStatistics", e.Permission)
	})
	t.Run("the profile's region by default; off is not an error", func(t *testing.T) {
		rep, err := c.MacieSummary(context.Background(), app.MacieQuery{})
		require.NoError(t, err)
		require.Len(t, rep.Regions, 1)
		assert.Equal(t, "us-east-1", rep.Regions[0].Region)
		assert.False(t, rep.Regions[0].Enabled)
	})
}

func TestMacieIntoService(t *testing.T) {
	isolate(t, "[default]\nregion = eu-west-1\n", "[default]\naws_access_key_id = AKIAEXAMPLEKEY000001\naws_secret_access_key = fakesecretfakesecretfakesecret\n")
	t.Setenv("AWS_ENDPOINT_URL", newSTSServer(t).URL)
	t.Setenv("AWS_ENDPOINT_URL_MACIE2", newMacieServer(t).URL)
	db, err := store.Open(filepath.Join(t.TempDir(), "incidents.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	pb, err := app.ParsePlaybook("built-in", assets.Playbook)
	require.NoError(t, err)
	svc := app.NewService(db, pb, "alice")
	svc.SetConnector(Connector(Options{HTTPClient: loopbackClient(t)}))
	ctx := context.Background()
	c, err := svc.Create(ctx, app.NewIncident{Title: "t"})
	require.NoError(t, err)

	rep, saved, err := svc.CollectMacieSummary(ctx, c.Incident.ID, app.Profile{}, app.MacieQuery{Regions: []string{"eu-west-1", "us-east-1"}})
	require.NoError(t, err)
	require.Len(t, rep.Regions, 2)
	require.Len(t, saved.Evidence, 2)
	entries, err := svc.Timeline(ctx, c.Incident.ID)
	require.NoError(t, err)
	last := entries[len(entries)-1]
	assert.Equal(t, app.KindFinding, last.Kind)
	assert.True(t, strings.HasPrefix(last.Text, "Amazon Macie's bucket summary as arn:aws:iam::123456789012:user/Alice: eu-west-1: 12 buckets; 2 publicly accessible"), last.Text)
	assert.True(t, strings.HasSuffix(last.Text, ". us-east-1: Amazon Macie is not enabled in us-east-1, so it has no summary of the buckets there (turning it on starts a charged service)."), last.Text)
	assert.Equal(t, []string{saved.Evidence[0].ID, saved.Evidence[1].ID}, last.Refs)
}
