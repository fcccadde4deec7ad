package pod

// Warning is something in a manifest that podunit accepts but that does
// not mean on this host what it means in a cluster, or that Kubernetes
// accepts although it is probably a mistake. It has the position and
// field path of an Error; Decode attaches a pod's warnings to the pod.
type Warning Error

func (w *Warning) String() string { return (*Error)(w).Error() }

func (v *validator) warnf(field, format string, args ...any) {
	// Warnings have positions as errors do; reuse the lookup and keep the
	// error list as it was.
	n := len(v.errs)
	v.errorf(field, format, args...)
	w := Warning(*v.errs[n].(*Error))
	v.errs = v.errs[:n]
	v.warnings = append(v.warnings, &w)
}
