//go:build realcoder_norevoke

package main

import "github.com/coder/coder/v2/coderd/coderdtest/oidctest"

// revocation is empty for releases whose oidctest has no revocation hook (they never revoke).
func revocation() []oidctest.FakeIDPOpt { return nil }
