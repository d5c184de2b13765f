package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinel errors of changes to an account. They are wrapped with what was
// being done, like the others in errors.go.
var (
	// ErrNotConfirmed means a change was asked for without the exact
	// confirmation its plan demands.
	ErrNotConfirmed = errors.New("not confirmed")
	// ErrExercise means an exercise incident tried to change a real
	// account, which it never may.
	ErrExercise = errors.New("exercise incidents never change a real AWS account")
	// ErrConflict means the resource is in neither the state the plan
	// started from nor the one it leads to: someone else changed it.
	ErrConflict = errors.New("the resource changed since the plan was made")
	// ErrNoChange means the resource is already as the action would leave it.
	ErrNoChange = errors.New("nothing to change")
)

// Resource is one thing in an account whose state a change sets: a bucket's
// policy, a bucket's Block Public Access flags, an access key's status, an
// inline policy of a role or user. Kind says which; ID holds the names
// that address it in AWS's own request fields (bucket, userName,
// accessKeyId, roleName, policyName).
type Resource struct {
	Kind string            `json:"kind"`
	ID   map[string]string `json:"id"`
	// Name describes it for people: "bucket policy of acme-reports".
	Name string `json:"name"`
}

// Resource kinds the aws package knows how to read and set.
const (
	ResourceBucketPolicy     = "s3:bucket-policy"
	ResourceBucketBPA        = "s3:bucket-public-access-block"
	ResourceAccessKeyStatus  = "iam:access-key-status"
	ResourceRoleInlinePolicy = "iam:role-inline-policy"
	ResourceUserInlinePolicy = "iam:user-inline-policy"
	// ResourceAccountBPA is the account-level Block Public Access of S3
	// Control; ID: accountId.
	ResourceAccountBPA = "s3control:account-public-access-block"
	// ResourceAccessKey is an access key that may also be absent
	// (deleted): "Active", "Inactive" or null. ID: userName, accessKeyId.
	ResourceAccessKey = "iam:access-key"
	// ResourceRoleTrustPolicy is a role's trust (assume-role) policy,
	// which is never absent. ID: roleName.
	ResourceRoleTrustPolicy = "iam:role-trust-policy"
	// ResourceObjectACL is one object's ACL: its owner and grants. ID:
	// bucket, key.
	ResourceObjectACL = "s3:object-acl"
	// ResourceBucketACL is a bucket's ACL: its owner and grants. ID: bucket.
	ResourceBucketACL = "s3:bucket-acl"
	// ResourceBatchManifest is the CSV manifest of an S3 Batch Operations
	// job, an object the app writes. ID: bucket, prefix (the objects it
	// lists), manifestBucket, manifestKey.
	ResourceBatchManifest = "s3:batch-manifest"
	// ResourceBatchJob is an S3 Batch Operations job, found by its
	// description. ID: accountId, description, token and the job's
	// settings.
	ResourceBatchJob = "s3control:batch-job"
)

const (
	// stateAbsent is the state of a resource that is not set.
	stateAbsent = "null"
	// defaultPlanValidity bounds how old a plan may be when applied: the
	// account moves on during an incident, and a plan shown an hour ago
	// is no longer what the person agreed to.
	defaultPlanValidity = time.Hour
	// confirmNarrow confirms changes that are not broad.
	confirmNarrow = "yes"
)

// ChangeStep is one AWS call of a change: it takes Resource from Before to After.
// Every step is a state transition, so applying, resuming, verifying and
// undoing are all "read the state, compare, set it": a step whose resource
// already holds After is never sent again, and undo is the same step
// backwards. A state is JSON; null means "not set" (no policy, no Block
// Public Access configuration).
type ChangeStep struct {
	N        int             `json:"n"`
	Resource Resource        `json:"resource"`
	Before   json.RawMessage `json:"before"`
	After    json.RawMessage `json:"after"`
	// Call is the AWS operation that sets After ("PutBucketPolicy",
	// "DeleteBucketPolicy"); UndoCall the one that sets Before again.
	Call     string `json:"call"`
	UndoCall string `json:"undoCall,omitempty"`
	// CLI is the equivalent AWS CLI command, ready to copy; UndoCLI the
	// one that restores Before.
	CLI     string `json:"cli"`
	UndoCLI string `json:"undoCli,omitempty"`
	// UndoTo, when set, is the state undo leads to because AWS cannot set
	// Before again: versioning, once enabled, can only be suspended.
	UndoTo json.RawMessage `json:"undoTo,omitempty"`
}

