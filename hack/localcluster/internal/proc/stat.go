package proc

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// stat is the part of /proc/<pid>/stat this package needs.
type stat struct {
	state string
	pgid  int
}

// readStat parses /proc/<pid>/stat. The command name (field 2) may contain
// spaces and parentheses, so parsing starts after its last ')'.
func readStat(pid int) (stat, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return stat{}, err
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return stat{}, fmt.Errorf("parse /proc/%d/stat: no command name", pid)
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 3 {
		return stat{}, fmt.Errorf("parse /proc/%d/stat: too few fields", pid)
	}
	pgid, err := strconv.Atoi(fields[2])
	if err != nil {
		return stat{}, fmt.Errorf("parse /proc/%d/stat: pgid: %w", pid, err)
	}
	return stat{state: fields[0], pgid: pgid}, nil
}

// GroupMembers returns the live (non-zombie) processes whose process group
// is pgid, by scanning /proc.
func GroupMembers(pgid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := readStat(pid)
		if err == nil && st.pgid == pgid && st.state != "Z" {
			pids = append(pids, pid)
		}
	}
	return pids
}
