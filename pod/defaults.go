package pod

import "strings"

// Default fills in what Kubernetes would: namespace "default",
// restartPolicy Always, a 30 s termination grace period and each
// container's imagePullPolicy. Decode calls it; it is idempotent.
func (p *Pod) Default() {
	if p.Metadata.Namespace == "" {
		p.Metadata.Namespace = "default"
	}
	if p.Spec.RestartPolicy == "" {
		p.Spec.RestartPolicy = RestartAlways
	}
	if p.Spec.TerminationGracePeriodSeconds == nil {
		grace := int64(30)
		p.Spec.TerminationGracePeriodSeconds = &grace
	}
	for _, cs := range [][]Container{p.Spec.InitContainers, p.Spec.Containers} {
		for i := range cs {
			if cs[i].ImagePullPolicy == "" && cs[i].Image != "" {
				cs[i].ImagePullPolicy = defaultPullPolicy(cs[i].Image)
			}
		}
	}
}

// defaultPullPolicy follows Kubernetes: a moving tag (latest, or none,
// which means latest) is pulled every time; a fixed tag or a digest is
// pulled only when missing.
func defaultPullPolicy(image string) string {
	if strings.Contains(image, "@") {
		return PullIfNotPresent
	}
	// The last path component holds the tag; earlier colons are a
	// registry port (localhost:5000/busybox).
	name := image[strings.LastIndex(image, "/")+1:]
	if i := strings.LastIndex(name, ":"); i >= 0 && name[i+1:] != "latest" {
		return PullIfNotPresent
	}
	return PullAlways
}