// Plan is a change worked out in full before anything is sent: the state
// now and after, as JSON and as a readable diff, what it will break, the
// AWS CLI commands that do the same, and what the person must type to
// confirm it. Plans are kept in the incident's journal, so a plan made on
// one day is applied, resumed or undone exactly as it was shown.
type Plan struct {
	ID       string `json:"id"`
	Action   string `json:"action"`
	Title    string `json:"title"`
	Incident string `json:"incident"`
	// Target names what the change is about: "bucket acme-reports".
	Target    string            `json:"target"`
	Account   string            `json:"account"`
	Region    string            `json:"region,omitempty"`
	Principal string            `json:"principal"`
	Params    map[string]string `json:"params,omitempty"`
	Steps     []ChangeStep      `json:"steps"`
	// Bulk, instead of Steps, makes the change one of many objects
	// (changebulk.go): the same call for each object of a selection.
	Bulk *BulkSpec `json:"bulk,omitempty"`
	// Before and After are every step's state keyed by resource name.
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
	Diff   string          `json:"diff"`
	// Impact says what stops working, legitimate uses included.
	Impact []string `json:"impact"`
	Notes  []string `json:"notes,omitempty"`
	CLI    []string `json:"cli"`
	// Broad marks changes with wide effect (a whole bucket, every session
	// of a role); their ConfirmWord is the resource's name. Other changes
	// are confirmed with "yes".
	Broad       bool   `json:"broad"`
	ConfirmWord string `json:"confirmWord"`
	Reversible  bool   `json:"reversible"`
	// UndoNote says what undoing leaves behind, when that is not obvious.
	UndoNote string `json:"undoNote,omitempty"`
	// Simulated is true when the plan was made on a simulated account.
	Simulated bool `json:"simulated"`
	// UndoOf names the change this plan undoes.
	UndoOf    string        `json:"undoOf,omitempty"`
	ValidFor  time.Duration `json:"validFor,omitempty"`
	CreatedAt time.Time     `json:"createdAt"`
	ExpiresAt time.Time     `json:"expiresAt"`
}

// ChangeRequest asks for a plan: an action of the playbook's catalogue and
// its parameters, named after AWS's request fields (bucket, userName,
// accessKeyId, roleName).
type ChangeRequest struct {
	Action string
	Params map[string]string
}

// Mutator is the port through which changes reach an account. The aws
// package implements it over the SDK; tests implement it in memory. A
// Cloud returned by the Service's Connector that also implements Mutator
// is used for changes (main composes the two).
type Mutator interface {
	// Simulated reports whether every call goes to a simulated or local
	// account, never to AWS. Exercise incidents require it.
	Simulated() bool
	// PlanChange reads the current state and works out the steps, the
	// impact and the confirmation of an action, without changing
	// anything. by is who the connection acts as (the lock of a bucket's
	// control plane must leave that principal in). ID, Incident, Account,
	// CreatedAt, the diff and the combined states are filled by the app.
	PlanChange(ctx context.Context, req ChangeRequest, by Identity) (Plan, error)
	// ReadState returns the resource's current state, JSON null when it is
	// not set, in the same form the plan's states use.
	ReadState(ctx context.Context, r Resource) (json.RawMessage, error)
	// WriteState sets the resource to state with one AWS call.
	WriteState(ctx context.Context, r Resource, state json.RawMessage) error
}

// ParamSpec describes one parameter of a change action.
type ParamSpec struct {
	Name     string `json:"name"`
	Help     string `json:"help"`
	Required bool   `json:"required,omitempty"`
}

// ChangeAction is an action of the playbook's catalogue that the app can
// carry out, with its parameters.
type ChangeAction struct {
	ID     string      `json:"name"`
	Params []ParamSpec `json:"params"`
}

