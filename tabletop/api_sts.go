package tabletop

import (
	"context"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"s3responder/aws"
)

// stsAPI is the simulated account's STS: the responders are the
// scenario's caller.
type stsAPI struct{ *backend }

var _ aws.CallerIdentityAPI = stsAPI{}

func (a stsAPI) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	c := a.sc.Caller
	return &sts.GetCallerIdentityOutput{Account: sdkaws.String(a.sc.Account), Arn: sdkaws.String(c.ARN), UserId: sdkaws.String(c.UserID)}, nil
}
