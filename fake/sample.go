package fake

import (
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
)

// SampleSnapshot returns a fresh copy of "Contoso", the sample tenant the quickstart, the
// examples and the README use, as a tenant/v1 snapshot: load it with New (an in-memory tenant
// to apply plans to) or licensing.NewState (to plan and predict). It is built around the stories
// admins live through: alice@contoso.com holds Office 365 E1 (STANDARDPACK) to move to E3
// (ENTERPRISEPACK), bob@contoso.com Exchange Online Plan 1 to stack under Plan 2, carol gets
// cumulative group licenses, dave and the migrantNN users hold a direct E3 a group also gives,
// erin a direct E1 that conflicts with the E3 group, frank Audio Conferencing on top of Skype for
// Business, grace has no usage location, heidi holds Workplace Analytics, and the Licensing_EMS
// group has more members than seats. SKU and plan ids are Microsoft's.
func SampleSnapshot() *licensing.Snapshot { return sampletenant.Snapshot() }

// SampleJSON returns the sample tenant (see SampleSnapshot) as a tenant/v1 document, e.g. for
// licensing.LoadState or a --tenant file.
func SampleJSON() []byte { return sampletenant.JSON() }
