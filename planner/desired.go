package planner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/licenseplan/licenseplan/licensing"
)

// DesiredFormatVersion is the formatVersion of a desired-state file.
const DesiredFormatVersion = "desired/v1"

// Desired is the licensing an administrator wants (desired/v1). SKUs are named by
// skuPartNumber, skuId or product name; plans by servicePlanName or servicePlanId; users by id
// or userPrincipalName; groups by id or displayName.
type Desired struct {
	FormatVersion        string         `json:"formatVersion"`
	Users                []UserTarget   `json:"users,omitempty"`
	Groups               []GroupTarget  `json:"groups,omitempty"`
	Rules                []AttrRule     `json:"rules,omitempty"`
	MigrateDirectToGroup *Migration     `json:"migrateDirectToGroup,omitempty"`
	Reclaim              *Reclaim       `json:"reclaim,omitempty"`
	Options              DesiredOptions `json:"options"`
}

// Modes of a target.
const (
	// ModeExact: direct licenses (and licensed-group memberships, when Groups is given) not listed are removed.
	ModeExact = "exact"
	// ModeEnsure: only adds and updates; nothing unlisted is removed. The default.
	ModeEnsure = "ensure"
)

// UserTarget is what one user should hold directly.
type UserTarget struct {
	User          string        `json:"user"`
	Mode          string        `json:"mode,omitempty"`
	UsageLocation string        `json:"usageLocation,omitempty"`
	Licenses      []LicenseSpec `json:"licenses"`
	// Groups, when present, are the licensed groups the user should be a direct member of
	// (a group-based move: join the new group, wait for processing, then leave the old one).
	// With mode exact, memberships of licensed groups not listed are removed.
	Groups []string `json:"groups,omitempty"`
	// AllowServiceLoss lists plans (by servicePlanName or id) this user may lose: explicit,
	// per-user consent, e.g. the To Do plan that Exchange Online Plan 1 carries and Plan 2 does
	// not. Losing any other plan is still a ServiceLoss error.
	AllowServiceLoss []string `json:"allowServiceLoss,omitempty"`
}

// GroupTarget is what one group should assign.
type GroupTarget struct {
	Group    string        `json:"group"`
	Mode     string        `json:"mode,omitempty"`
	Licenses []LicenseSpec `json:"licenses"`
}

// LicenseSpec is one SKU with either the plans to turn off (DisabledPlans) or an allowlist of
// the plans to turn on (EnabledPlans: plans Microsoft adds to the SKU later stay off).
type LicenseSpec struct {
	Sku           string   `json:"sku"`
	DisabledPlans []string `json:"disabledPlans,omitempty"`
	EnabledPlans  []string `json:"enabledPlans,omitempty"`
}

// AttrRule gives licenses to every user whose attributes match (policy as code: the library's
// alternative to dynamic groups). Where maps an attribute path to the value it must equal
// (case-insensitive). Attribute paths: userPrincipalName, displayName, department, jobTitle,
// usageLocation, accountEnabled, onPremisesExtensionAttributes.extensionAttribute1…15.
type AttrRule struct {
	Name     string            `json:"name"`
	Where    map[string]string `json:"where"`
	Mode     string            `json:"mode,omitempty"`
	Licenses []LicenseSpec     `json:"licenses"`
}

// Migration moves users from direct assignments to the groups that already cover them.
type Migration struct {
	// Users is "all" or a list of user ids / userPrincipalNames.
	Users UserSelector `json:"users"`
	// Waves are cumulative fractions of the selected users, ascending, the last 1.0; e.g.
	// [0.05, 1.0] migrates a 5 % canary wave first. Empty means one wave.
	Waves []float64 `json:"waves,omitempty"`
}

// Reclaim takes licenses back from users who are disabled or have not signed in for a while
// (policy as desired state; build_reclaim.go plans it). A selected user loses the direct
// licenses of Skus (every SKU when Skus is empty) and leaves the licensed groups that give
// them; consent to lose those licenses' plans is implied for that user, and every step says
// why in its reason. Selection follows report.Reclaim's rules: see Build.
type Reclaim struct {
	// Disabled selects users whose accountEnabled is false.
	Disabled bool `json:"disabled,omitempty"`
	// InactiveDays, when not 0, selects users without a sign-in for that many days before the
	// snapshot's readAt (no sign-in recorded counts; unknown activity and users created within
	// the window never do). At least one of Disabled and InactiveDays must be set.
	InactiveDays int `json:"inactiveDays,omitempty"`
	// Skus limits the reclaim to these SKUs (by id, part number or product name).
	Skus []string `json:"skus,omitempty"`
	// Exclude names users never reclaimed from: by id or userPrincipalName, or as members of
	// groups (by id or displayName).
	Exclude ReclaimExclude `json:"exclude,omitzero"`
	// Waves are cumulative fractions of the users reclaimed from, as migrateDirectToGroup's.
	Waves []float64 `json:"waves,omitempty"`
}

