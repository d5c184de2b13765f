package exposure

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The delegation pattern of the S3 User Guide ("Configuring IAM policies
// for using access points"): the bucket lets every access point of the
// owner's account decide.
var delegateToOwnAccessPoints = doc(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"*","Resource":["arn:aws:s3:::amzn-s3-demo-bucket","arn:aws:s3:::amzn-s3-demo-bucket/*"],"Condition":{"StringEquals":{"s3:DataAccessPointAccount":"111122223333"}}}`)

// publicAccessPointPolicy grants every caller reads through the access
// point, as an access point policy names its own ARN.
var publicAccessPointPolicy = doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:us-west-2:111122223333:accesspoint/reports/object/*"}`)

var noBPA = &BlockPublicAccess{}

func TestAccessPointVerdicts(t *testing.T) {
	all4 := &BlockPublicAccess{BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}
	cases := []struct {
		name      string
		in        Input
		public    bool
		apPublic  bool
		delegated bool
		why       string
	}{
		{name: "a public access point policy with its Block Public Access off makes a delegating bucket public",
			in:     Input{Policy: delegateToOwnAccessPoints, AccessPoints: []AccessPoint{{Name: "reports", Policy: publicAccessPointPolicy, BPA: noBPA, NetworkOrigin: OriginInternet}}},
			public: true, apPublic: true, delegated: true, why: `access point "reports" has a public policy that the bucket policy delegates to`},
		{name: "an access point whose Block Public Access is unknown is taken as created with all four on",
			in:        Input{Policy: delegateToOwnAccessPoints, AccessPoints: []AccessPoint{{Name: "reports", Policy: publicAccessPointPolicy, NetworkOrigin: OriginInternet}}},
			delegated: true, why: "RestrictPublicBuckets (access point) limits it"},
		{name: "a VPC access point takes no request from the internet",
			in:        Input{Policy: delegateToOwnAccessPoints, AccessPoints: []AccessPoint{{Name: "reports", Policy: publicAccessPointPolicy, BPA: noBPA, NetworkOrigin: OriginVPC}}},
			delegated: true, why: "network origin is VPC"},
		{name: "a public access point policy is harmless when the bucket policy does not delegate",
			in:  Input{Policy: doc(allow(`{"AWS":"arn:aws:iam::111122223333:role/App"}`, `"s3:GetObject"`, "")), AccessPoints: []AccessPoint{{Name: "reports", Policy: publicAccessPointPolicy, BPA: noBPA, NetworkOrigin: OriginInternet}}},
			why: "does not delegate access to this access point"},
		{name: "a bucket without a policy delegates nothing",
			in:  Input{AccessPoints: []AccessPoint{{Name: "reports", Policy: publicAccessPointPolicy, BPA: noBPA}}},
			why: "the bucket has no policy"},
		{name: "the account's RestrictPublicBuckets covers access points too",
			in:        Input{Policy: delegateToOwnAccessPoints, AccountBPA: &BlockPublicAccess{RestrictPublicBuckets: true}, AccessPoints: []AccessPoint{{Name: "reports", Policy: publicAccessPointPolicy, BPA: noBPA, NetworkOrigin: OriginInternet}}},
			delegated: true, why: "RestrictPublicBuckets (account)"},
		{name: "the bucket's RestrictPublicBuckets covers requests through its access points",
			in:        Input{Policy: delegateToOwnAccessPoints, BucketBPA: all4, AccessPoints: []AccessPoint{{Name: "reports", Policy: publicAccessPointPolicy, BPA: noBPA, NetworkOrigin: OriginInternet}}},
			delegated: true, why: "RestrictPublicBuckets (bucket"},
		{name: "delegation by access point ARN with a wildcard name covers the access point",
			in: Input{Policy: doc(allow(`"*"`, `"s3:GetObject"`, `{"StringLike":{"s3:DataAccessPointArn":"arn:aws:s3:us-west-2:111122223333:accesspoint/rep*"}}`)),
				AccessPoints: []AccessPoint{{Name: "reports", Policy: publicAccessPointPolicy, BPA: noBPA, NetworkOrigin: OriginInternet}}},
			public: true, apPublic: true, delegated: true, why: "delegates access to access point"},
		{name: "delegation by access point ARN does not cover another access point",
			in: Input{Policy: doc(allow(`"*"`, `"s3:GetObject"`, `{"StringEquals":{"s3:DataAccessPointArn":"arn:aws:s3:us-west-2:111122223333:accesspoint/other"}}`)),
				AccessPoints: []AccessPoint{{Name: "reports", Policy: publicAccessPointPolicy, BPA: noBPA, NetworkOrigin: OriginInternet}}},
			why: "does not delegate access to this access point"},
		{name: "delegation to another account's access points does not cover the owner's",
			in: Input{OwnerAccount: ownAcct, Policy: doc(allow(`"*"`, `"*"`, `{"StringEquals":{"s3:DataAccessPointAccount":"444455556666"}}`)),
				AccessPoints: []AccessPoint{{Name: "reports", Policy: publicAccessPointPolicy, BPA: noBPA, NetworkOrigin: OriginInternet}}},
			why: "does not delegate"},
		{name: "a private access point policy keeps a delegating bucket private",
			in: Input{Policy: delegateToOwnAccessPoints, BucketBPA: all4, AccessPoints: []AccessPoint{{Name: "reports", BPA: noBPA, NetworkOrigin: OriginInternet,
				Policy: doc(allow(`{"AWS":"arn:aws:iam::111122223333:role/Analyst"}`, `"s3:GetObject"`, ""))}}},
			delegated: true, why: "its policy is not public"},
		{name: "S3's own verdict on the access point policy wins when it says public",
			in: Input{Policy: delegateToOwnAccessPoints, AccessPoints: []AccessPoint{{Name: "reports", BPA: noBPA, NetworkOrigin: OriginInternet, S3PolicyPublic: ptr(true),
				Policy: doc(allow(`{"AWS":"arn:aws:iam::111122223333:role/Analyst"}`, `"s3:GetObject"`, ""))}}},
			public: true, apPublic: true, delegated: true, why: "S3 says its policy is public"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.in.OwnerAccount == "" {
				tc.in.OwnerAccount = ownAcct
			}
			r, err := Evaluate(tc.in)
			require.NoError(t, err)
			require.Len(t, r.AccessPoints, 1)
			ap := r.AccessPoints[0]
			assert.Equal(t, tc.public, r.Public, "bucket public")
			assert.Equal(t, tc.public, r.Access == AccessPublic, "console label")
			assert.Equal(t, tc.apPublic, ap.Public, "access point public")
			assert.Equal(t, tc.delegated, ap.Delegated, "delegated")
			assert.Contains(t, strings.Join(r.Reasons, "\n"), tc.why)
		})
	}
}

func TestABrokenAccessPointPolicyIsNamedInTheError(t *testing.T) {
	_, err := Evaluate(Input{Policy: delegateToOwnAccessPoints, AccessPoints: []AccessPoint{{Name: "reports", Policy: `{"Statement":[{"Effect":"Allow",}]}`}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "access point reports policy")
}
