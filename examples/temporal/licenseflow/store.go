package licenseflow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// PlanStore keeps plan/v1 files where every worker can read them: a shared directory (DirStore),
// an object store, a database. Put returns the file's reference; Get returns the bytes Put
// stored, which the caller checks against the reference's sha256.
type PlanStore interface {
	Put(ctx context.Context, plan []byte) (PlanRef, error)
	Get(ctx context.Context, ref PlanRef) ([]byte, error)
}

// DirStore is a PlanStore in a directory shared by the workers (one file a plan, named by its
// sha256).
type DirStore struct{ Dir string }

// Put writes the plan to Dir/plan-<sha256>.json (atomically: a reader never sees half a file).
func (d DirStore) Put(_ context.Context, plan []byte) (PlanRef, error) {
	sum := sha256.Sum256(plan)
	h := hex.EncodeToString(sum[:])
	name := filepath.Join(d.Dir, "plan-"+h+".json")
	if err := os.MkdirAll(d.Dir, 0o755); err != nil {
		return PlanRef{}, err
	}
	tmp, err := os.CreateTemp(d.Dir, ".plan-*")
	if err != nil {
		return PlanRef{}, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(plan); err != nil {
		tmp.Close()
		return PlanRef{}, err
	}
	if err := tmp.Close(); err != nil {
		return PlanRef{}, err
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return PlanRef{}, err
	}
	return PlanRef{Location: name, SHA256: h}, nil
}

// Get reads the plan at ref.Location, which must lie in Dir.
func (d DirStore) Get(_ context.Context, ref PlanRef) ([]byte, error) {
	abs, err := filepath.Abs(ref.Location)
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(d.Dir)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(abs, dir+string(filepath.Separator)) {
		return nil, fmt.Errorf("plan %s is not in the plan directory %s", ref.Location, d.Dir)
	}
	return os.ReadFile(abs)
}

// MemStore is a PlanStore in memory, for tests and single-process use.
type MemStore struct {
	mu    sync.Mutex
	plans map[string][]byte
}

// Put keeps a copy of the plan under "mem:<sha256>".
func (m *MemStore) Put(_ context.Context, plan []byte) (PlanRef, error) {
	sum := sha256.Sum256(plan)
	h := hex.EncodeToString(sum[:])
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.plans == nil {
		m.plans = map[string][]byte{}
	}
	m.plans[h] = append([]byte(nil), plan...)
	return PlanRef{Location: "mem:" + h, SHA256: h}, nil
}

// Get returns the plan Put kept.
func (m *MemStore) Get(_ context.Context, ref PlanRef) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.plans[strings.TrimPrefix(ref.Location, "mem:")]
	if !ok {
		return nil, fmt.Errorf("no plan %s in the store", ref.Location)
	}
	return p, nil
}
