package probe

import (
	"context"
	"fmt"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/gate"
	"github.com/kship/kship/internal/validate"
)

// baseline measures, on the revision running now, every gate that has a
// min or a max, with gate's own Evaluator as deploy measures its baseline
// just before the rollout; a gate the current state already breaks is a
// warning naming the value, the threshold and the advice (use maxIncrease,
// or fix the current state first). Deploy goes ahead and judges the new
// revision only on windows after its rollout, so the breach is never
// blamed on it; the warning says so before anything is written.
func (p *Prober) baseline(ctx context.Context, in Input, q gate.Querier, gates []config.Gate) []validate.Check {
	if in.Current == nil {
		return nil
	}
	var judged []config.Gate
	idx := map[string]int{}
	for i, g := range gates {
		if g.Min != nil || g.Max != nil {
			judged = append(judged, g)
			idx[g.Name] = i
		}
	}
	if len(judged) == 0 {
		return nil
	}
	e := &gate.Evaluator{Q: q, Now: p.now, Timeout: p.timeout(), Vars: *in.Current}
	base := e.Baseline(ctx, judged)
	var out []validate.Check
	for _, g := range judged {
		m := base[g.Name]
		if m.Warning == "" {
			continue
		}
		path := fmt.Sprintf("spec.verify.metrics.gates[%d]", idx[g.Name])
		out = append(out, item(in, path, validate.Warn,
			fmt.Sprintf("baseline warning: %s; deploy goes ahead and judges the new revision only on windows wholly after its rollout, so this is not blamed on it", m.Warning),
			fmt.Sprintf("the gate's query on the revision running now, as sent: %s", m.Query)))
	}
	return out
}
