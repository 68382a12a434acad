// Package keyindex finds the items of a large list by a string key without a map: a State's
// users by id and by lower-cased userPrincipalName.
//
// An Index is an open-addressing table of item indexes, each with 32 bits of its key's hash. A
// million users take 16 MiB where a map[string]int32 takes several times that, and it grows
// without hashing the keys again. The keys themselves stay with the items: the Index asks for
// them (Keys) when a hash matches.
package keyindex

import (
	"hash/maphash"

	"github.com/licenseplan/licenseplan/internal/prefault"
)

// Index finds items by a string key. Copying an Index shares its table: a State and its
// clones share their users' indexes, which no change adds to.
type Index struct {
	slots []uint64 // hash<<32 | item+1; 0 is free
	n     int
	seed  maphash.Seed
}

// Keys gives item i's key in an index.
type Keys interface{ Key(i int32) string }

// New returns an empty index sized for n items (0 when unknown).
func New(n int) Index {
	x := Index{seed: maphash.MakeSeed()}
	size := 1024
	for size < 2*n {
		size *= 2
	}
	x.slots = prefault.Make[uint64](size, size) // probed before filled
	return x
}

func (x *Index) hash(k string) uint32 { return uint32(maphash.String(x.seed, k)) }

// Find returns the item whose key is k.
func (x *Index) Find(k string, keys Keys) (int32, bool) {
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
			if u := int32(uint32(s)) - 1; keys.Key(u) == k {
				return u, true
			}
		}
	}
}

// BytesKeys tells whether item i's key in an index is k, held as bytes.
type BytesKeys interface{ KeyIs(i int32, k []byte) bool }

// FindBytes is Find for a key held as bytes; it does not keep them.
func (x *Index) FindBytes(k []byte, keys BytesKeys) (int32, bool) {
	return x.FindHashed(k, x.HashBytes(k), keys)
}

// HashBytes returns the hash of k in x, for Home and FindHashed.
func (x *Index) HashBytes(k []byte) uint32 {
	return uint32(maphash.Bytes(x.seed, k)) // maphash.String of the same bytes
}

// Home returns the item in the slot where the search for a key of hash h starts, or -1 when
// that slot is free. Its use is to read the slot: a loop that fetches the slots of many keys
// (and, with the items it gets, their keys) before it finds them one by one has their cache
// misses overlap, where lookups one after another wait for each in turn.
func (x *Index) Home(h uint32) int32 {
	if len(x.slots) == 0 {
		return -1
	}
	return int32(uint32(x.slots[int(h)&(len(x.slots)-1)])) - 1
}

// FindHashed is FindBytes for a key whose hash (HashBytes) is h.
func (x *Index) FindHashed(k []byte, h uint32, keys BytesKeys) (int32, bool) {
	if x.n == 0 {
		return -1, false
	}
	mask := len(x.slots) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		s := x.slots[i]
		if s == 0 {
			return -1, false
		}
		if uint32(s>>32) == h {
			if u := int32(uint32(s)) - 1; keys.KeyIs(u, k) {
				return u, true
			}
		}
	}
}

// Add indexes item u under k, unless an item has that key already: then it returns that item
// and true.
func (x *Index) Add(k string, u int32, keys Keys) (int32, bool) {
	return x.AddHashed(k, x.hash(k), u, keys)
}

// Hash returns the hash of k in x, for Home and AddHashed: a loop that adds many keys reads
// their slots first (Home), so that their cache misses overlap.
func (x *Index) Hash(k string) uint32 { return x.hash(k) }

// AddHashed is Add for a key whose hash (Hash) is h.
func (x *Index) AddHashed(k string, h uint32, u int32, keys Keys) (int32, bool) {
	if 2*(x.n+1) > len(x.slots) {
		x.grow()
	}
	mask := len(x.slots) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		s := x.slots[i]
		if s == 0 {
			x.slots[i] = uint64(h)<<32 | uint64(u+1)
			x.n++
			return u, false
		}
		if uint32(s>>32) == h {
			if o := int32(uint32(s)) - 1; keys.Key(o) == k {
				return o, true
			}
		}
	}
}

func (x *Index) grow() {
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
