package daemon

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Env reads SANBAO_* environment variables as the defaults of flags, and remembers the values
// that do not parse so that start-up can refuse them with one clear message instead of
// silently using a default. The zero value is ready to use.
type Env struct {
	errs []string
}

// String returns the variable, or def when it is not set.
func (e *Env) String(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

// Int returns the variable as an int, or def.
func (e *Env) Int(key string, def int) int {
	return parse(e, key, def, "a whole number", strconv.Atoi)
}

// Float returns the variable as a float64, or def.
func (e *Env) Float(key string, def float64) float64 {
	return parse(e, key, def, "a number", func(s string) (float64, error) { return strconv.ParseFloat(s, 64) })
}

// Bool returns the variable as a bool (true/false/1/0), or def.
func (e *Env) Bool(key string, def bool) bool {
	return parse(e, key, def, "true or false", strconv.ParseBool)
}

// Duration returns the variable as a duration ("90s", "2h"), or def.
func (e *Env) Duration(key string, def time.Duration) time.Duration {
	return parse(e, key, def, "a duration like 30s or 2h", time.ParseDuration)
}

// Err reports every variable that did not parse, or nil.
func (e *Env) Err() error {
	if len(e.errs) == 0 {
		return nil
	}
	return errors.New(strings.Join(e.errs, "; "))
}

func parse[T any](e *Env, key string, def T, want string, conv func(string) (T, error)) T {
	v, ok := os.LookupEnv(key)
	if !ok {
		return def
	}
	x, err := conv(strings.TrimSpace(v))
	if err != nil {
		e.errs = append(e.errs, fmt.Sprintf("%s=%q is not %s", key, v, want))
		return def
	}
	return x
}
