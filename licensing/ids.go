package licensing

import (
	"encoding/hex"
	"fmt"

	"github.com/licenseplan/licenseplan/internal/guid"
)

// GUID is a 128-bit identifier as Entra prints it (8-4-4-4-12 hex digits).
// It is held as 16 bytes so that millions of them stay compact and compare fast.
type GUID [16]byte

// ParseGUID parses the canonical 36-character form ("6fd2c87f-b296-42f0-b197-1e91e994b900"),
// upper or lower case. Anything else (braces, missing dashes, stray spaces) is an error
// of kind Invalid that quotes the bad value.
func ParseGUID(s string) (GUID, error) {
	g, bad := guid.Decode(s)
	switch {
	case bad == 0:
		return g, nil
	case bad < 0:
		return g, &Error{Kind: InvalidInput, Message: fmt.Sprintf("malformed GUID %q: want 8-4-4-4-12 hex digits such as 6fd2c87f-b296-42f0-b197-1e91e994b900", s)}
	}
	return GUID{}, &Error{Kind: InvalidInput, Message: fmt.Sprintf("malformed GUID %q: %q is not a hex digit", s, string(s[bad-1]))}
}

// MustParseGUID is ParseGUID for constants known to be valid; it panics otherwise.
func MustParseGUID(s string) GUID {
	g, err := ParseGUID(s)
	if err != nil {
		panic(err)
	}
	return g
}

// String returns the canonical lower-case form.
func (g GUID) String() string {
	var b [36]byte
	g.appendTo(b[:0])
	return string(b[:])
}

func (g GUID) appendTo(dst []byte) []byte {
	var buf [36]byte
	hex.Encode(buf[0:8], g[0:4])
	buf[8] = '-'
	hex.Encode(buf[9:13], g[4:6])
	buf[13] = '-'
	hex.Encode(buf[14:18], g[6:8])
	buf[18] = '-'
	hex.Encode(buf[19:23], g[8:10])
	buf[23] = '-'
	hex.Encode(buf[24:36], g[10:16])
	return append(dst, buf[:]...)
}

// IsZero reports whether g is the all-zero GUID (never a valid SKU or plan).
func (g GUID) IsZero() bool { return g == GUID{} }

// MarshalText implements encoding.TextMarshaler.
func (g GUID) MarshalText() ([]byte, error) { return g.appendTo(nil), nil }

// AppendText appends the canonical lower-case GUID to b (encoding.TextAppender), without
// allocating when b has room: for writers of many ids.
func (g GUID) AppendText(b []byte) ([]byte, error) { return g.appendTo(b), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParseGUID's strictness.
func (g *GUID) UnmarshalText(b []byte) error {
	v, err := ParseGUID(string(b))
	if err != nil {
		return err
	}
	*g = v
	return nil
}

// Compare orders GUIDs by their bytes; it returns -1, 0 or +1.
func (g GUID) Compare(o GUID) int {
	for i := range g {
		if g[i] != o[i] {
			if g[i] < o[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// SkuID identifies a SKU (subscribedSku.skuId), e.g. 6fd2c87f-b296-42f0-b197-1e91e994b900 for ENTERPRISEPACK.
type SkuID GUID

// ParseSkuID parses a SKU GUID strictly; see ParseGUID.
func ParseSkuID(s string) (SkuID, error) {
	g, err := ParseGUID(s)
	return SkuID(g), err
}

// MustParseSkuID is ParseSkuID for constants; it panics on a malformed value.
func MustParseSkuID(s string) SkuID { return SkuID(MustParseGUID(s)) }

// String returns the canonical lower-case GUID.
func (id SkuID) String() string { return GUID(id).String() }

// IsZero reports whether id is unset.
func (id SkuID) IsZero() bool { return GUID(id).IsZero() }

// Compare orders SKU ids by their bytes.
func (id SkuID) Compare(o SkuID) int { return GUID(id).Compare(GUID(o)) }

// MarshalText implements encoding.TextMarshaler.
func (id SkuID) MarshalText() ([]byte, error) { return GUID(id).MarshalText() }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *SkuID) UnmarshalText(b []byte) error { return (*GUID)(id).UnmarshalText(b) }

// PlanID identifies a service plan (servicePlanId), e.g. efb87545-963c-4e0d-99df-69c6916d9eb0 for EXCHANGE_S_ENTERPRISE.
type PlanID GUID

// ParsePlanID parses a service-plan GUID strictly; see ParseGUID.
func ParsePlanID(s string) (PlanID, error) {
	g, err := ParseGUID(s)
	return PlanID(g), err
}

// MustParsePlanID is ParsePlanID for constants; it panics on a malformed value.
func MustParsePlanID(s string) PlanID { return PlanID(MustParseGUID(s)) }

// String returns the canonical lower-case GUID.
func (id PlanID) String() string { return GUID(id).String() }

// IsZero reports whether id is unset.
func (id PlanID) IsZero() bool { return GUID(id).IsZero() }

// Compare orders plan ids by their bytes.
func (id PlanID) Compare(o PlanID) int { return GUID(id).Compare(GUID(o)) }

// MarshalText implements encoding.TextMarshaler.
func (id PlanID) MarshalText() ([]byte, error) { return GUID(id).MarshalText() }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *PlanID) UnmarshalText(b []byte) error { return (*GUID)(id).UnmarshalText(b) }
