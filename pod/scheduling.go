package pod

import "fmt"

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

// warnScheduling names each cluster-only field the pod sets, once, after
// checking it as the API server would.
func (s *PodSpec) warnScheduling(v *validator) {
	s.validateScheduling(v)
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

// validateScheduling refuses what the API server would: the fields do
// nothing here, but a manifest Kubernetes rejects is not a valid pod.
func (s *PodSpec) validateScheduling(v *validator) {
	if s.NodeName != "" && (len(s.NodeName) > 253 || !dns1123Sub.MatchString(s.NodeName)) {
		v.errorf("spec.nodeName", "invalid value %q: must be a lowercase DNS subdomain", truncate(s.NodeName))
	}
	if a := s.Affinity; a != nil {
		if na := a.NodeAffinity; na != nil {
			if na.Required != nil {
				f := "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"
				if len(na.Required.NodeSelectorTerms) == 0 {
					v.errorf(f, "must have at least one node selector term")
				}
				for i, t := range na.Required.NodeSelectorTerms {
					t.validate(v, fmt.Sprintf("%s[%d]", f, i))
				}
			}
			for i, p := range na.Preferred {
				f := fmt.Sprintf("spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[%d]", i)
				validateWeight(v, f+".weight", p.Weight)
				p.Preference.validate(v, f+".preference")
			}
		}
		for name, pa := range map[string]*PodAffinity{"podAffinity": a.PodAffinity, "podAntiAffinity": a.PodAntiAffinity} {
			if pa == nil {
				continue
			}
			for i, t := range pa.Required {
				t.validate(v, fmt.Sprintf("spec.affinity.%s.requiredDuringSchedulingIgnoredDuringExecution[%d]", name, i))
			}
			for i, w := range pa.Preferred {
				f := fmt.Sprintf("spec.affinity.%s.preferredDuringSchedulingIgnoredDuringExecution[%d]", name, i)
				validateWeight(v, f+".weight", w.Weight)
				w.PodAffinityTerm.validate(v, f+".podAffinityTerm")
			}
		}
	}
	for i, t := range s.Tolerations {
		f := fmt.Sprintf("spec.tolerations[%d]", i)
		switch t.Operator {
		case "", "Equal":
		case "Exists":
			if t.Value != "" {
				v.errorf(f+".value", "must be empty when operator is Exists")
			}
		default:
			v.errorf(f+".operator", "unsupported value %q (want Equal or Exists)", truncate(t.Operator))
		}
		switch t.Effect {
		case "", "NoSchedule", "PreferNoSchedule", "NoExecute":
		default:
			v.errorf(f+".effect", "unsupported value %q (want NoSchedule, PreferNoSchedule or NoExecute)", truncate(t.Effect))
		}
		if t.TolerationSeconds != nil && t.Effect != "NoExecute" {
			v.errorf(f+".effect", "must be NoExecute when tolerationSeconds is set")
		}
	}
	if p := s.Priority; p != nil && (*p < -(1<<31) || *p >= 1<<31) {
		v.errorf("spec.priority", "must be a 32-bit integer")
	}
	if p := s.PreemptionPolicy; p != nil && *p != "PreemptLowerPriority" && *p != "Never" {
		v.errorf("spec.preemptionPolicy", "unsupported value %q (want PreemptLowerPriority or Never)", truncate(*p))
	}
	for i, c := range s.TopologySpreadConstraints {
		f := fmt.Sprintf("spec.topologySpreadConstraints[%d]", i)
		if c.MaxSkew <= 0 {
			v.errorf(f+".maxSkew", "must be greater than zero")
		}
		if c.TopologyKey == "" {
			v.errorf(f+".topologyKey", "required value")
		}
		if c.WhenUnsatisfiable != "DoNotSchedule" && c.WhenUnsatisfiable != "ScheduleAnyway" {
			v.errorf(f+".whenUnsatisfiable", "unsupported value %q (want DoNotSchedule or ScheduleAnyway)", truncate(c.WhenUnsatisfiable))
		}
		if c.MinDomains != nil && *c.MinDomains <= 0 {
			v.errorf(f+".minDomains", "must be greater than zero")
		}
		for name, p := range map[string]*string{"nodeAffinityPolicy": c.NodeAffinityPolicy, "nodeTaintsPolicy": c.NodeTaintsPolicy} {
			if p != nil && *p != "Honor" && *p != "Ignore" {
				v.errorf(f+"."+name, "unsupported value %q (want Honor or Ignore)", truncate(*p))
			}
		}
		c.LabelSelector.validate(v, f+".labelSelector")
	}
	for i, g := range s.SchedulingGates {
		if msg := qualifiedNameProblem(g.Name); msg != "" {
			v.errorf(fmt.Sprintf("spec.schedulingGates[%d].name", i), "invalid value %q: %s", truncate(g.Name), msg)
		}
	}
	for i, g := range s.ReadinessGates {
		if msg := qualifiedNameProblem(g.ConditionType); msg != "" {
			v.errorf(fmt.Sprintf("spec.readinessGates[%d].conditionType", i), "invalid value %q: %s", truncate(g.ConditionType), msg)
		}
	}
}

func validateWeight(v *validator, f string, w int64) {
	if w < 1 || w > 100 {
		v.errorf(f, "must be in the range 1-100")
	}
}

func (t NodeSelectorTerm) validate(v *validator, f string) {
	for i, r := range t.MatchExpressions {
		r.validate(v, fmt.Sprintf("%s.matchExpressions[%d]", f, i), true)
	}
	for i, r := range t.MatchFields {
		r.validate(v, fmt.Sprintf("%s.matchFields[%d]", f, i), true)
	}
}

func (t PodAffinityTerm) validate(v *validator, f string) {
	if t.TopologyKey == "" {
		v.errorf(f+".topologyKey", "required value")
	}
	t.LabelSelector.validate(v, f+".labelSelector")
	t.NamespaceSelector.validate(v, f+".namespaceSelector")
}

func (l *LabelSelector) validate(v *validator, f string) {
	if l == nil {
		return
	}
	for i, r := range l.MatchExpressions {
		r.validate(v, fmt.Sprintf("%s.matchExpressions[%d]", f, i), false)
	}
}

// validate checks a requirement's operator and values; node selectors
// also have Gt and Lt, with one integer value.
func (r SelectorRequirement) validate(v *validator, f string, node bool) {
	if r.Key == "" {
		v.errorf(f+".key", "required value")
	}
	switch r.Operator {
	case "In", "NotIn":
		if len(r.Values) == 0 {
			v.errorf(f+".values", "must be specified when operator is In or NotIn")
		}
	case "Exists", "DoesNotExist":
		if len(r.Values) > 0 {
			v.errorf(f+".values", "must be empty when operator is Exists or DoesNotExist")
		}
	case "Gt", "Lt":
		if !node {
			v.errorf(f+".operator", "unsupported value %q (want In, NotIn, Exists or DoesNotExist)", r.Operator)
		} else if len(r.Values) != 1 || !integerLiteral.MatchString(r.Values[0]) {
			v.errorf(f+".values", "must be one integer when operator is Gt or Lt")
		}
	default:
		want := "In, NotIn, Exists or DoesNotExist"
		if node {
			want = "In, NotIn, Exists, DoesNotExist, Gt or Lt"
		}
		v.errorf(f+".operator", "unsupported value %q (want %s)", truncate(r.Operator), want)
	}
}
