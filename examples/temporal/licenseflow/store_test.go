package licenseflow_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/examples/temporal/licenseflow"
)

func TestPlanStores(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for name, store := range map[string]licenseflow.PlanStore{"dir": licenseflow.DirStore{Dir: filepath.Join(dir, "plans")}, "mem": &licenseflow.MemStore{}} {
		t.Run(name, func(t *testing.T) {
			ref, err := store.Put(ctx, []byte(`{"formatVersion":"plan/v1"}`))
			require.NoError(t, err)
			assert.Len(t, ref.SHA256, 64)
			got, err := store.Get(ctx, ref)
			require.NoError(t, err)
			assert.Equal(t, `{"formatVersion":"plan/v1"}`, string(got))
			again, err := store.Put(ctx, []byte(`{"formatVersion":"plan/v1"}`))
			require.NoError(t, err)
			assert.Equal(t, ref, again, "the same plan, the same reference")
			_, err = store.Get(ctx, licenseflow.PlanRef{Location: ref.Location + "x", SHA256: ref.SHA256})
			assert.Error(t, err)
		})
	}
	// A reference outside the store's directory is refused, whatever the file.
	outside := filepath.Join(dir, "secret.json")
	require.NoError(t, os.WriteFile(outside, []byte("{}"), 0o600))
	_, err := licenseflow.DirStore{Dir: filepath.Join(dir, "plans")}.Get(ctx, licenseflow.PlanRef{Location: filepath.Join(dir, "plans", "..", "secret.json")})
	assert.ErrorContains(t, err, "not in the plan directory")
}
