// Command realidp is the identity provider of the real-Coder lane: Coder's own fake OAuth2
// provider (coderd/coderdtest/oidctest, the one behind Coder's scripts/testidp), served on
// loopback with what the lane needs and testidp lacks: any port, RFC 7009 revocation that
// answers 200, extra token keys, and device codes that approve themselves after their first
// poll, so the device flow runs with nobody at a browser.
//
// It prints REALIDP_URL=<issuer> on stdout once it serves, and serves until SIGINT or SIGTERM.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v4"

	"github.com/coder/coder/v2/coderd/coderdtest/oidctest"
)

// The client credentials Coder is configured with. They open nothing outside this process.
const (
	clientID     = "realcoder-client"
	clientSecret = "realcoder-client-secret"
)

var (
	listen   = flag.String("listen", "127.0.0.1:0", "loopback address to serve on")
	expiry   = flag.Duration("expiry", 2*time.Hour, "lifetime of the access tokens it issues")
	extraKey = flag.String("extra-token-key", "scope", "a key added to every token response (Coder's EXTRA_TOKEN_KEYS reads it); empty for none")
)

func main() {
	testing.Init()
	// oidctest needs a testing.T; testing.Main runs the provider as the only "test", as
	// Coder's scripts/testidp does. No test timeout: it serves until signalled.
	_ = flag.Set("test.timeout", "0")
	flag.Parse()
	testing.Main(func(_, _ string) (bool, error) { return true, nil },
		[]testing.InternalTest{{Name: "realidp", F: serve}}, nil, nil)
}

func serve(t *testing.T) {
	approver := newDeviceApprover()
	options := []oidctest.FakeIDPOpt{
		oidctest.WithServing(),
		oidctest.WithIssuer("http://" + *listen),
		oidctest.WithStaticCredentials(clientID, clientSecret),
		oidctest.WithDefaultIDClaims(jwt.MapClaims{"sub": "realcoder-user"}),
		oidctest.WithDefaultExpire(*expiry),
		logToStderr(),
		oidctest.WithMiddlewares(approver.middleware),
	}
	if *extraKey != "" {
		options = append(options, oidctest.WithMutateToken(func(token map[string]interface{}) {
			token[*extraKey] = "repo read:user"
		}))
	}
	options = append(options, revocation()...)
	idp := oidctest.NewFakeIDP(t, options...)
	// Registers the validate route (/external-auth-validate/user answers "OK" to a live token).
	idp.ExternalAuthConfig(t, "realcoder", nil)
	approver.issuer = idp.IssuerURL().String()

	fmt.Printf("REALIDP_URL=%s\n", idp.IssuerURL().String())
	fmt.Printf("REALIDP_CLIENT_ID=%s\n", clientID)
	fmt.Printf("REALIDP_CLIENT_SECRET=%s\n", clientSecret)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
}
