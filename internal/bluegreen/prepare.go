package bluegreen

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/rollout"
)

// PrepareStrategy is the strategy's part of Plan and Prepare: the objects
// as the rollout really writes them (the color Deployment, the active
// Service selecting it, the preview Service), the steps it takes, and what
// would break it, each with its fix. With the cluster it reads the color
// the live active Service selects and, for a migration, the rolling
// Deployment's current pod-template-hash.
func (s *Strategy) PrepareStrategy(ctx context.Context, t rollout.Target) (*rollout.StrategyPreparation, error) {
	bg := t.Release.Spec.Strategy.BlueGreen
	in := Input{Objects: t.Objects, Previous: t.Live, Config: bg, Smoke: t.Release.Spec.Verify.Smoke}
	l, fs := Compute(in)
	if len(fs) == 0 && s.Env.Clients != nil {
		in.LiveColor = s.liveColor(ctx, l.Active)
		if in.LiveColor != "" {
			l, fs = Compute(in)
		}
		if len(fs) == 0 && len(l.Autoscalers) > 0 {
			if old, ok := manifest.Find(t.Live, l.Old); ok {
				in.LiveReplicas = s.liveReplicas(ctx, old)
				l, fs = Compute(in)
			}
		}
		if len(fs) == 0 && l.Mode == ModeMigrate {
			if old, ok := manifest.Find(t.Live, l.Old); ok {
				hash, err := s.currentHash(ctx, old)
				if err != nil {
					fs = append(fs, rollout.Finding{Object: l.Old, Message: err.Error()})
				}
				in.MigrationHash = hash
				l, _ = Compute(in)
			}
		}
	}
	fs = append(fs, s.autoscalers(ctx, t.Objects)...)
	if len(fs) > 0 || l == nil {
		return &rollout.StrategyPreparation{Objects: t.Objects, Findings: fs}, nil
	}
	return &rollout.StrategyPreparation{Objects: l.Objects, Steps: l.Steps(bgOrDefault(bg)), Findings: fs}, nil
}

// liveColor is the color the live active Service selects ("" when it has
// none or cannot be read).
func (s *Strategy) liveColor(ctx context.Context, active manifest.Ref) string {
	svc, err := s.Env.Clients.Typed.CoreV1().Services(active.Namespace).Get(ctx, active.Name, metav1.GetOptions{})
	if err != nil {
		return ""
	}
	return svc.Spec.Selector[ColorLabel]
}

// autoscalers refuses what an autoscaler of the release's Deployment
// would break (autoscalerFindings): one of a color, one only the cluster
// has.
func (s *Strategy) autoscalers(ctx context.Context, objs []manifest.Object) []rollout.Finding {
	d, _ := theDeployment(objs)
	if d.Obj == nil {
		return nil
	}
	name, ns := d.Obj.GetName(), d.Obj.GetNamespace()
	var live []rollout.Autoscaler
	if s.Env.Clients != nil {
		var err error
		live, err = rollout.LiveAutoscalers(ctx, s.Env.Clients.Typed, ns, name, ColorName(name, Blue), ColorName(name, Green))
		if err != nil {
			return []rollout.Finding{{Object: d.Ref(), Message: err.Error()}}
		}
	}
	return autoscalerFindings(objs, live, name)
}
