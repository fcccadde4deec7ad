package pod

// The fields of this file place a pod in a cluster: which node, in what
// order, beside which pods, under which identity. A podunit host is one
// node with no scheduler and no API server, so they are decoded with their
// full Kubernetes shape (a typo inside them is still an error), change
// nothing, and each one set earns one warning that says so.

type Affinity struct {
	NodeAffinity    *NodeAffinity `json:"nodeAffinity,omitempty" yaml:"nodeAffinity,omitempty"`
	PodAffinity     *PodAffinity  `json:"podAffinity,omitempty" yaml:"podAffinity,omitempty"`
	PodAntiAffinity *PodAffinity  `json:"podAntiAffinity,omitempty" yaml:"podAntiAffinity,omitempty"`
}

type NodeAffinity struct {
	Required  *NodeSelector             `json:"requiredDuringSchedulingIgnoredDuringExecution,omitempty" yaml:"requiredDuringSchedulingIgnoredDuringExecution,omitempty"`
	Preferred []PreferredSchedulingTerm `json:"preferredDuringSchedulingIgnoredDuringExecution,omitempty" yaml:"preferredDuringSchedulingIgnoredDuringExecution,omitempty"`
}

type NodeSelector struct {
	NodeSelectorTerms []NodeSelectorTerm `json:"nodeSelectorTerms" yaml:"nodeSelectorTerms"`
}

type NodeSelectorTerm struct {
	MatchExpressions []SelectorRequirement `json:"matchExpressions,omitempty" yaml:"matchExpressions,omitempty"`
	MatchFields      []SelectorRequirement `json:"matchFields,omitempty" yaml:"matchFields,omitempty"`
}

// SelectorRequirement is Kubernetes' NodeSelectorRequirement and
// LabelSelectorRequirement, which have the same fields.
type SelectorRequirement struct {
	Key      string   `json:"key" yaml:"key"`
	Operator string   `json:"operator" yaml:"operator"`
	Values   []string `json:"values,omitempty" yaml:"values,omitempty"`
}

type PreferredSchedulingTerm struct {
	Weight     int64            `json:"weight" yaml:"weight"`
	Preference NodeSelectorTerm `json:"preference" yaml:"preference"`
}

// PodAffinity is also Kubernetes' PodAntiAffinity, which has its fields.
type PodAffinity struct {
	Required  []PodAffinityTerm         `json:"requiredDuringSchedulingIgnoredDuringExecution,omitempty" yaml:"requiredDuringSchedulingIgnoredDuringExecution,omitempty"`
	Preferred []WeightedPodAffinityTerm `json:"preferredDuringSchedulingIgnoredDuringExecution,omitempty" yaml:"preferredDuringSchedulingIgnoredDuringExecution,omitempty"`
}

type PodAffinityTerm struct {
	LabelSelector     *LabelSelector `json:"labelSelector,omitempty" yaml:"labelSelector,omitempty"`
	Namespaces        []string       `json:"namespaces,omitempty" yaml:"namespaces,omitempty"`
	TopologyKey       string         `json:"topologyKey" yaml:"topologyKey"`
	NamespaceSelector *LabelSelector `json:"namespaceSelector,omitempty" yaml:"namespaceSelector,omitempty"`
	MatchLabelKeys    []string       `json:"matchLabelKeys,omitempty" yaml:"matchLabelKeys,omitempty"`
	MismatchLabelKeys []string       `json:"mismatchLabelKeys,omitempty" yaml:"mismatchLabelKeys,omitempty"`
}

type WeightedPodAffinityTerm struct {
	Weight          int64           `json:"weight" yaml:"weight"`
	PodAffinityTerm PodAffinityTerm `json:"podAffinityTerm" yaml:"podAffinityTerm"`
}

type LabelSelector struct {
	MatchLabels      map[string]string     `json:"matchLabels,omitempty" yaml:"matchLabels,omitempty"`
	MatchExpressions []SelectorRequirement `json:"matchExpressions,omitempty" yaml:"matchExpressions,omitempty"`
}

