package tabletop

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"s3responder/aws"
)

// iamAPI is the simulated account's IAM: users and their access keys,
// roles and their trust policies, inline policies, and the lists the
// review of principals reads. Answers are shaped as IAM's (policy
// documents URL-encoded, NoSuchEntity with a 404), and every change is
// recorded in the simulated CloudTrail.
type iamAPI struct{ *backend }

var _ aws.IAMAPI = iamAPI{}

// IAM's quotas that a change can run into.
const (
	userInlineQuota = 2048  // characters of all inline policies of a user
	roleInlineQuota = 10240 // characters of all inline policies of a role
	trustQuota      = 2048  // characters of a trust policy (the default quota)
)

func iamErr(op string, status int, code, msg string) error {
	return apiError("IAM", op, status, code, msg)
}

func noUser(op, name string) error {
	return iamErr(op, 404, "NoSuchEntity", fmt.Sprintf("The user with name %s cannot be found.", name))
}

func noRole(op, name string) error {
	return iamErr(op, 404, "NoSuchEntity", fmt.Sprintf("The role with name %s cannot be found.", name))
}

// lookupUser and lookupRole find an entity or return IAM's refusal; the
// caller holds b.mu.
func (b *backend) lookupUser(op string, name *string) (*user, error) {
	if name == nil {
		// Without a name IAM answers for the caller, a role session here.
		return nil, iamErr(op, 400, "ValidationError", "Must specify userName when calling with non-User credentials")
	}
	u, err := b.w.user(sdkaws.ToString(name))
	if err != nil {
		return nil, noUser(op, sdkaws.ToString(name))
	}
	return u, nil
}

func (b *backend) lookupRole(op string, name *string) (*role, error) {
	r, err := b.w.role(sdkaws.ToString(name))
	if err != nil {
		return nil, noRole(op, sdkaws.ToString(name))
	}
	return r, nil
}

// encodePolicy URL-encodes a policy document as IAM returns it: RFC 3986
// percent-encoding, spaces as %20.
func encodePolicy(doc string) *string {
	return sdkaws.String(strings.ReplaceAll(url.QueryEscape(doc), "+", "%20"))
}

// uniqueID is a stable IAM unique id (AIDA for users, AROA for roles,
// AIPA for instance profiles, AGPA for groups).
func uniqueID(prefix, account, name string) *string {
	return sdkaws.String(prefix + strings.ToUpper(derivedHex(17, prefix, account, name)))
}

func (b *backend) iamUser(u *user) *iamtypes.User {
	return &iamtypes.User{UserName: sdkaws.String(u.spec.Name), Arn: sdkaws.String(u.arn), Path: sdkaws.String(u.spec.Path),
		UserId: uniqueID("AIDA", b.sc.Account, u.spec.Name), CreateDate: sdkaws.Time(u.spec.Created)}
}

// roleLastUsed is the latest AssumeRole of the role in the scenario's
// story before now, as IAM tracks it.
func (b *backend) roleLastUsed(name string) *iamtypes.RoleLastUsed {
	var last Event
	for _, e := range b.sc.CloudTrail {
		if e.Name == "AssumeRole" && e.Role == name && e.ErrorCode == "" && !e.Time.After(b.now()) && e.Time.After(last.Time) {
			last = e
		}
	}
	if last.Time.IsZero() {
		return &iamtypes.RoleLastUsed{}
	}
	return &iamtypes.RoleLastUsed{LastUsedDate: sdkaws.Time(last.Time.UTC()), Region: sdkaws.String(last.Region)}
}

func (b *backend) iamRole(r *role) *iamtypes.Role {
	return &iamtypes.Role{RoleName: sdkaws.String(r.spec.Name), Arn: sdkaws.String(r.arn), Path: sdkaws.String(r.spec.Path),
		RoleId: uniqueID("AROA", b.sc.Account, r.spec.Name), CreateDate: sdkaws.Time(r.spec.Created),
		AssumeRolePolicyDocument: encodePolicy(r.trust), MaxSessionDuration: sdkaws.Int32(int32(r.spec.MaxSessionDuration)),
		RoleLastUsed: b.roleLastUsed(r.spec.Name)}
}

// page cuts a sorted list at an IAM marker and MaxItems (default 100, at
// most 1000).
func page[T any](op string, all []T, marker *string, maxItems *int32) ([]T, *string, bool, error) {
	n := 100
	if maxItems != nil {
		n = int(*maxItems)
		if n < 1 || n > 1000 {
			return nil, nil, false, iamErr(op, 400, "ValidationError", "1 validation error detected: Value at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000")
		}
	}
	got, next, ok := cutPage(all, marker, "m", n)
	if !ok {
		return nil, nil, false, iamErr(op, 400, "ValidationError", "Invalid Marker.")
	}
	return got, next, next != nil, nil
}

