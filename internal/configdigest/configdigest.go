// Package configdigest makes config changes roll. It stamps into the pod
// template of every Deployment, StatefulSet and DaemonSet of a release a
// digest of the ConfigMaps and Secrets of the same release that the
// template consumes (env valueFrom, envFrom, configMap and secret volumes,
// projected volumes), as the annotation kship.dev/config-digest. A change
// to that config then changes the template, so the workload is rolled out
// and verified in the same release, and a rollback, which re-applies a
// revision's stamped objects, restores both the config and the pods that
// read it. Helm users do the same by hand with checksum annotations.
//
// What is digested: for each consumed object, the keys the template reads
// (every key for envFrom and for volumes without items; the named keys
// for env valueFrom and for volume items) and their values, Secret values
// decoded and stringData merged as the API server does. Only objects of
// the release's own bundle count: a ConfigMap that lives only in the
// cluster is not the release's to roll, and kship cannot know when it
// changes.
//
// Secrets: the digest is written into the pod template, which more people
// may read than the Secret, so each Secret's part of it is an HMAC-SHA256
// under a random 32-byte Key, not a plain hash: a plain hash of a short
// value (a PIN, a word) could be reversed by trying candidates, a keyed one
// cannot without the key. The key is kept with the release's history, in
// its revision Secrets (protected like the release's Secrets, which they
// already hold), so the digest of unchanged Secrets is stable from one
// release to the next. ConfigMaps are hashed with plain SHA-256, so their
// part of a digest does not depend on the key.
//
// Opting out: the annotation kship.dev/restart-on-config-change: "false"
// on a workload leaves its template unstamped (for a workload that reloads
// its config itself); on a ConfigMap or Secret it keeps that object out of
// every digest.
//
// Jobs and CronJobs are not stamped: a Job's pod template is immutable, so
// stamping it would turn every config change into a refused apply, and
// their pods read the config when they start, after kship applied it (the
// config comes first in apply order). ReplicaSets, ReplicationControllers
// and bare Pods are not stamped either: changing their template replaces
// no running pod.
package configdigest

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kship/kship/internal/manifest"
)

// Annotation is the pod-template annotation that holds the digest.
const Annotation = "kship.dev/config-digest"

// OptOutAnnotation, set to "false" on a workload, ConfigMap or Secret,
// opts that object out of restarts on config changes.
const OptOutAnnotation = "kship.dev/restart-on-config-change"

// Stamp sets Annotation on the pod template of every workload among objs
// that consumes ConfigMaps or Secrets of objs (see Uses), in place, after
// rendering and before validation, so every later stage sees the objects
// deploy applies. key
// keys the hash of Secret data. It returns an error, changing nothing,
// when an OptOutAnnotation is neither "true" nor "false" (naming each
// object and its file and line) or when a Secret is consumed and key is
// empty.
func Stamp(objs []manifest.Object, key Key) error {
	if err := checkOptOuts(objs); err != nil {
		return err
	}
	configs := bundleConfigs(objs)
	type stamp struct {
		obj    *unstructured.Unstructured
		digest string
	}
	var stamps []stamp
	for _, w := range byWorkload(objs, configs) {
		d, err := digest(w.uses, configs, key)
		if err != nil {
			return &manifest.Error{Source: w.obj.Source, Msg: fmt.Sprintf("%s: %s: %v", w.obj.Ref(), Annotation, err)}
		}
		stamps = append(stamps, stamp{w.obj.Obj, d})
	}
	for _, s := range stamps {
		setTemplateAnnotation(s.obj, s.digest)
	}
	return nil
}

// Of returns the digest stamped into a workload's pod template, "" when
// there is none (or u is nil).
func Of(u *unstructured.Unstructured) string {
	if u == nil {
		return ""
	}
	v, _, _ := unstructured.NestedString(u.Object, "spec", "template", "metadata", "annotations", Annotation)
	return v
}

// Unstamped returns the object without the digest Stamp wrote into its pod
// template (u itself when it has none), for comparing two renderings of one
// release: a first release's Secret digests are keyed by a key made anew
// each time, so its stamped digests differ while the objects do not.
func Unstamped(u *unstructured.Unstructured) *unstructured.Unstructured {
	if Of(u) == "" {
		return u
	}
	c := u.DeepCopy()
	unstructured.RemoveNestedField(c.Object, "spec", "template", "metadata", "annotations", Annotation)
	if a, _, _ := unstructured.NestedMap(c.Object, "spec", "template", "metadata", "annotations"); len(a) == 0 {
		unstructured.RemoveNestedField(c.Object, "spec", "template", "metadata", "annotations")
	}
	return c
}

// OptedOut reports whether an object carries OptOutAnnotation "false".
func OptedOut(u *unstructured.Unstructured) bool {
	return u != nil && u.GetAnnotations()[OptOutAnnotation] == "false"
}

// checkOptOuts refuses an OptOutAnnotation that is neither "true" nor
// "false", every such object named.
func checkOptOuts(objs []manifest.Object) error {
	var bad manifest.ErrorList
	for _, o := range objs {
		v, ok := o.Obj.GetAnnotations()[OptOutAnnotation]
		if !ok || v == "true" || v == "false" {
			continue
		}
		bad = append(bad, &manifest.Error{Source: o.Source, Msg: fmt.Sprintf(
			"%s: annotation %s is %q: write \"false\" to keep config changes from restarting it (or \"true\", the default)", o.Ref(), OptOutAnnotation, v)})
	}
	return bad.Err()
}

// setTemplateAnnotation sets the digest among the pod template's
// annotations. A template whose metadata or annotations are not objects
// is left as it is: schema validation refuses it with its line.
func setTemplateAnnotation(u *unstructured.Unstructured, digest string) {
	cur := u.Object
	for _, k := range []string{"spec", "template", "metadata", "annotations"} {
		next, found := cur[k]
		if !found || next == nil {
			next = map[string]any{}
			cur[k] = next
		}
		m, ok := next.(map[string]any)
		if !ok {
			return
		}
		cur = m
	}
	cur[Annotation] = digest
}
