package trail

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteJSONMatchesMarshalIndent(t *testing.T) {
	for _, f := range []Filter{{}, {Buckets: []string{"no-such-bucket"}}} {
		res, err := Analyze(context.Background(), []string{buildTree(t)}, Options{Filter: f})
		require.NoError(t, err)
		want, err := json.MarshalIndent(res, "", "  ")
		require.NoError(t, err)
		var got bytes.Buffer
		require.NoError(t, res.WriteJSON(&got))
		assert.Equal(t, string(want)+"\n", got.String())
	}
	var got bytes.Buffer
	require.NoError(t, (&Result{}).WriteJSON(&got))
	want, _ := json.MarshalIndent(&Result{}, "", "  ")
	assert.Equal(t, string(want)+"\n", got.String())
}