// ReclaimExclude is who a Reclaim leaves alone.
type ReclaimExclude struct {
	Users  []string `json:"users,omitempty"`
	Groups []string `json:"groups,omitempty"`
}

// UnmarshalJSON reads a reclaim object, refusing unknown fields and an inactiveDays below 1
// with errors that name reclaim.
func (r *Reclaim) UnmarshalJSON(b []byte) error {
	var p struct {
		Disabled     bool           `json:"disabled"`
		InactiveDays *int           `json:"inactiveDays"`
		Skus         []string       `json:"skus"`
		Exclude      ReclaimExclude `json:"exclude"`
		Waves        []float64      `json:"waves"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("reclaim.%s: got JSON %s, want %s", te.Field, te.Value, te.Type)
		}
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return fmt.Errorf("reclaim: unknown field %s (reclaim takes disabled, inactiveDays, skus, exclude and waves; reclaim.exclude takes users and groups)", name)
		}
		return fmt.Errorf("reclaim: %v", err)
	}
	if p.InactiveDays != nil && *p.InactiveDays < 1 {
		return fmt.Errorf("reclaim.inactiveDays is %d: want 1 or more (days without a sign-in), or leave it out", *p.InactiveDays)
	}
	*r = Reclaim{Disabled: p.Disabled, Skus: p.Skus, Exclude: p.Exclude, Waves: p.Waves}
	if p.InactiveDays != nil {
		r.InactiveDays = *p.InactiveDays
	}
	return nil
}

// UserSelector is "all" or a list of users.
type UserSelector struct {
	All   bool
	Users []string
}

// MarshalJSON writes "all" or the list.
func (u UserSelector) MarshalJSON() ([]byte, error) {
	if u.All {
		return []byte(`"all"`), nil
	}
	return json.Marshal(u.Users)
}

// UnmarshalJSON reads "all" or a list of strings.
func (u *UserSelector) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		*u = UserSelector{} // an empty selector: Validate says what to write
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		if s != "all" {
			return fmt.Errorf(`users must be "all" or a list of users, not %q`, s)
		}
		u.All = true
		return nil
	}
	return json.Unmarshal(b, &u.Users)
}

// DesiredOptions tune how the plan is made.
type DesiredOptions struct {
	// AllowServiceLoss turns ServiceLoss problems from errors into warnings.
	AllowServiceLoss bool `json:"allowServiceLoss,omitempty"`
	// MakeBeforeBreak splits a swap into add, then remove (after the add is confirmed) where the
	// rules allow both licenses at once (e.g. Exchange Online Plan 1 → Plan 2). Conflicting
	// swaps (E1 → E3) stay one atomic call.
	MakeBeforeBreak bool `json:"makeBeforeBreak,omitempty"`
}

// ReadDesired reads and checks a desired/v1 document: its format version, known fields, modes,
// that every license names a SKU and sets at most one of disabledPlans and enabledPlans, and
// migration waves. Names are resolved later, against a tenant (see Build). Errors give the
// location in the file, such as users[2].licenses[0].
func ReadDesired(r io.Reader) (*Desired, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, &licensing.Error{Kind: licensing.InvalidInput, Message: "reading desired state", Err: err}
	}
	var d Desired
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, &licensing.Error{Kind: licensing.InvalidInput, Message: "desired state is not valid desired/v1 JSON: " + jsonErrorAt(data, err)}
	}
	if dec.More() {
		return nil, invalid("desired state has data after the JSON document")
	}
	if err := duplicateKey(data); err != nil {
		return nil, err
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return &d, nil
}

// jsonErrorAt describes a decoding error with its line and column.
func jsonErrorAt(data []byte, err error) string {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
		err = fmt.Errorf("field %s: got JSON %s, want %s", te.Field, te.Value, te.Type)
	default:
		// encoding/json reports unknown fields without an offset: find the key in the text.
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			if m := regexp.MustCompile(regexp.QuoteMeta(name) + `\s*:`).FindIndex(data); m != nil {
				off = int64(m[0]) + 1
			}
		}
	}
	if off < 0 || off > int64(len(data)) {
		return err.Error()
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := off - int64(bytes.LastIndexByte(data[:off], '\n'))
	return fmt.Sprintf("line %d, column %d: %v", line, col, err)
}

func invalid(format string, args ...any) *licensing.Error {
	return &licensing.Error{Kind: licensing.InvalidDesiredState, Message: fmt.Sprintf(format, args...)}
}

// Validate checks what can be checked without a tenant: the same checks ReadDesired makes on a
// file, for a Desired built in Go (Build calls it too, and turns its error into an
// InvalidDesiredState problem). A nil Desired is an error.
func (d *Desired) Validate() error {
	if d == nil {
		return invalid("no desired state (a nil *Desired)")
	}
	if d.FormatVersion != DesiredFormatVersion {
		return &licensing.Error{Kind: licensing.InvalidInput, Message: fmt.Sprintf("desired state formatVersion is %q, want %q", d.FormatVersion, DesiredFormatVersion)}
	}
	mode := func(where, m string) error {
		if m != "" && m != ModeExact && m != ModeEnsure {
			return invalid("%s.mode is %q, want %q or %q", where, m, ModeExact, ModeEnsure)
		}
		return nil
	}
	// names checks that no entry of a list of names is blank.
	names := func(where string, list []string) error {
		for i, n := range list {
			if strings.TrimSpace(n) == "" {
				return invalid("%s[%d] is empty", where, i)
			}
		}
		return nil
	}
	specs := func(where string, ls []LicenseSpec) error {
		for i, l := range ls {
			at := fmt.Sprintf("%s.licenses[%d]", where, i)
			if strings.TrimSpace(l.Sku) == "" {
				return invalid("%s has no sku", at)
			}
			if len(l.DisabledPlans) > 0 && len(l.EnabledPlans) > 0 {
				return invalid("%s (%s) sets both disabledPlans and enabledPlans; use one", at, l.Sku)
			}
			if err := names(at+".disabledPlans", l.DisabledPlans); err != nil {
				return err
			}
			if err := names(at+".enabledPlans", l.EnabledPlans); err != nil {
				return err
			}
		}
		return nil
	}
	for i, u := range d.Users {
		at := fmt.Sprintf("users[%d]", i)
		if strings.TrimSpace(u.User) == "" {
			return invalid("%s has no user", at)
		}
		if err := mode(at, u.Mode); err != nil {
			return err
		}
		if err := specs(at, u.Licenses); err != nil {
			return err
		}
		if err := names(at+".groups", u.Groups); err != nil {
			return err
		}
		if err := names(at+".allowServiceLoss", u.AllowServiceLoss); err != nil {
			return err
		}
	}
	for i, g := range d.Groups {
		at := fmt.Sprintf("groups[%d]", i)
		if strings.TrimSpace(g.Group) == "" {
			return invalid("%s has no group", at)
		}
		if err := mode(at, g.Mode); err != nil {
			return err
		}
		if err := specs(at, g.Licenses); err != nil {
			return err
		}
	}
	for i, r := range d.Rules {
		at := fmt.Sprintf("rules[%d] (%q)", i, r.Name)
		if len(r.Where) == 0 {
			return invalid("%s has no where: a rule must match on at least one attribute", at)
		}
		for _, k := range slices.Sorted(maps.Keys(r.Where)) {
			if !knownAttribute(k) {
				return invalid("%s matches on unknown attribute %q; known: %s", at, k, strings.Join(attributeNames(), ", "))
			}
		}
		if err := mode(at, r.Mode); err != nil {
			return err
		}
		if err := specs(at, r.Licenses); err != nil {
			return err
		}
	}
	if m := d.MigrateDirectToGroup; m != nil {
		if !m.Users.All && len(m.Users.Users) == 0 {
			return invalid(`migrateDirectToGroup.users is empty: use "all" or list users`)
		}
		if m.Users.All && len(m.Users.Users) > 0 {
			return invalid(`migrateDirectToGroup.users is both "all" and a list of %d users: use one`, len(m.Users.Users))
		}
		if err := names("migrateDirectToGroup.users", m.Users.Users); err != nil {
			return err
		}
		if err := checkWaves("migrateDirectToGroup.waves", m.Waves); err != nil {
			return err
		}
	}
	if r := d.Reclaim; r != nil {
		if r.InactiveDays < 0 {
			return invalid("reclaim.inactiveDays is %d: want 1 or more (days without a sign-in), or leave it out", r.InactiveDays)
		}
		if !r.Disabled && r.InactiveDays == 0 {
			return invalid(`reclaim selects nobody: set "disabled": true, "inactiveDays": N, or both`)
		}
		if err := names("reclaim.skus", r.Skus); err != nil {
			return err
		}
		if err := names("reclaim.exclude.users", r.Exclude.Users); err != nil {
			return err
		}
		if err := names("reclaim.exclude.groups", r.Exclude.Groups); err != nil {
			return err
		}
		if err := checkWaves("reclaim.waves", r.Waves); err != nil {
			return err
		}
	}
	return nil
}

// checkWaves checks cumulative wave fractions: rising strictly within (0, 1], the last 1.0.
func checkWaves(where string, waves []float64) error {
	prev := 0.0
	for i, w := range waves {
		if !(w > prev && w <= 1) { // also refuses NaN
			return invalid("%s[%d] = %v: waves must rise strictly within (0, 1]", where, i, w)
		}
		prev = w
	}
	if len(waves) > 0 && prev != 1 {
		return invalid("%s must end with 1.0, ends with %v", where, prev)
	}
	return nil
}

var simpleAttributes = []string{"userPrincipalName", "displayName", "department", "jobTitle", "usageLocation", "accountEnabled"}

func knownAttribute(k string) bool {
	for _, a := range simpleAttributes {
		if strings.EqualFold(a, k) {
			return true
		}
	}
	if rest, ok := strings.CutPrefix(k, "onPremisesExtensionAttributes."); ok {
		for i := 1; i <= 15; i++ {
			if rest == fmt.Sprintf("extensionAttribute%d", i) {
				return true
			}
		}
	}
	return false
}

func attributeNames() []string {
	return append(append([]string{}, simpleAttributes...), "onPremisesExtensionAttributes.extensionAttribute1…15")
}

// condition is one attribute = value test of a rule's where.
type condition struct {
	attr  string // as written in the desired file
	key   string // the lower-cased attribute name, or the extension attribute's name when ext
	ext   bool
	value string
}

// where is a rule's where, compiled once per plan: every condition must hold.
type where []condition

func compileWhere(m map[string]string) where {
	w := make(where, 0, len(m))
	for k, v := range m {
		c := condition{attr: k, key: strings.ToLower(k), value: v}
		if rest, ok := strings.CutPrefix(k, "onPremisesExtensionAttributes."); ok {
			c.key, c.ext = rest, true
		}
		w = append(w, c)
	}
	slices.SortFunc(w, func(a, b condition) int { return strings.Compare(a.attr, b.attr) })
	return w
}

// matches reports whether the user (with usage location usage) meets every condition,
// comparing without regard to case.
func (w where) matches(u *licensing.User, usage string) bool {
	for _, c := range w {
		var v string
		if c.ext {
			v = u.OnPremisesExtensionAttributes[c.key]
		} else {
			v = simpleAttribute(u, usage, c.key)
		}
		if !strings.EqualFold(v, c.value) {
			return false
		}
	}
	return true
}

// simpleAttribute returns the value of a user attribute by its lower-cased name ("" for
// names it does not know).
func simpleAttribute(u *licensing.User, usage string, lower string) string {
	switch lower {
	case "userprincipalname":
		return u.UserPrincipalName
	case "displayname":
		return u.DisplayName
	case "department":
		return u.Department
	case "jobtitle":
		return u.JobTitle
	case "usagelocation":
		return usage
	case "accountenabled":
		if u.AccountEnabled == nil {
			return ""
		}
		return strconv.FormatBool(*u.AccountEnabled)
	}
	return ""
}

// duplicateKey refuses an object that gives a key twice anywhere in the document (encoding/json
// would silently keep the last value, and matches field names without regard to case, so
// "mode" and "Mode" are the same key too; tenant/v1 refuses them the same way). The error names
// the key, where it is (such as users[0].licenses[1]) and its line and column. data is a valid
// JSON document.
func duplicateKey(data []byte) error {
	type frame struct {
		obj     bool
		path    string
		keys    map[string]struct{}
		key     string // the key whose value comes next (objects)
		n       int    // the index of the next element (arrays)
		wantKey bool
	}
	var stack []*frame
	// child returns the location of the value that comes next in the innermost container,
	// and moves that container past it.
	child := func() string {
		if len(stack) == 0 {
			return ""
		}
		top := stack[len(stack)-1]
		if top.obj {
			top.wantKey = true
			if top.path == "" {
				return top.key
			}
			return top.path + "." + top.key
		}
		top.n++
		return fmt.Sprintf("%s[%d]", top.path, top.n-1)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // io.EOF; a syntax error was reported by the decoding before
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				stack = append(stack, &frame{obj: v == '{', path: child(), wantKey: v == '{'})
			default:
				stack = stack[:len(stack)-1]
			}
			continue
		case string:
			if top := stack[len(stack)-1]; top.obj && top.wantKey {
				folded := strings.ToLower(v)
				if _, dup := top.keys[folded]; dup {
					off := dec.InputOffset() // just after the key's closing quote: point at its opening one
					if q := bytes.LastIndexByte(data[:off-1], '"'); q >= 0 {
						off = int64(q)
					}
					line := 1 + bytes.Count(data[:off], []byte("\n"))
					col := off - int64(bytes.LastIndexByte(data[:off], '\n'))
					where := "at the top level"
					if top.path != "" {
						where = "in " + top.path
					}
					return invalid("desired state gives the key %q twice %s (line %d, column %d): give each key once (keys match without regard to case)", v, where, line, col)
				}
				if top.keys == nil {
					top.keys = map[string]struct{}{}
				}
				top.keys[folded] = struct{}{}
				top.key, top.wantKey = v, false
				continue
			}
		}
		child()
	}
}
