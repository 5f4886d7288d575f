// Package flagenv lets every flag also be set from the environment, so the
// same binary is configured by flags locally and by env in Kubernetes.
package flagenv

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
)

// Parse parses args, then fills every flag not given on the command line from
// PREFIX_FLAG_NAME (upper case, '-' and '.' as '_'). Flags beat env. All bad
// values are reported together.
func Parse(fs *flag.FlagSet, args []string, prefix string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] {
			return
		}
		name := EnvName(prefix, f.Name)
		if v, ok := os.LookupEnv(name); ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", name, v, err))
			}
		}
	})
	return errors.Join(errs...)
}

// EnvName is the variable that sets a flag.
func EnvName(prefix, flagName string) string {
	r := strings.NewReplacer("-", "_", ".", "_")
	return strings.ToUpper(prefix + "_" + r.Replace(flagName))
}
