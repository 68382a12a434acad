package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/licenseplan/licenseplan/examples/internal/source"
)

// Bad usage is exit 2 with a reason naming the bad input, before any connection is tried.
func TestBadUsageIsExit2(t *testing.T) {
	dir := t.TempDir()
	desired := filepath.Join(dir, "d.json")
	assert.NoError(t, os.WriteFile(desired, []byte(`{"formatVersion":"desired/v1","users":[]}`), 0o644))
	bad := filepath.Join(dir, "bad.json")
	assert.NoError(t, os.WriteFile(bad, []byte(`{"formatVersion":"desired/v9"}`), 0o644))
	const tenant = "0c1f2e3d-4b5a-4978-8f6e-5d4c3b2a1908"
	cases := []struct {
		args []string
		want string
	}{
		{nil, "usage: licenseflow"},
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"worker", "--plans", dir}, "at least one --tenant"},
		{[]string{"worker", "--plans", dir, "--tenant", "nope=http://127.0.0.1:1/v1.0"}, "not a GUID"},
		{[]string{"worker", "--plans", dir, "--tenant", tenant + "=ftp://x"}, "not an http(s) URL"},
		{[]string{"worker", "--plans", dir, "--tenant", tenant + "=http://127.0.0.1:1/v1.0", "--quota", tenant + "=0"}, "more than 0"},
		{[]string{"worker", "--plans", dir, "--tenant", tenant + "=http://127.0.0.1:1/v1.0", "--writes-per-second", "-1"}, "--writes-per-second"},
		{[]string{"start", "--tenant", tenant}, "--desired FILE for each tenant"},
		{[]string{"start", "--tenant", tenant, "--tenant", tenant, "--desired", desired, "--desired", desired, "--desired", desired}, "--desired FILE for each tenant"},
		{[]string{"start", "--tenant", tenant, "--desired", desired, "--concurrency", "0"}, "want 1–256"},
		{[]string{"start", "--tenant", "x", "--desired", desired}, "not a GUID"},
		{[]string{"start", "--tenant", tenant, "--desired", bad}, "bad.json"},
		{[]string{"start", "--tenant", tenant, "--tenant", tenant, "--desired", desired}, "given twice"},
		{[]string{"approve", "--id", "x"}, "--wave N"},
		{[]string{"progress"}, "give --id"},
		{[]string{"stop", "--bogus"}, "bogus"},
	}
	for _, tc := range cases {
		var out, errOut bytes.Buffer
		err := run(context.Background(), tc.args, &out, &errOut)
		assert.Equal(t, 2, source.ExitCode(err), "%v: %v", tc.args, err)
		if err != nil {
			assert.Contains(t, err.Error()+errOut.String(), tc.want, "%v", tc.args)
		}
	}
}
