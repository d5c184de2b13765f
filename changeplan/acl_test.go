package changeplan

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

func TestBulkTargets(t *testing.T) {
	for _, tc := range []struct {
		name        string
		params      map[string]string
		keys        []string
		prefix      string
		concurrency int
		err         error
	}{
		{name: "keys sorted once each", params: map[string]string{"keys": "b,a\r\n b ,,c\n"}, keys: []string{"a", "b", "c"}},
		{name: "prefix kept as given", params: map[string]string{"prefix": " logs/", "concurrency": " 4 "}, prefix: " logs/", concurrency: 4},
		{name: "both", params: map[string]string{"keys": "a", "prefix": "p"}, err: app.ErrInvalid},
		{name: "concurrency not a number", params: map[string]string{"concurrency": "many"}, err: app.ErrInvalid},
		{name: "concurrency too high", params: map[string]string{"concurrency": strconv.Itoa(app.MaxBulkConcurrency + 1)}, err: app.ErrInvalid},
		{name: "concurrency zero", params: map[string]string{"concurrency": "0"}, err: app.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keys, prefix, n, err := BulkTargets(tc.params)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.keys, keys)
			assert.Equal(t, tc.prefix, prefix)
			assert.Equal(t, tc.concurrency, n)
		})
	}
}

func TestSortGrantsMakesEqualACLsEqualJSON(t *testing.T) {
	read := ACLGrant{Grantee: ACLGrantee{Type: "Group", URI: "http://acs.amazonaws.com/groups/global/AllUsers"}, Permission: "READ"}
	full := ACLGrant{Grantee: ACLGrantee{Type: "CanonicalUser", ID: "owner"}, Permission: "FULL_CONTROL"}
	a := ACL{Owner: ACLOwner{ID: "owner"}, Grants: []ACLGrant{read, full}}
	b := ACL{Owner: ACLOwner{ID: "owner"}, Grants: []ACLGrant{full, read}}
	SortGrants(a.Grants)
	SortGrants(b.Grants)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	assert.Equal(t, string(ja), string(jb))
	assert.Equal(t, `{"Grants":[{"Grantee":{"Type":"CanonicalUser","ID":"owner"},"Permission":"FULL_CONTROL"},{"Grantee":{"Type":"Group","URI":"http://acs.amazonaws.com/groups/global/AllUsers"},"Permission":"READ"}],"Owner":{"ID":"owner"}}`, string(ja))
}

func TestResetACL(t *testing.T) {
	spec := app.BulkSpec{Args: map[string]string{"bucketOwner": "bucket-owner"}}
	for _, tc := range []struct{ name, current, want string }{
		{"public grants go, the owner stays", `{"Owner":{"ID":"writer"},"Grants":[{"Grantee":{"Type":"Group","URI":"http://acs.amazonaws.com/groups/global/AllUsers"},"Permission":"READ"}]}`,
			`{"Grants":[{"Grantee":{"Type":"CanonicalUser","ID":"bucket-owner"},"Permission":"FULL_CONTROL"}],"Owner":{"ID":"writer"}}`},
		{"no owner read: the bucket owner's", `{"Grants":[]}`,
			`{"Grants":[{"Grantee":{"Type":"CanonicalUser","ID":"bucket-owner"},"Permission":"FULL_CONTROL"}],"Owner":{"ID":"bucket-owner"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ResetACL(spec, json.RawMessage(tc.current))
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got))
		})
	}
	_, err := ResetACL(app.BulkSpec{}, json.RawMessage(`{}`))
	require.ErrorIs(t, err, app.ErrInvalid, "the plan must name the bucket owner")
	_, err = ResetACL(spec, json.RawMessage(`[`))
	require.ErrorIs(t, err, app.ErrInvalid)
}

func TestABucketACLIsMadePrivateByTheSameRuleAsAnObjects(t *testing.T) {
	bucket := `{"Owner":{"ID":"owner"},"Grants":[{"Grantee":{"Type":"CanonicalUser","ID":"owner"},"Permission":"FULL_CONTROL"},{"Grantee":{"Type":"CanonicalUser","ID":"partner"},"Permission":"WRITE"}]}`
	got, err := PrivateACL("owner", json.RawMessage(bucket))
	require.NoError(t, err)
	assert.Equal(t, `{"Grants":[{"Grantee":{"Type":"CanonicalUser","ID":"owner"},"Permission":"FULL_CONTROL"}],"Owner":{"ID":"owner"}}`, string(got))
	viaObject, err := ResetACL(app.BulkSpec{Args: map[string]string{"bucketOwner": "owner"}}, json.RawMessage(bucket))
	require.NoError(t, err)
	assert.Equal(t, string(got), string(viaObject))
	r := BucketACLResource("b")
	call, cli := SetCall("", r, "eu-west-1", got)
	assert.Equal(t, "PutBucketAcl", call)
	assert.Equal(t, `aws s3api put-bucket-acl --bucket b --access-control-policy '`+string(got)+`' --region eu-west-1`, cli)
}
