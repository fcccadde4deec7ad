package podinit

import (
	"fmt"
	"strconv"
	"strings"
)

type passwdEntry struct {
	name     string
	uid, gid uint32
	home     string
}

type groupEntry struct {
	name    string
	gid     uint32
	members []string
}

// identity is what a container process runs as.
type identity struct {
	UID, GID uint32
	Groups   []uint32 // supplementary groups
	Home     string
}

// parsePasswd reads /etc/passwd text; malformed lines are skipped, as libc
// does, so that one odd entry does not make a whole image unusable.
func parsePasswd(text string) []passwdEntry {
	var out []passwdEntry
	for _, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) < 4 {
			continue
		}
		uid, err1 := parseID(f[2])
		gid, err2 := parseID(f[3])
		if err1 != nil || err2 != nil {
			continue
		}
		e := passwdEntry{name: f[0], uid: uid, gid: gid}
		if len(f) > 5 {
			e.home = f[5]
		}
		out = append(out, e)
	}
	return out
}

// parseGroup reads /etc/group text; malformed lines are skipped.
func parseGroup(text string) []groupEntry {
	var out []groupEntry
	for _, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) < 3 {
			continue
		}
		gid, err := parseID(f[2])
		if err != nil {
			continue
		}
		e := groupEntry{name: f[0], gid: gid}
		if len(f) > 3 && f[3] != "" {
			for _, m := range strings.Split(f[3], ",") {
				if m = strings.TrimSpace(m); m != "" {
					e.members = append(e.members, m)
				}
			}
		}
		out = append(out, e)
	}
	return out
}

func parseID(s string) (uint32, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	return uint32(n), err
}

// resolveUser resolves an image User ("", "name", "uid", "name:group",
// "uid:gid", mixed forms too) the way runc does for Docker and Kubernetes:
// names must exist in the container's files, numbers need not; the
// primary group comes from the passwd entry unless given; supplementary
// groups come from /etc/group membership, and only when no group was
// given explicitly.
func resolveUser(spec, passwdText, groupText string) (identity, error) {
	userPart, groupPart, hasGroup := strings.Cut(spec, ":")
	if hasGroup && groupPart == "" {
		return identity{}, fmt.Errorf("user %q: empty group", spec)
	}
	if userPart == "" {
		if hasGroup {
			return identity{}, fmt.Errorf("user %q: empty user", spec)
		}
		userPart = "0"
	}
	id := identity{Home: "/"}
	matchedName := ""
	uidNum, uidErr := parseID(userPart)
	found := false
	for _, e := range parsePasswd(passwdText) {
		if e.name == userPart || (uidErr == nil && e.uid == uidNum) {
			id.UID, id.GID, matchedName, found = e.uid, e.gid, e.name, true
			if e.home != "" {
				id.Home = e.home
			}
			break
		}
	}
	if !found {
		if uidErr != nil {
			return identity{}, fmt.Errorf("user %q: no matching entry in /etc/passwd", userPart)
		}
		id.UID, id.GID = uidNum, 0
	}
	groups := parseGroup(groupText)
	if hasGroup {
		gidNum, gidErr := parseID(groupPart)
		gfound := false
		for _, g := range groups {
			if g.name == groupPart || (gidErr == nil && g.gid == gidNum) {
				id.GID, gfound = g.gid, true
				break
			}
		}
		if !gfound {
			if gidErr != nil {
				return identity{}, fmt.Errorf("group %q: no matching entry in /etc/group", groupPart)
			}
			id.GID = gidNum
		}
		return id, nil
	}
	if matchedName != "" {
		seen := map[uint32]bool{}
		for _, g := range groups {
			for _, m := range g.members {
				if m == matchedName && !seen[g.gid] {
					seen[g.gid] = true
					id.Groups = append(id.Groups, g.gid)
				}
			}
		}
	}
	return id, nil
}
