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
	ppid  int
	pgid  int
	start string // start time in clock ticks since boot: tells a recycled PID apart
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
	if len(fields) < 20 {
		return stat{}, fmt.Errorf("parse /proc/%d/stat: too few fields", pid)
	}
	ppid, err := strconv.Atoi(fields[1])
	if err != nil {
		return stat{}, fmt.Errorf("parse /proc/%d/stat: ppid: %w", pid, err)
	}
	pgid, err := strconv.Atoi(fields[2])
	if err != nil {
		return stat{}, fmt.Errorf("parse /proc/%d/stat: pgid: %w", pid, err)
	}
	// fields[0] is field 3 of stat(5); starttime is field 22.
	return stat{state: fields[0], ppid: ppid, pgid: pgid, start: fields[19]}, nil
}

// allStats reads the stat of every process.
func allStats() map[int]stat {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	stats := map[int]stat{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := readStat(pid); err == nil {
			stats[pid] = st
		}
	}
	return stats
}

// Process identifies one process across PID reuse.
type Process struct {
	PID   int
	start string
}

// Running reports whether the process still exists and is not a zombie.
func (p Process) Running() bool {
	st, err := readStat(p.PID)
	return err == nil && st.start == p.start && st.state != "Z"
}

// Tree returns the live members of process group pgid and all their
// descendants, including those that moved to another process group or
// session (like the pod runner's per-pod processes).
func Tree(pgid int) []Process {
	stats := allStats()
	children := map[int][]int{}
	var queue []int
	for pid, st := range stats {
		children[st.ppid] = append(children[st.ppid], pid)
		if st.pgid == pgid {
			queue = append(queue, pid)
		}
	}
	seen := map[int]bool{}
	var out []Process
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		if seen[pid] {
			continue
		}
		seen[pid] = true
		if st := stats[pid]; st.state != "Z" {
			out = append(out, Process{PID: pid, start: st.start})
		}
		queue = append(queue, children[pid]...)
	}
	return out
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
