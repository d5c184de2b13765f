package aws

import (
	"context"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// CallerIdentityAPI is the STS call WhoAmI makes.
type CallerIdentityAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

var _ CallerIdentityAPI = (*sts.Client)(nil)

// Identity is who the app acts as: it goes into every evidence item's
// CollectedBy and into the timeline.
type Identity struct {
	Account string `json:"account"`
	ARN     string `json:"arn"`
	UserID  string `json:"userId"`
}

// WhoAmI asks STS who the credentials belong to. It needs no permission,
// so it is the connection check: a failure here is about credentials or
// the network, and the message says which.
func WhoAmI(ctx context.Context, api CallerIdentityAPI, profile string) (Identity, error) {
	out, err := api.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Identity{}, Explain(err, profile)
	}
	return Identity{
		Account: sdkaws.ToString(out.Account),
		ARN:     sdkaws.ToString(out.Arn),
		UserID:  sdkaws.ToString(out.UserId),
	}, nil
}
