//go:build realcoder_apply

package main

import (
	"github.com/coder/coder/v2/provisioner/echo"
	"github.com/coder/coder/v2/provisionersdk/proto"
)

// templateTar for releases before the graph phase (before 2.30): the plan names the
// external-auth providers, the apply creates the agent.
func templateTar(agentToken string, providers []provider) ([]byte, error) {
	plan := &proto.PlanComplete{}
	for _, p := range providers {
		plan.ExternalAuthProviders = append(plan.ExternalAuthProviders,
			&proto.ExternalAuthProviderResource{Id: p.id, Optional: p.optional})
	}
	return echo.Tar(&echo.Responses{
		Parse:          echo.ParseComplete,
		ProvisionPlan:  []*proto.Response{{Type: &proto.Response_Plan{Plan: plan}}},
		ProvisionApply: echo.ProvisionApplyWithAgent(agentToken),
	})
}
