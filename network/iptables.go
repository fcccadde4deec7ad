package network

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"sort"
	"strings"
)

// The CNI plugins tag their iptables rules with the container ID
// (bridge's ipMasq: `name: "<net>" id: "<id>"`; portmap: `dnat name: …
// id: …`), put the rest in per-attachment chains (CNI-<hash>,
// CNI-DN-<hash>), and the firewall plugin adds untagged CNI-FORWARD rules
// for the pod's address. When a pod's record and libcni's cache are both
// lost, DEL cannot run; these rules are then found and removed from
// iptables-save output directly.

var (
	ruleID     = regexp.MustCompile(`id: \\"(podunit-[a-z0-9-]+)\\"`)
	ruleSource = regexp.MustCompile(` -s ([0-9.]+)/32 `)
	ruleJump   = regexp.MustCompile(` -j (CNI-[A-Za-z0-9-]+)`)
)

// sharedChains are created once by the plugins and used by every pod.
var sharedChains = map[string]bool{
	"CNI-HOSTPORT-DNAT": true, "CNI-HOSTPORT-MASQ": true, "CNI-HOSTPORT-SETMARK": true,
	"CNI-FORWARD": true, "CNI-ADMIN": true,
}

type rule struct {
	table, chain, line string // line is the iptables-save "-A …" text
}

func parseSave(save string) []rule {
	var out []rule
	table := ""
	for _, l := range strings.Split(save, "\n") {
		switch {
		case strings.HasPrefix(l, "*"):
			table = l[1:]
		case strings.HasPrefix(l, "-A "):
			chain, _, _ := strings.Cut(l[3:], " ")
			out = append(out, rule{table: table, chain: chain, line: l})
		}
	}
	return out
}

// RulePods lists the pods that iptables rules are tagged with.
func RulePods(save string) map[string]bool {
	out := map[string]bool{}
	for _, r := range parseSave(save) {
		if m := ruleID.FindStringSubmatch(r.line); m != nil {
			out[PodOf(m[1])] = true
		}
	}
	return out
}

// OrphanRules returns the iptables-restore --noflush script that removes
// every rule and per-pod chain of pod: its tagged rules, the chains they
// jump to, and the firewall plugin's rules for the addresses its
// masquerade rules name. Empty when there is nothing.
func OrphanRules(save, pod string) string {
	id := ContainerID(pod)
	rules := parseSave(save)
	chains := map[string]string{} // per-pod chain -> table
	addrs := map[string]bool{}
	for _, r := range rules {
		m := ruleID.FindStringSubmatch(r.line)
		if m == nil || m[1] != id {
			continue
		}
		if j := ruleJump.FindStringSubmatch(r.line); j != nil && !sharedChains[j[1]] {
			chains[j[1]] = r.table
		}
		if s := ruleSource.FindStringSubmatch(r.line + " "); s != nil {
			addrs[s[1]] = true
		}
	}
	byTable := map[string][]string{}
	for _, r := range rules {
		if _, inPodChain := chains[r.chain]; inPodChain {
			continue // flushed with its chain
		}
		m := ruleID.FindStringSubmatch(r.line)
		tagged := m != nil && m[1] == id
		firewall := r.chain == "CNI-FORWARD" && m == nil && mentionsAny(r.line, addrs)
		if tagged || firewall {
			byTable[r.table] = append(byTable[r.table], "-D "+r.line[3:])
		}
	}
	names := make([]string, 0, len(chains))
	for c := range chains {
		names = append(names, c)
	}
	sort.Strings(names)
	for _, c := range names {
		t := chains[c]
		byTable[t] = append(byTable[t], "-F "+c, "-X "+c)
	}
	var b strings.Builder
	for _, t := range []string{"nat", "filter", "mangle", "raw"} {
		if len(byTable[t]) == 0 {
			continue
		}
		fmt.Fprintf(&b, "*%s\n%s\nCOMMIT\n", t, strings.Join(byTable[t], "\n"))
	}
	return b.String()
}

func mentionsAny(line string, addrs map[string]bool) bool {
	for a := range addrs {
		if strings.Contains(line+" ", " -d "+a+"/32 ") || strings.Contains(line+" ", " -s "+a+"/32 ") {
			return true
		}
	}
	return false
}

// iptablesSave returns the current rules; no iptables at all means no
// rules to clean.
func iptablesSave(ctx context.Context) (string, error) {
	if _, err := exec.LookPath("iptables-save"); err != nil {
		return "", nil
	}
	out, err := exec.CommandContext(ctx, "iptables-save").Output()
	if err != nil {
		return "", fmt.Errorf("iptables-save: %w", err)
	}
	return string(out), nil
}

// removeOrphanRules deletes what OrphanRules finds for pod.
func removeOrphanRules(ctx context.Context, pod string) error {
	save, err := iptablesSave(ctx)
	if err != nil || save == "" {
		return err
	}
	script := OrphanRules(save, pod)
	if script == "" {
		return nil
	}
	cmd := exec.CommandContext(ctx, "iptables-restore", "--noflush")
	cmd.Stdin = strings.NewReader(script)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("remove iptables rules of pod %q: %w: %s", pod, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
