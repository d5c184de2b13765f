package aws

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

// organizationsServer answers DescribeOrganization in the AWS JSON 1.1
// protocol, with the organisation of the API reference's example or the
// error of an account that belongs to none.
func organizationsServer(t *testing.T, orgID string, calls *atomic.Int32) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Header.Get("X-Amz-Target") != "AWSOrganizationsV20161128.DescribeOrganization" {
			http.Error(w, "unexpected "+r.Header.Get("X-Amz-Target"), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if orgID == "" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"__type":"AWSOrganizationsNotInUseException","Message":"Your account is not a member of an organization."}`)
			return
		}
		fmt.Fprintf(w, `{"Organization":{"Id":%q,"Arn":"arn:aws:organizations::111111111111:organization/%s","FeatureSet":"ALL","MasterAccountId":"111111111111"}}`, orgID, orgID)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestAGrantToTheAccountsOwnOrganisationIsNotExternal(t *testing.T) {
	for _, tc := range []struct {
		name   string
		org    string
		shared bool
	}{
		{"the account belongs to the organisation the policy names", "o-a1b2c3d4e5", false},
		{"the account belongs to another organisation", "o-zzzzzzzzzz", true},
		{"the account belongs to no organisation", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, k, _ := cloudAccount(t)
			var calls atomic.Int32
			t.Setenv("AWS_ENDPOINT_URL_ORGANIZATIONS", organizationsServer(t, tc.org, &calls))
			cl, err := Connector(Options{HTTPClient: loopbackClient(t)})(context.Background(), app.Profile{Region: "eu-west-1"})
			require.NoError(t, err)
			c := cl.(*Cloud)
			c.Now = func() time.Time { return fixedNow }
			k.bucket(t, "org", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}]}`, allFour())
			rep, err := c.CheckBucket(context.Background(), k.name("org"))
			require.NoError(t, err)
			assert.False(t, rep.Public)
			assert.Equal(t, tc.shared, rep.Shared, strings.Join(rep.Reasons, "\n"))
			_, err = c.CheckBucket(context.Background(), k.name("org"))
			require.NoError(t, err)
			assert.Equal(t, int32(1), calls.Load(), "the organisation is asked once per connection")
		})
	}
}
