//go:build !realcoder_apply

package main

import (
	"github.com/coder/coder/v2/provisioner/echo"
	"github.com/coder/coder/v2/provisionersdk/proto"
)

// templateTar for releases whose echo provisioner answers a graph phase: the agent and the
// external-auth providers both come from the graph.
func templateTar(agentToken string, providers []provider) ([]byte, error) {
	return echo.Tar(&echo.Responses{
		Parse:         echo.ParseComplete,
		ProvisionPlan: echo.PlanComplete,
		ProvisionGraph: echo.ProvisionGraphWithAgent(agentToken, func(g *proto.GraphComplete) {
			for _, p := range providers {
				g.ExternalAuthProviders = append(g.ExternalAuthProviders,
					&proto.ExternalAuthProviderResource{Id: p.id, Optional: p.optional})
			}
		}),
	})
}
