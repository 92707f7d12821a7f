//go:build !realcoder_slog1

package main

import (
	"os"

	"cdr.dev/slog/v3"
	"cdr.dev/slog/v3/sloggers/sloghuman"

	"github.com/coder/coder/v2/coderd/coderdtest/oidctest"
)

// logToStderr keeps the provider's log off stdout, which carries the REALIDP_ lines.
func logToStderr() oidctest.FakeIDPOpt {
	return oidctest.WithLogger(slog.Make(sloghuman.Sink(os.Stderr)))
}
