package licensing

import (
	"hash/maphash"
	"strings"

	"github.com/licenseplan/licenseplan/internal/prefault"
)

// userIndex finds users by a string key (id, or lower-cased userPrincipalName): an
// open-addressing table of user indexes, each with 32 bits of its key's hash. A million users
// take 16 MiB where a map[string]int32 takes several times that, and it grows without hashing
// the keys again. The keys themselves are the users'.
type userIndex struct {
	slots []uint64 // hash<<32 | user+1; 0 is free
	n     int
	seed  maphash.Seed
}

// indexKeys gives user i's key in an index.
type indexKeys interface{ key(i int32) string }

func newUserIndex(n int) userIndex {
	x := userIndex{seed: maphash.MakeSeed()}
	size := 1024
	for size < 2*n {
		size *= 2
	}
	x.slots = prefault.Make[uint64](size, size) // probed before filled
	return x
}

func (x *userIndex) hash(k string) uint32 { return uint32(maphash.String(x.seed, k)) }

// find returns the user whose key is k.
func (x *userIndex) find(k string, keys indexKeys) (int32, bool) {
	if x.n == 0 {
		return -1, false
	}
	h := x.hash(k)
	mask := len(x.slots) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		s := x.slots[i]
		if s == 0 {
			return -1, false
		}
		if uint32(s>>32) == h {
			if u := int32(uint32(s)) - 1; keys.key(u) == k {
				return u, true
			}
		}
	}
}

// add indexes user u under k, unless a user has that key already: then it returns that user
// and true.
func (x *userIndex) add(k string, u int32, keys indexKeys) (int32, bool) {
	if 2*(x.n+1) > len(x.slots) {
		x.grow()
	}
	h := x.hash(k)
	mask := len(x.slots) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		s := x.slots[i]
		if s == 0 {
			x.slots[i] = uint64(h)<<32 | uint64(u+1)
			x.n++
			return u, false
		}
		if uint32(s>>32) == h {
			if o := int32(uint32(s)) - 1; keys.key(o) == k {
				return o, true
			}
		}
	}
}

func (x *userIndex) grow() {
	old := x.slots
	x.slots = prefault.Make[uint64](max(1024, 2*len(old)), max(1024, 2*len(old))) // probed before filled
	mask := len(x.slots) - 1
	for _, s := range old {
		if s == 0 {
			continue
		}
		i := int(s>>32) & mask
		for x.slots[i] != 0 {
			i = (i + 1) & mask
		}
		x.slots[i] = s
	}
}

// The keys of a State's users, and of a compiler's.
type (
	stateIDs  struct{ s *State }
	stateUPNs struct{ s *State }
)

func (k stateIDs) key(i int32) string  { return k.s.users[i].u.ID }
func (k stateUPNs) key(i int32) string { return strings.ToLower(k.s.users[i].u.UserPrincipalName) }
