// Command mkecho writes the tar of an echo-provisioner template (Coder's built-in provisioner
// that needs no terraform): one workspace agent whose token we choose, so the lane can call
// the agent routes as that agent, and the external-auth providers the template requires, so
// the template version route has something to report.
//
// Usage: mkecho -agent-token <uuid> -providers id[,id?...] > template.tar
// A provider id ending in "?" is optional.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/google/uuid"
)

func main() {
	agentToken := flag.String("agent-token", "", "the workspace agent's token (a UUID)")
	providers := flag.String("providers", "", "comma-separated provider ids the template requires; a trailing ? marks one optional")
	flag.Parse()
	if _, err := uuid.Parse(*agentToken); err != nil {
		fmt.Fprintln(os.Stderr, "mkecho: -agent-token must be a UUID:", err)
		os.Exit(2)
	}
	var required []provider
	for _, id := range strings.Split(*providers, ",") {
		if id = strings.TrimSpace(id); id != "" {
			required = append(required, provider{id: strings.TrimSuffix(id, "?"), optional: strings.HasSuffix(id, "?")})
		}
	}
	data, err := templateTar(*agentToken, required)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkecho:", err)
		os.Exit(1)
	}
	_, _ = os.Stdout.Write(data)
}

type provider struct {
	id       string
	optional bool
}
