package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
)

var listening = regexp.MustCompile(`^listening on (http://127\.0\.0\.1:[0-9]+/v1\.0)$`)

// firstLine reads the first line from r, failing the test after a timeout.
func firstLine(t *testing.T, r io.Reader) string {
	t.Helper()
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		lines <- strings.TrimSuffix(line, "\n")
	}()
	select {
	case l := <-lines:
		return l
	case <-time.After(30 * time.Second):
		t.Fatal("no output within 30s")
		return ""
	}
}

func getUsers(t *testing.T, base string) int {
	t.Helper()
	resp, err := http.Get(base + "/users?$select=id,assignedLicenses")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var body struct {
		Value []map[string]any `json:"value"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return len(body.Value)
}

func TestRunServesUntilCancelled(t *testing.T) {
	file := filepath.Join(t.TempDir(), "tenant.json")
	require.NoError(t, os.WriteFile(file, sampletenant.JSON(), 0o600))
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--tenant", file, "--throttle", "graph", "--processing-delay", "1s"}, pw, io.Discard)
	}()

	m := listening.FindStringSubmatch(firstLine(t, pr))
	require.NotNil(t, m, "first line")
	assert.Equal(t, len(sampletenant.Snapshot().Users), getUsers(t, m[1]))
	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("run did not return after cancel")
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	cases := map[string][]string{
		"throttle":  {"--throttle", "fast"},
		"fail rate": {"--fail-rate", "2"},
		"fault":     {"--fail-kinds", "explode"},
		"tenant":    {"--tenant", filepath.Join(t.TempDir(), "missing.json")},
		"arguments": {"serve"},
		"flag":      {"--port", "80"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var out strings.Builder
			err := run(ctx, args, &out, io.Discard)
			assert.Error(t, err)
			assert.Empty(t, out.String(), "nothing is served")
		})
	}
}

// TestBinary builds fakegraph, runs it, reads its first line and stops it with SIGINT.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "fakegraph")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--fail-rate", "0", "--seed", "3")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	m := listening.FindStringSubmatch(firstLine(t, stdout))
	require.NotNil(t, m, "the first line is exactly 'listening on http://HOST:PORT/v1.0'")
	assert.Equal(t, len(sampletenant.Snapshot().Users), getUsers(t, m[1]), "without --tenant it serves the sample tenant")

	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	assert.NoError(t, cmd.Wait(), "exits cleanly on SIGINT")
}
