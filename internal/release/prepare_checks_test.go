package release

import (
	"strings"
	"testing"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/validate"
)

func TestAddSeamsCheck(t *testing.T) {
	for typ, blocks := range map[string]bool{"": false, config.StrategyRolling: false, config.StrategyCanary: true, config.StrategyBlueGreen: true} {
		r := &validate.Report{}
		addSeamsCheck(r, &config.Release{Spec: config.Spec{Strategy: config.Strategy{Type: typ}}}, testCatalog())
		if r.Blocking() != blocks {
			t.Errorf("strategy %q: blocking %v, want %v", typ, r.Blocking(), blocks)
		}
	}
	for mech, blocks := range map[string]bool{"": false, config.MechanismApply: false, config.MechanismHelm: true, config.MechanismGitOps: true} {
		r := &validate.Report{}
		addSeamsCheck(r, &config.Release{Spec: config.Spec{Mechanism: mech}}, testCatalog())
		if r.Blocking() != blocks {
			t.Errorf("mechanism %q: blocking %v, want %v", mech, r.Blocking(), blocks)
		}
		if blocks && !strings.Contains(r.Checks[0].Message, "mechanism "+mech+" is not supported yet: set spec.mechanism to apply") {
			t.Errorf("mechanism %q: %q", mech, r.Checks[0].Message)
		}
	}
}
