package app

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The GUI imports a playbook on a background job while the list screen
// and the new-incident form read the playbooks on the UI goroutine: under
// -race this test fails if the Service's catalogue is not guarded.
func TestPlaybooksCanBeImportedWhileTheyAreListed(t *testing.T) {
	ctx := context.Background()
	svc := bundleTestService(t, newBundleFakeStore(), "alice")
	const n = 20
	var wg sync.WaitGroup
	shas := make(chan string, n)
	wg.Go(func() {
		defer close(shas)
		for i := range n {
			pb, err := svc.ImportPlaybook(ctx, "custom.yaml", fmt.Appendf(nil, "%sdescription: copy %d\n", bundleTestPlaybook, i))
			if !assert.NoError(t, err) {
				return
			}
			shas <- pb.SHA256
		}
	})
	var seen []string
	for sha := range shas {
		seen = append(seen, sha)
		listed := svc.Playbooks()
		require.Equal(t, svc.Builtin(), listed[0], "the built-in playbook comes first")
		got, err := svc.PlaybookFor(Incident{Playbook: PlaybookRef{SHA256: sha}})
		require.NoError(t, err)
		assert.Equal(t, sha, got.SHA256)
	}
	wg.Wait()
	assert.Len(t, seen, n)
	assert.Len(t, svc.Playbooks(), n+1)
}
