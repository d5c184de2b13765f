package tabletop

import (
	"net/http"
	"sync"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// backend answers the AWS APIs of a simulated account (aws.Clients) over
// one world, in process: the aws package's checks, plans and changes run
// over it exactly as over the SDK's clients, so an exercise exercises the
// same code as an incident. Each service is a small type over the one
// backend (s3API, iamAPI, ...), all guarded by its mutex, since bulk
// changes call concurrently.
type backend struct {
	sc     *Scenario
	region string
	now    func() time.Time

	mu sync.Mutex // guards w
	w  *world
}

// newBackend builds the scenario's pristine world. region, when set, is
// the session's region instead of the scenario's; now is the clock.
func newBackend(sc *Scenario, region string, now func() time.Time) *backend {
	if now == nil {
		now = func() time.Time { return time.Now().UTC() }
	}
	if region == "" {
		region = sc.Region
	}
	return &backend{sc: sc, region: region, now: now, w: newWorld(sc)}
}

// apiError is a refusal as the SDK hands AWS's back: an OperationError
// around an HTTP response error around the API error, so errors.As finds
// the code, the operation and the status exactly as for a real call.
func apiError(service, operation string, status int, code, message string) error {
	return &smithy.OperationError{ServiceID: service, OperationName: operation,
		Err: &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status, Header: http.Header{}}},
			Err:      &smithy.GenericAPIError{Code: code, Message: message, Fault: smithy.FaultClient},
		}}}
}

// clock is the backend's time, read afresh at each call, so that a replay
// can set it to the time each journaled call was made.
func (b *backend) clock() time.Time { return b.now() }
