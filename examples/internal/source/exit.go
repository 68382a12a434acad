package source

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/licenseplan/licenseplan/licensing"
)

// The example programs exit as licensectl does: 0 on success (and -help), 2 on bad usage or
// input (a bad flag, a stray argument, a user, SKU, plan or group name that does not resolve,
// an invalid value), 1 when the operation itself failed (a step did not succeed, the tenant
// refused, the question was declined).

// usageError is bad usage: exit code 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// Usage marks err as bad usage or input (exit code 2); nil stays nil.
func Usage(err error) error {
	if err == nil {
		return nil
	}
	return &usageError{err}
}

// ExitCode is the documented exit code for the error a program's run returned.
func ExitCode(err error) int {
	var u *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &u):
		return 2
	}
	for _, k := range []licensing.Kind{licensing.InvalidInput, licensing.UnknownUser, licensing.UnknownSku, licensing.UnknownServicePlan, licensing.UnknownGroup} {
		if errors.Is(err, k) {
			return 2
		}
	}
	return 1
}

// Exit ends the program named name with err's exit code, printing err first (flag errors
// were already printed, with the usage, by the flag package).
func Exit(name string, err error) {
	code := ExitCode(err)
	var u *usageError
	if err != nil && code != 0 && !(errors.As(err, &u) && isFlagError(u.err)) {
		fmt.Fprintln(os.Stderr, name+":", err)
	}
	os.Exit(code)
}

// flagError is what Parse returned: the flag package printed it already.
type flagError struct{ err error }

func (e *flagError) Error() string { return e.err.Error() }
func (e *flagError) Unwrap() error { return e.err }

func isFlagError(err error) bool {
	var f *flagError
	return errors.As(err, &f)
}

// Parse parses the program's flags and refuses stray arguments; either is bad usage.
func Parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return Usage(&flagError{err})
	}
	return Usage(NoArgs(fs))
}
