// Package sampletenant embeds "Contoso", the example tenant the quickstart, the examples and the
// tests share. It is built around the stories admins live through: an E1 user to move to E3
// (alice), Exchange Online Plan 1 to stack under Plan 2 (bob), cumulative group licenses
// (carol: 9 of 13 E3 plans from Licensing_E3_Base + Teams from Licensing_Teams = 10 of 13), a
// direct E3 also covered by a group (dave and the migrantNN users), an E1 held directly that
// conflicts with the E3 group (erin: MutuallyExclusiveViolation), Audio Conferencing on top of
// Skype for Business (frank), a user without a usage location (grace), Workplace Analytics
// (heidi) and a group with more members than seats (Licensing_EMS: 4 members, 3 seats).
//
// SKU and plan GUIDs are Microsoft's (from "Product names and service plan identifiers for
// licensing"); the SKUs carry a subset of their real plans, and user and group ids are made up.
package sampletenant

import (
	"bytes"
	_ "embed"

	"github.com/licenseplan/licenseplan/licensing"
)

//go:embed contoso.json
var contoso []byte

// JSON returns the tenant/v1 document.
func JSON() []byte { return bytes.Clone(contoso) }

// Snapshot returns a freshly parsed copy of the tenant.
func Snapshot() *licensing.Snapshot {
	s, err := licensing.ReadSnapshot(bytes.NewReader(contoso))
	if err != nil {
		panic("sampletenant: embedded tenant is invalid: " + err.Error())
	}
	return s
}

// Well-known ids in the sample tenant.
const (
	TenantID     = "0c1f2e3d-4b5a-4978-8f6e-5d4c3b2a1908"
	E1           = "18181a46-0d4e-45cd-891e-60aabd171b4e" // STANDARDPACK, Office 365 E1
	E3           = "6fd2c87f-b296-42f0-b197-1e91e994b900" // ENTERPRISEPACK, Office 365 E3
	ExchangeP1   = "4b9405b0-7788-4568-add1-99614e613b69" // EXCHANGESTANDARD
	ExchangeP2   = "19ec0d23-8335-4cbd-94ac-6050e30712fa" // EXCHANGEENTERPRISE
	AudioConf    = "0c266dff-15dd-4b49-8397-2bb16070ed52" // MCOMEETADV
	WorkplaceAn  = "3d957427-ecdc-4df2-aacd-01cc9d519da8" // WORKPLACE_ANALYTICS
	EMS          = "efccb6f7-5641-4e0e-bd10-b4976e1bf68e" // EMS E3
	GroupE3Base  = "a0000000-0000-4000-8000-0000000000b1" // Licensing_E3_Base
	GroupTeams   = "a0000000-0000-4000-8000-0000000000b2" // Licensing_Teams
	GroupEMS     = "a0000000-0000-4000-8000-0000000000b3" // Licensing_EMS
	Alice        = "10000000-0000-4000-8000-000000000001"
	Bob          = "10000000-0000-4000-8000-000000000002"
	Carol        = "10000000-0000-4000-8000-000000000003"
	Dave         = "10000000-0000-4000-8000-000000000004"
	Erin         = "10000000-0000-4000-8000-000000000005"
	Frank        = "10000000-0000-4000-8000-000000000006"
	Grace        = "10000000-0000-4000-8000-000000000007"
	Heidi        = "10000000-0000-4000-8000-000000000008"
	FirstMigrant = "10000000-0000-4000-8000-000000000011"
)
