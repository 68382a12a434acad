package graphadapter

import (
	"runtime/debug"
	"sync"
)

const module = "github.com/licenseplan/licenseplan"

// Version is licenseplan's version as the Go toolchain recorded it in the binary (the module's
// version when licenseplan is a dependency, the main module's otherwise), or "devel" when
// it recorded none. Every request carries it in its User-Agent: "licenseplan/VERSION".
func Version() string { return versionOnce() }

var versionOnce = sync.OnceValue(func() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if bi.Main.Path == module && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	for _, d := range bi.Deps {
		if d.Path == module && d.Version != "" {
			return d.Version
		}
	}
	return "devel"
})
