package tabletop_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"s3responder/app"
	"s3responder/assets"
	"s3responder/tabletop"
)

// FuzzParseScenario feeds ParseScenario arbitrary bytes. Facilitators write
// scenarios by hand, so a malformed file must come back as positioned
// errors wrapping app.ErrInvalid, never as a panic; and whatever parses
// must make an account that answers every check without failing.
func FuzzParseScenario(f *testing.F) {
	builtin, err := assets.Scenarios.ReadFile("scenarios/public-exports.yaml")
	if err != nil {
		f.Fatal(err)
	}
	good := string(builtin)
	seeds := []string{
		good, smallScenario,
		good[:len(good)/2], good[:len(good)/3],
		strings.Replace(good, "acl: public-read", "acl: 7", 1),
		strings.Replace(good, `"Effect": "Allow"`, `"Effect": "allow"`, 1),
		strings.Replace(good, "status: Active", "status: [x]", 1),
		strings.ReplaceAll(smallScenario, "\n", "\r\n"),
		"", "~", "[]", "{}",
		"id: x\ntitle: t\naccount: '111122223333'\nbuckets: [~]\n",
		"id: x\ntitle: t\naccount: '111122223333'\nbuckets: [{name: abc, policy: {Statement: &s [*s]}}]\n",
		"a: &a [*a, *a]\n",
		"id: x\ntitle: t\naccount: '111122223333'\nbuckets: [{name: abc, policy: &p {Version: '2012-10-17', Statement: [{Effect: Allow, Principal: '*', Action: '*', Resource: '*'}]}}, {name: abd, policy: *p}]\n",
		"id: x\ntitle: t\naccount: '111122223333'\nroles: [{name: r, trustPolicy: 5}]\n",
		"id: x\ntitle: t\naccount: '111122223333'\ncloudtrail: [{name: PutBucketPolicy, time: 2026-01-01T00:00:00Z, requestParameters: [1]}]\n",
		"---\nid: x\n---\nid: y\n",
		"\t- tab\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := tabletop.ParseScenario("fuzz.yaml", data)
		if err != nil {
			var es tabletop.ScenarioErrors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error is not ScenarioErrors: %T %v", err, err)
			}
			if !errors.Is(err, app.ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			for _, e := range es {
				if e.Line < 0 || e.Msg == "" {
					t.Fatalf("bad position or message: %+v", e)
				}
			}
			return
		}
		ctx := context.Background()
		acc := tabletop.NewAccount(sc, "", nil)
		if _, err := acc.ScanAccount(ctx, nil); err != nil {
			t.Fatalf("a valid scenario must scan: %v", err)
		}
		for _, b := range sc.Buckets {
			if _, err := acc.Snapshot(ctx, b.Name); err != nil {
				t.Fatalf("snapshot %s: %v", b.Name, err)
			}
		}
		if _, err := acc.AccessChanges(ctx, app.ChangeQuery{}, nil); err != nil {
			t.Fatalf("access changes: %v", err)
		}
	})
}
