package manifest

// Object sets: a release's objects are compared by Ref (what a revision
// has that another lacks, what a rollback must delete or recreate).

// Refs returns the Refs of objs.
func Refs(objs []Object) []Ref {
	out := make([]Ref, 0, len(objs))
	for _, o := range objs {
		out = append(out, o.Ref())
	}
	return out
}

// Missing returns the objects of from whose Ref is not in in.
func Missing(from, in []Object) []Object {
	have := make(map[Ref]bool, len(in))
	for _, o := range in {
		have[o.Ref()] = true
	}
	var out []Object
	for _, o := range from {
		if !have[o.Ref()] {
			out = append(out, o)
		}
	}
	return out
}

// Union returns the objects of a followed by those of b not in a.
func Union(a, b []Object) []Object {
	return append(append([]Object(nil), a...), Missing(b, a)...)
}

// Without returns objs less those named in refs.
func Without(objs []Object, refs []Ref) []Object {
	if len(refs) == 0 {
		return objs
	}
	skip := map[Ref]bool{}
	for _, r := range refs {
		skip[r] = true
	}
	var out []Object
	for _, o := range objs {
		if !skip[o.Ref()] {
			out = append(out, o)
		}
	}
	return out
}

// Jobs returns the Jobs of objs named in names.
func Jobs(objs []Object, names map[string]bool) []Object {
	var out []Object
	for _, o := range objs {
		if o.Obj.GetKind() == "Job" && names[o.Obj.GetName()] {
			out = append(out, o)
		}
	}
	return out
}

// WithoutJobs returns objs less the Jobs named in names.
func WithoutJobs(objs []Object, names map[string]bool) []Object {
	var out []Object
	for _, o := range objs {
		if o.Obj.GetKind() == "Job" && names[o.Obj.GetName()] {
			continue
		}
		out = append(out, o)
	}
	return out
}

// Find returns the object of objs with ref, if any.
func Find(objs []Object, ref Ref) (Object, bool) {
	for _, o := range objs {
		if o.Ref() == ref {
			return o, true
		}
	}
	return Object{}, false
}

// Replace returns objs with the object of ref replaced by with (several
// objects, or none).
func Replace(objs []Object, ref Ref, with ...Object) []Object {
	out := make([]Object, 0, len(objs)+len(with))
	for _, o := range objs {
		if o.Ref() == ref {
			out = append(out, with...)
			continue
		}
		out = append(out, o)
	}
	return out
}