type Toleration struct {
	Key               string `json:"key,omitempty" yaml:"key,omitempty"`
	Operator          string `json:"operator,omitempty" yaml:"operator,omitempty"`
	Value             string `json:"value,omitempty" yaml:"value,omitempty"`
	Effect            string `json:"effect,omitempty" yaml:"effect,omitempty"`
	TolerationSeconds *int64 `json:"tolerationSeconds,omitempty" yaml:"tolerationSeconds,omitempty"`
}

type TopologySpreadConstraint struct {
	MaxSkew            int64          `json:"maxSkew" yaml:"maxSkew"`
	TopologyKey        string         `json:"topologyKey" yaml:"topologyKey"`
	WhenUnsatisfiable  string         `json:"whenUnsatisfiable" yaml:"whenUnsatisfiable"`
	LabelSelector      *LabelSelector `json:"labelSelector,omitempty" yaml:"labelSelector,omitempty"`
	MinDomains         *int64         `json:"minDomains,omitempty" yaml:"minDomains,omitempty"`
	NodeAffinityPolicy *string        `json:"nodeAffinityPolicy,omitempty" yaml:"nodeAffinityPolicy,omitempty"`
	NodeTaintsPolicy   *string        `json:"nodeTaintsPolicy,omitempty" yaml:"nodeTaintsPolicy,omitempty"`
	MatchLabelKeys     []string       `json:"matchLabelKeys,omitempty" yaml:"matchLabelKeys,omitempty"`
}

type PodSchedulingGate struct {
	Name string `json:"name" yaml:"name"`
}

type PodReadinessGate struct {
	ConditionType string `json:"conditionType" yaml:"conditionType"`
}

const (
	noScheduler = "there is no scheduler: the pod runs on this host"
	noAPIServer = "there is no API server"
)

// warnScheduling names each cluster-only field the pod sets, once.
func (s *PodSpec) warnScheduling(v *validator) {
	for _, w := range []struct {
		set   bool
		field string
		msg   string
	}{
		{s.NodeName != "", "nodeName", noScheduler + " whatever node it names; fieldRef spec.nodeName gives this host's name"},
		{len(s.NodeSelector) > 0, "nodeSelector", noScheduler + " whatever its labels"},
		{s.Affinity != nil, "affinity", noScheduler + ", beside whatever other pods"},
		{len(s.Tolerations) > 0, "tolerations", "this host has no taints to tolerate: the pod runs here and is never evicted for a taint"},
		{s.SchedulerName != "", "schedulerName", noScheduler + ", started by systemd"},
		{s.Priority != nil, "priority", noScheduler + ": no pod is preempted for another"},
		{s.PriorityClassName != "", "priorityClassName", noScheduler + ": no pod is preempted for another"},
		{s.PreemptionPolicy != nil, "preemptionPolicy", noScheduler + ": no pod is preempted for another"},
		{len(s.TopologySpreadConstraints) > 0, "topologySpreadConstraints", noScheduler + ", which is the whole topology"},
		{len(s.SchedulingGates) > 0, "schedulingGates", "the gates are treated as removed: nothing on a single host could remove them, so the pod starts at once"},
		{len(s.ReadinessGates) > 0, "readinessGates", "the gates are treated as satisfied: nothing on a single host sets pod conditions, so the pod is Ready when its containers are"},
		{s.ServiceAccountName != "", "serviceAccountName", noAPIServer + ": no service account token is mounted; fieldRef spec.serviceAccountName gives the name"},
		{s.DeprecatedServiceAccount != "", "serviceAccount", noAPIServer + ": no service account token is mounted; fieldRef spec.serviceAccountName gives the name"},
		{s.AutomountServiceAccountToken != nil, "automountServiceAccountToken", noAPIServer + ": no service account token is ever mounted"},
		{s.EnableServiceLinks != nil, "enableServiceLinks", "there are no Services: no service environment variables are set either way"},
		{s.DNSPolicy == DNSClusterFirst || s.DNSPolicy == DNSClusterFirstWithHostNet, "dnsPolicy",
			"there is no cluster DNS: " + s.DNSPolicy + " uses the host's resolvers, as Default does"},
	} {
		if w.set {
			v.warnf("spec."+w.field, "%s", w.msg)
		}
	}
}