// ChangeActions lists the mutating actions this build can plan, apply,
// resume and undo. Their titles and descriptions are in the playbook.
func ChangeActions() []ChangeAction {
	bucket := ParamSpec{Name: "bucket", Help: "bucket name", Required: true}
	return []ChangeAction{
		{ID: "s3.block-public-access.bucket", Params: []ParamSpec{bucket}},
		{ID: "s3.remove-policy-statements", Params: []ParamSpec{bucket,
			{Name: "statements", Help: "comma-separated Sids or 0-based statement positions to remove; default: every statement that makes the bucket public or shares it with another account"}}},
		{ID: "s3.lock-control-plane", Params: []ParamSpec{bucket,
			{Name: "responders", Help: "comma-separated principal ARNs that keep control besides the connection's own (wildcards as in StringLike)"}}},
		{ID: "iam.deactivate-access-key", Params: []ParamSpec{
			{Name: "userName", Help: "IAM user; without accessKeyId every active key of the user"},
			{Name: "accessKeyId", Help: "the key (AKIA...); the user is looked up when userName is not given"}}},
		{ID: "iam.revoke-role-sessions", Params: []ParamSpec{{Name: "roleName", Help: "role whose earlier sessions are denied everything", Required: true}}},
		{ID: "iam.revoke-user-sessions", Params: []ParamSpec{{Name: "userName", Help: "user whose earlier temporary credentials are denied everything", Required: true}}},
		{ID: "s3control.block-public-access.account", Params: []ParamSpec{
			{Name: "accountId", Help: "the account; default and only choice: the connection's own"}}},
		{ID: "iam.delete-access-key", Params: []ParamSpec{
			{Name: "accessKeyId", Help: "the inactive key (AKIA...) to delete for good", Required: true},
			{Name: "userName", Help: "its user; looked up when not given"}}},
		{ID: "iam.neutralise-role", Params: []ParamSpec{{Name: "roleName", Help: "role whose every session, old and new, is denied everything", Required: true}}},
		{ID: "iam.update-trust-policy", Params: []ParamSpec{
			{Name: "roleName", Help: "role whose trust policy changes", Required: true},
			{Name: "removePrincipals", Help: "comma-separated principals (ARNs, account ids, service or provider names) no longer allowed to assume the role"},
			{Name: "policyDocument", Help: "the whole new trust policy (JSON), instead of removePrincipals"}}},
		{ID: "s3.reset-bucket-acl", Params: []ParamSpec{bucket}},
		{ID: "s3.reset-object-acls", Params: []ParamSpec{bucket,
			{Name: "keys", Help: "comma- or newline-separated object keys; without keys and prefix, every object of the bucket"},
			{Name: "prefix", Help: "every object whose key starts with it"},
			{Name: "concurrency", Help: fmt.Sprintf("calls in flight at once (default %d, at most %d)", DefaultBulkConcurrency, MaxBulkConcurrency)}}},
		{ID: "s3control.batch-job", Params: []ParamSpec{bucket,
			{Name: "prefix", Help: "only the objects whose key starts with it"},
			{Name: "manifestBucket", Help: "bucket the app writes the job's CSV manifest to", Required: true},
			{Name: "reportBucket", Help: "bucket for the completion report (default: manifestBucket)"},
			{Name: "roleArn", Help: "IAM role S3 Batch Operations assumes to run the job", Required: true}}},
		requireIMDSv2Action, deleteKeyPairAction, defaultEncryptionAction, versioningAction,
		restoreVersionAction, removeDeleteMarkerAction, restoreArchivedAction, replicaRestoreAction,
	}
}

// changeAction finds an implemented action by id.
func changeAction(id string) (ChangeAction, bool) {
	for _, a := range ChangeActions() {
		if a.ID == id {
			return a, true
		}
	}
	return ChangeAction{}, false
}

// checkRequest refuses actions that are not mutating actions of the
// incident's playbook or that this build cannot carry out, and parameters
// the action does not take or lacks.
func checkRequest(pb *Playbook, req ChangeRequest) error {
	def, ok := pb.Action(req.Action)
	if !ok {
		return fmt.Errorf("%w: action %q is not in playbook %s", ErrNotFound, req.Action, pb.ID)
	}
	if !def.Mutating {
		return fmt.Errorf("%w: action %s does not change the account; nothing to plan", ErrInvalid, req.Action)
	}
	spec, ok := changeAction(req.Action)
	if !ok {
		return fmt.Errorf("%w: this build cannot carry out %s yet: do it by hand and record it with a note", ErrInvalid, req.Action)
	}
	known := map[string]bool{}
	for _, p := range spec.Params {
		known[p.Name] = true
		if p.Required && strings.TrimSpace(req.Params[p.Name]) == "" {
			return fmt.Errorf("%w: %s needs the parameter %s (%s)", ErrInvalid, req.Action, p.Name, p.Help)
		}
	}
	for k := range req.Params {
		if !known[k] {
			return fmt.Errorf("%w: %s takes no parameter %q", ErrInvalid, req.Action, k)
		}
	}
	return nil
}

// stateOrNull turns an empty state into JSON null.
func stateOrNull(s json.RawMessage) json.RawMessage {
	if len(strings.TrimSpace(string(s))) == 0 {
		return json.RawMessage(stateAbsent)
	}
	return s
}

// combined builds the Before or After document of a plan: each step's
// state under its resource name, in step order.
func combined(steps []ChangeStep, after bool) json.RawMessage {
	var b strings.Builder
	b.WriteString("{")
	for i, st := range steps {
		if i > 0 {
			b.WriteString(",")
		}
		name, _ := json.Marshal(st.Resource.Name)
		b.Write(name)
		b.WriteString(":")
		s := st.Before
		if after {
			s = st.After
		}
		b.WriteString(string(compactState(stateOrNull(s))))
	}
	b.WriteString("}")
	return json.RawMessage(b.String())
}