func (a iamAPI) GetUser(ctx context.Context, in *iam.GetUserInput, _ ...func(*iam.Options)) (*iam.GetUserOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	u, err := a.lookupUser("GetUser", in.UserName)
	if err != nil {
		return nil, err
	}
	return &iam.GetUserOutput{User: a.iamUser(u)}, nil
}

// liveKeys are a user's access keys not deleted.
func liveKeys(u *user) []*accessKey {
	var out []*accessKey
	for _, k := range u.keys {
		if !k.deleted {
			out = append(out, k)
		}
	}
	return out
}

func (a iamAPI) ListAccessKeys(ctx context.Context, in *iam.ListAccessKeysInput, _ ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	u, err := a.lookupUser("ListAccessKeys", in.UserName)
	if err != nil {
		return nil, err
	}
	var all []iamtypes.AccessKeyMetadata
	for _, k := range liveKeys(u) {
		all = append(all, iamtypes.AccessKeyMetadata{UserName: sdkaws.String(u.spec.Name), AccessKeyId: sdkaws.String(k.spec.ID),
			Status: iamtypes.StatusType(k.status), CreateDate: sdkaws.Time(k.spec.Created)})
	}
	got, marker, more, err := page("ListAccessKeys", all, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iam.ListAccessKeysOutput{AccessKeyMetadata: got, Marker: marker, IsTruncated: more}, nil
}

// GetAccessKeyLastUsed answers for a key of the account; for a key it
// does not hold (another account's, or deleted) IAM refuses with
// AccessDenied, as it does not tell whose a key is.
func (a iamAPI) GetAccessKeyLastUsed(ctx context.Context, in *iam.GetAccessKeyLastUsedInput, _ ...func(*iam.Options)) (*iam.GetAccessKeyLastUsedOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	id := sdkaws.ToString(in.AccessKeyId)
	u, k := a.w.keyOwner(id)
	if u == nil {
		return nil, iamErr("GetAccessKeyLastUsed", 403, "AccessDenied", fmt.Sprintf("User: %s is not authorized to perform: iam:GetAccessKeyLastUsed on resource: access key %s", a.sc.Caller.ARN, id))
	}
	out := &iam.GetAccessKeyLastUsedOutput{UserName: sdkaws.String(u.spec.Name),
		AccessKeyLastUsed: &iamtypes.AccessKeyLastUsed{ServiceName: sdkaws.String("N/A"), Region: sdkaws.String("N/A")}}
	if lu := k.spec.LastUsed; lu != nil && !lu.Time.IsZero() {
		out.AccessKeyLastUsed = &iamtypes.AccessKeyLastUsed{LastUsedDate: sdkaws.Time(lu.Time.UTC()), ServiceName: sdkaws.String(lu.Service), Region: sdkaws.String(lu.Region)}
	}
	return out, nil
}

// userKey finds one live key of a user, or IAM's refusal.
func (b *backend) userKey(op string, userName, keyID *string) (*user, *accessKey, error) {
	u, err := b.lookupUser(op, userName)
	if err != nil {
		return nil, nil, err
	}
	for _, k := range liveKeys(u) {
		if k.spec.ID == sdkaws.ToString(keyID) {
			return u, k, nil
		}
	}
	return nil, nil, iamErr(op, 404, "NoSuchEntity", fmt.Sprintf("The Access Key with id %s cannot be found.", sdkaws.ToString(keyID)))
}

func (a iamAPI) UpdateAccessKey(ctx context.Context, in *iam.UpdateAccessKeyInput, _ ...func(*iam.Options)) (*iam.UpdateAccessKeyOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if in.Status != iamtypes.StatusTypeActive && in.Status != iamtypes.StatusTypeInactive {
		return nil, iamErr("UpdateAccessKey", 400, "ValidationError", fmt.Sprintf("1 validation error detected: Value '%s' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]", in.Status))
	}
	u, k, err := a.userKey("UpdateAccessKey", in.UserName, in.AccessKeyId)
	if err != nil {
		return nil, err
	}
	k.status = string(in.Status)
	a.record("iam.amazonaws.com", "UpdateAccessKey", map[string]any{"userName": u.spec.Name, "accessKeyId": k.spec.ID, "status": k.status})
	return &iam.UpdateAccessKeyOutput{}, nil
}

func (a iamAPI) DeleteAccessKey(ctx context.Context, in *iam.DeleteAccessKeyInput, _ ...func(*iam.Options)) (*iam.DeleteAccessKeyOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	u, k, err := a.userKey("DeleteAccessKey", in.UserName, in.AccessKeyId)
	if err != nil {
		return nil, err
	}
	k.deleted = true
	a.record("iam.amazonaws.com", "DeleteAccessKey", map[string]any{"userName": u.spec.Name, "accessKeyId": k.spec.ID})
	return &iam.DeleteAccessKeyOutput{}, nil
}

func (a iamAPI) GetRole(ctx context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	r, err := a.lookupRole("GetRole", in.RoleName)
	if err != nil {
		return nil, err
	}
	return &iam.GetRoleOutput{Role: a.iamRole(r)}, nil
}

// protected refuses a change to a service-linked role, which only its
// service may change.
func protected(op string, r *role) error {
	if strings.HasPrefix(r.spec.Path, "/aws-service-role/") {
		return iamErr(op, 400, "UnmodifiableEntity", fmt.Sprintf("Cannot perform the operation on the protected role '%s' - this role is only modifiable by AWS", r.spec.Name))
	}
	return nil
}

// checkPolicy refuses what IAM's parser refuses of a policy document.
func checkPolicy(op string, doc *string) (string, error) {
	d := sdkaws.ToString(doc)
	if strings.TrimSpace(d) == "" {
		return "", iamErr(op, 400, "ValidationError", "1 validation error detected: Value at 'policyDocument' failed to satisfy constraint: Member must not be null")
	}
	if err := isPolicyDoc(d); err != nil {
		msg := "Syntax errors in policy."
		if strings.Contains(err.Error(), "Statement") {
			msg = "Missing required field Statement"
		}
		return "", iamErr(op, 400, "MalformedPolicyDocument", msg)
	}
	return string(compact(d)), nil
}

// inlineSize is the size IAM counts against the inline policy quota:
// the characters of the documents, white space left out.
func inlineSize(docs map[string]string, replace, doc string) int {
	n := 0
	for name, d := range docs {
		if name != replace {
			n += len(compact(d))
		}
	}
	return n + len(compact(doc))
}

func noPolicy(op, kind, name string) error {
	return iamErr(op, 404, "NoSuchEntity", fmt.Sprintf("The %s policy with name %s cannot be found.", kind, name))
}

func (a iamAPI) GetRolePolicy(ctx context.Context, in *iam.GetRolePolicyInput, _ ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	r, err := a.lookupRole("GetRolePolicy", in.RoleName)
	if err != nil {
		return nil, err
	}
	doc, ok := r.inline[sdkaws.ToString(in.PolicyName)]
	if !ok {
		return nil, noPolicy("GetRolePolicy", "role", sdkaws.ToString(in.PolicyName))
	}
	return &iam.GetRolePolicyOutput{RoleName: sdkaws.String(r.spec.Name), PolicyName: in.PolicyName, PolicyDocument: encodePolicy(doc)}, nil
}

func (a iamAPI) PutRolePolicy(ctx context.Context, in *iam.PutRolePolicyInput, _ ...func(*iam.Options)) (*iam.PutRolePolicyOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	r, err := a.lookupRole("PutRolePolicy", in.RoleName)
	if err != nil {
		return nil, err
	}
	if err := protected("PutRolePolicy", r); err != nil {
		return nil, err
	}
	name := sdkaws.ToString(in.PolicyName)
	if !nameRe.MatchString(name) {
		return nil, iamErr("PutRolePolicy", 400, "ValidationError", "The specified value for policyName is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-")
	}
	doc, err := checkPolicy("PutRolePolicy", in.PolicyDocument)
	if err != nil {
		return nil, err
	}
	if inlineSize(r.inline, name, doc) > roleInlineQuota {
		return nil, iamErr("PutRolePolicy", 409, "LimitExceeded", fmt.Sprintf("Maximum policy size of %d bytes exceeded for role %s", roleInlineQuota, r.spec.Name))
	}
	r.inline[name] = doc
	a.record("iam.amazonaws.com", "PutRolePolicy", map[string]any{"roleName": r.spec.Name, "policyName": name, "policyDocument": doc})
	return &iam.PutRolePolicyOutput{}, nil
}

func (a iamAPI) DeleteRolePolicy(ctx context.Context, in *iam.DeleteRolePolicyInput, _ ...func(*iam.Options)) (*iam.DeleteRolePolicyOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	r, err := a.lookupRole("DeleteRolePolicy", in.RoleName)
	if err != nil {
		return nil, err
	}
	if err := protected("DeleteRolePolicy", r); err != nil {
		return nil, err
	}
	name := sdkaws.ToString(in.PolicyName)
	if _, ok := r.inline[name]; !ok {
		return nil, noPolicy("DeleteRolePolicy", "role", name)
	}
	delete(r.inline, name)
	a.record("iam.amazonaws.com", "DeleteRolePolicy", map[string]any{"roleName": r.spec.Name, "policyName": name})
	return &iam.DeleteRolePolicyOutput{}, nil
}

func (a iamAPI) GetUserPolicy(ctx context.Context, in *iam.GetUserPolicyInput, _ ...func(*iam.Options)) (*iam.GetUserPolicyOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	u, err := a.lookupUser("GetUserPolicy", in.UserName)
	if err != nil {
		return nil, err
	}
	doc, ok := u.inline[sdkaws.ToString(in.PolicyName)]
	if !ok {
		return nil, noPolicy("GetUserPolicy", "user", sdkaws.ToString(in.PolicyName))
	}
	return &iam.GetUserPolicyOutput{UserName: sdkaws.String(u.spec.Name), PolicyName: in.PolicyName, PolicyDocument: encodePolicy(doc)}, nil
}

func (a iamAPI) PutUserPolicy(ctx context.Context, in *iam.PutUserPolicyInput, _ ...func(*iam.Options)) (*iam.PutUserPolicyOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	u, err := a.lookupUser("PutUserPolicy", in.UserName)
	if err != nil {
		return nil, err
	}
	name := sdkaws.ToString(in.PolicyName)
	if !nameRe.MatchString(name) {
		return nil, iamErr("PutUserPolicy", 400, "ValidationError", "The specified value for policyName is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-")
	}
	doc, err := checkPolicy("PutUserPolicy", in.PolicyDocument)
	if err != nil {
		return nil, err
	}
	if inlineSize(u.inline, name, doc) > userInlineQuota {
		return nil, iamErr("PutUserPolicy", 409, "LimitExceeded", fmt.Sprintf("Maximum policy size of %d bytes exceeded for user %s", userInlineQuota, u.spec.Name))
	}
	u.inline[name] = doc
	a.record("iam.amazonaws.com", "PutUserPolicy", map[string]any{"userName": u.spec.Name, "policyName": name, "policyDocument": doc})
	return &iam.PutUserPolicyOutput{}, nil
}

func (a iamAPI) DeleteUserPolicy(ctx context.Context, in *iam.DeleteUserPolicyInput, _ ...func(*iam.Options)) (*iam.DeleteUserPolicyOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	u, err := a.lookupUser("DeleteUserPolicy", in.UserName)
	if err != nil {
		return nil, err
	}
	name := sdkaws.ToString(in.PolicyName)
	if _, ok := u.inline[name]; !ok {
		return nil, noPolicy("DeleteUserPolicy", "user", name)
	}
	delete(u.inline, name)
	a.record("iam.amazonaws.com", "DeleteUserPolicy", map[string]any{"userName": u.spec.Name, "policyName": name})
	return &iam.DeleteUserPolicyOutput{}, nil
}

func (a iamAPI) UpdateAssumeRolePolicy(ctx context.Context, in *iam.UpdateAssumeRolePolicyInput, _ ...func(*iam.Options)) (*iam.UpdateAssumeRolePolicyOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	r, err := a.lookupRole("UpdateAssumeRolePolicy", in.RoleName)
	if err != nil {
		return nil, err
	}
	if err := protected("UpdateAssumeRolePolicy", r); err != nil {
		return nil, err
	}
	doc, err := checkPolicy("UpdateAssumeRolePolicy", in.PolicyDocument)
	if err != nil {
		return nil, err
	}
	if len(doc) > trustQuota {
		return nil, iamErr("UpdateAssumeRolePolicy", 409, "LimitExceeded", fmt.Sprintf("Cannot exceed quota for ACLSizePerRole: %d", trustQuota))
	}
	r.trust = doc
	a.record("iam.amazonaws.com", "UpdateAssumeRolePolicy", map[string]any{"roleName": r.spec.Name, "policyDocument": doc})
	return &iam.UpdateAssumeRolePolicyOutput{}, nil
}

func (a iamAPI) ListInstanceProfilesForRole(ctx context.Context, in *iam.ListInstanceProfilesForRoleInput, _ ...func(*iam.Options)) (*iam.ListInstanceProfilesForRoleOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	r, err := a.lookupRole("ListInstanceProfilesForRole", in.RoleName)
	if err != nil {
		return nil, err
	}
	names := slices.Sorted(slices.Values(r.spec.InstanceProfiles))
	var all []iamtypes.InstanceProfile
	for _, n := range names {
		all = append(all, iamtypes.InstanceProfile{InstanceProfileName: sdkaws.String(n), Arn: sdkaws.String(profileARN(a.sc.Account, n)),
			InstanceProfileId: uniqueID("AIPA", a.sc.Account, n), Path: sdkaws.String("/"), CreateDate: sdkaws.Time(r.spec.Created),
			Roles: []iamtypes.Role{*a.iamRole(r)}})
	}
	got, marker, more, err := page("ListInstanceProfilesForRole", all, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iam.ListInstanceProfilesForRoleOutput{InstanceProfiles: got, Marker: marker, IsTruncated: more}, nil
}

// attached lists managed policies by ARN, as ListAttached*Policies does.
func attached(arns []string) []iamtypes.AttachedPolicy {
	var out []iamtypes.AttachedPolicy
	for _, arn := range slices.Sorted(slices.Values(arns)) {
		out = append(out, iamtypes.AttachedPolicy{PolicyArn: sdkaws.String(arn), PolicyName: sdkaws.String(arn[strings.LastIndex(arn, "/")+1:])})
	}
	return out
}

func (a iamAPI) ListAttachedUserPolicies(ctx context.Context, in *iam.ListAttachedUserPoliciesInput, _ ...func(*iam.Options)) (*iam.ListAttachedUserPoliciesOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	u, err := a.lookupUser("ListAttachedUserPolicies", in.UserName)
	if err != nil {
		return nil, err
	}
	got, marker, more, err := page("ListAttachedUserPolicies", attached(u.spec.AttachedPolicies), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iam.ListAttachedUserPoliciesOutput{AttachedPolicies: got, Marker: marker, IsTruncated: more}, nil
}

func (a iamAPI) ListAttachedRolePolicies(ctx context.Context, in *iam.ListAttachedRolePoliciesInput, _ ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	r, err := a.lookupRole("ListAttachedRolePolicies", in.RoleName)
	if err != nil {
		return nil, err
	}
	got, marker, more, err := page("ListAttachedRolePolicies", attached(r.spec.AttachedPolicies), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iam.ListAttachedRolePoliciesOutput{AttachedPolicies: got, Marker: marker, IsTruncated: more}, nil
}

func (a iamAPI) ListUserPolicies(ctx context.Context, in *iam.ListUserPoliciesInput, _ ...func(*iam.Options)) (*iam.ListUserPoliciesOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	u, err := a.lookupUser("ListUserPolicies", in.UserName)
	if err != nil {
		return nil, err
	}
	got, marker, more, err := page("ListUserPolicies", sortedKeys(u.inline), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iam.ListUserPoliciesOutput{PolicyNames: got, Marker: marker, IsTruncated: more}, nil
}

func (a iamAPI) ListRolePolicies(ctx context.Context, in *iam.ListRolePoliciesInput, _ ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	r, err := a.lookupRole("ListRolePolicies", in.RoleName)
	if err != nil {
		return nil, err
	}
	got, marker, more, err := page("ListRolePolicies", sortedKeys(r.inline), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iam.ListRolePoliciesOutput{PolicyNames: got, Marker: marker, IsTruncated: more}, nil
}

func (a iamAPI) ListGroupsForUser(ctx context.Context, in *iam.ListGroupsForUserInput, _ ...func(*iam.Options)) (*iam.ListGroupsForUserOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	u, err := a.lookupUser("ListGroupsForUser", in.UserName)
	if err != nil {
		return nil, err
	}
	var all []iamtypes.Group
	for _, g := range slices.Sorted(slices.Values(u.spec.Groups)) {
		all = append(all, iamtypes.Group{GroupName: sdkaws.String(g), Arn: sdkaws.String(fmt.Sprintf("arn:aws:iam::%s:group/%s", a.sc.Account, g)),
			GroupId: uniqueID("AGPA", a.sc.Account, g), Path: sdkaws.String("/"), CreateDate: sdkaws.Time(u.spec.Created.Add(-time.Minute))})
	}
	got, marker, more, err := page("ListGroupsForUser", all, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iam.ListGroupsForUserOutput{Groups: got, Marker: marker, IsTruncated: more}, nil
}
