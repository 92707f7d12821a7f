//go:build realcoder_slog1

package main

import (
	"os"

	"cdr.dev/slog"
	"cdr.dev/slog/sloggers/sloghuman"

	"github.com/coder/coder/v2/coderd/coderdtest/oidctest"
)

// logToStderr keeps the provider's log off stdout, which carries the REALIDP_ lines; for
// releases whose oidctest logs through cdr.dev/slog before its v3.
func logToStderr() oidctest.FakeIDPOpt {
	return oidctest.WithLogger(slog.Make(sloghuman.Sink(os.Stderr)))
}
