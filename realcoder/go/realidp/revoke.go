//go:build !realcoder_norevoke

package main

import (
	"net/http"

	"github.com/coder/coder/v2/coderd/coderdtest/oidctest"
)

// revocation answers RFC 7009 revocation with 200, so Coder's DELETE reports
// token_revoked: true (releases from 2.27 revoke; older ones never call it).
func revocation() []oidctest.FakeIDPOpt {
	return []oidctest.FakeIDPOpt{
		oidctest.WithRevokeTokenRFC(func() (int, error) { return http.StatusOK, nil }),
	}
}
