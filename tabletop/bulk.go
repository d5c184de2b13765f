package tabletop

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"s3responder/app"
	"s3responder/changeplan"
	"s3responder/exposure"
)

// Object ACLs reset to owner-only, one object at a time through the app's
// bulk changes (app.BulkMutator), as on AWS.

// listPage is how many keys one simulated ListObjectsV2 page holds.
const listPage = 1000

// ListKeys lists a bucket's current objects under prefix after
// startAfter, in key order, a page at a time (app.BulkMutator).
func (a *Account) ListKeys(ctx context.Context, name, prefix, startAfter string, page func(keys []string) error) error {
	a.mu.Lock()
	b, err := a.w.bucket(name)
	var keys []string
	if err == nil {
		for _, o := range b.objects {
			k := o.spec.Key
			if o.live() && strings.HasPrefix(k, prefix) && k > startAfter {
				keys = append(keys, k)
			}
		}
	}
	a.mu.Unlock()
	if err != nil {
		return fmt.Errorf("list the objects of %s: %w", name, err)
	}
	for len(keys) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(listPage, len(keys))
		if err := page(keys[:n]); err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}

// TargetState is an object's ACL after the reset: its owner stays, and
// the one grant left is the bucket owner's FULL_CONTROL (app.BulkMutator).
func (a *Account) TargetState(action string, spec app.BulkSpec, current json.RawMessage) (json.RawMessage, error) {
	if action != "s3.reset-object-acls" {
		return nil, fmt.Errorf("%w: no per-object target for %s", app.ErrInvalid, action)
	}
	return changeplan.ResetACL(spec, current)
}

// sampleSize is how many objects a plan shows with their ACLs.
const sampleSize = 10

func (a *Account) planResetACLs(params map[string]string) (app.Plan, error) {
	p := func(name string) string { return strings.TrimSpace(params[name]) }
	name, prefix := p("bucket"), params["prefix"]
	b, err := a.needBucket(name)
	if err != nil {
		return app.Plan{}, err
	}
	spec := app.BulkSpec{Bucket: name, Prefix: prefix, Resource: app.ResourceObjectACL, Call: "PutObjectAcl", UndoCall: "PutObjectAcl",
		Args: map[string]string{"bucketOwner": a.sc.CanonicalID}}
	if spec.Keys, _, spec.Concurrency, err = changeplan.BulkTargets(params); err != nil {
		return app.Plan{}, err
	}
	if b.ownership == exposure.OwnershipEnforced {
		return app.Plan{}, fmt.Errorf("bucket %s has Object Ownership BucketOwnerEnforced: ACLs are disabled and grant nothing, so there is no ACL to reset: %w", name, app.ErrNoChange)
	}
	var selected []*object
	for _, o := range b.objects {
		switch {
		case !o.live():
		case len(spec.Keys) > 0 && !slices.Contains(spec.Keys, o.spec.Key):
		case !strings.HasPrefix(o.spec.Key, prefix):
		default:
			selected = append(selected, o)
		}
	}
	spec.Objects = len(selected)
	if len(spec.Keys) > 0 {
		spec.Objects = len(spec.Keys)
	}
	if spec.Objects == 0 {
		where := "bucket " + name + " has no object"
		if prefix != "" {
			where = fmt.Sprintf("bucket %s has no object under %q", name, prefix)
		}
		return app.Plan{}, fmt.Errorf("%s: %w", where, app.ErrNoChange)
	}
	for _, o := range selected[:min(sampleSize, len(selected))] {
		before := marshal(o.acl)
		after, err := a.TargetState("s3.reset-object-acls", spec, before)
		if err != nil {
			return app.Plan{}, err
		}
		spec.Sample = append(spec.Sample, app.ObjectChange{Key: o.spec.Key, Before: before, After: after})
	}
	region := b.spec.Region
	spec.CLI = strings.Replace(command(region, "s3api", "put-object-acl", "--bucket", name, "--key", "__KEY__", "--grant-full-control", "id="+a.sc.CanonicalID), "__KEY__", "{key}", 1)
	spec.UndoCLI = strings.Replace(strings.Replace(command(region, "s3api", "put-object-acl", "--bucket", name, "--key", "__KEY__", "--access-control-policy", "__STATE__"),
		"__KEY__", "{key}", 1), "__STATE__", "{state}", 1)
	list := []string{"s3api", "list-objects-v2", "--bucket", name}
	if prefix != "" {
		list = append(list, "--prefix", prefix)
	}
	list = append(list, "--query", "Contents[].[Key]", "--output", "text")
	cli := []string{command(region, list...) + ` | while IFS= read -r key; do ` + strings.Replace(spec.CLI, "{key}", `"$key"`, 1) + `; done`}
	if len(spec.Keys) > 0 {
		cli = nil
		for _, k := range spec.Keys {
			cli = append(cli, app.ObjectCommand(spec.CLI, k, nil))
		}
	}
	what := fmt.Sprintf("%d object(s)", spec.Objects)
	if prefix != "" {
		what = fmt.Sprintf("%d object(s) under %q", spec.Objects, prefix)
	}
	return app.Plan{
		Action: "s3.reset-object-acls", Title: fmt.Sprintf("Reset the ACLs of %s in bucket %s to owner-only", what, name),
		Target: "bucket " + name, Region: region, Broad: true, ConfirmWord: name, Reversible: true,
		Bulk: &spec, CLI: cli,
		Impact: []string{
			"Every grant on these objects but the bucket owner's FULL_CONTROL goes: anonymous readers (AllUsers), any AWS account (AuthenticatedUsers), other accounts and log delivery lose what the ACLs gave them, legitimate readers too.",
			"Access through the bucket policy, access points and IAM is not touched: check the policy too (s3.remove-policy-statements).",
		},
		Notes:    []string{"Each object's ACL is read and journalled, in batches, before its call: undo puts every object's own ACL back."},
		UndoNote: "Undo writes each object's saved ACL back, public grants included.",
	}, nil
}
