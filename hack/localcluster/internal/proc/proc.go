// Package proc starts the local environment's components as detached
// process groups (setsid) with their output in log files and their PIDs in
// PID files, checks whether they are alive, and stops exactly those process
// groups again. It never looks processes up by name.
package proc

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Spec describes one component process.
type Spec struct {
	// Name names the component; it names the log and PID files too.
	Name string
	// Path is the executable; Args are its arguments (without argv[0]).
	Path string
	Args []string
	// Env is added to the current environment.
	Env []string
	// Dir is the working directory (empty: the current one).
	Dir string
	// ExtraFiles are passed to the process as file descriptors 3, 4, ….
	ExtraFiles []*os.File
}

// Dirs are the folders a Runner keeps its logs and PID files in.
type Dirs struct {
	Logs string
	PIDs string
}

// Start launches spec detached in its own session (so its process group
// outlives the caller and can be signalled as a whole), appends its output
// to Logs/<name>.log and records its PID in PIDs/<name>.pid.
func (d Dirs) Start(spec Spec) (int, error) {
	for _, dir := range []string{d.Logs, d.PIDs} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return 0, fmt.Errorf("start %s: create %s: %w", spec.Name, dir, err)
		}
	}
	logPath := filepath.Join(d.Logs, spec.Name+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, fmt.Errorf("start %s: open log: %w", spec.Name, err)
	}
	defer logFile.Close()
	cmd := exec.Command(spec.Path, spec.Args...)
	cmd.Dir = spec.Dir
	cmd.Env = append(os.Environ(), spec.Env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.ExtraFiles = spec.ExtraFiles
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start %s (%s): %w", spec.Name, spec.Path, err)
	}
	pid := cmd.Process.Pid
	// Reap the child if it dies while we are still running, so it does not
	// linger as a zombie that looks alive; once we exit, init reaps it.
	go cmd.Wait() //nolint:errcheck
	if err := os.WriteFile(d.pidPath(spec.Name), []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		return pid, fmt.Errorf("start %s: write pid file: %w", spec.Name, err)
	}
	// The start time tells our process apart from a later one that got the
	// same PID (after a reboot, or a long time after ours died).
	if st, err := readStat(pid); err == nil {
		if err := os.WriteFile(d.startPath(spec.Name), []byte(st.start+"\n"), 0o644); err != nil {
			return pid, fmt.Errorf("start %s: write start file: %w", spec.Name, err)
		}
	}
	return pid, nil
}

// LogPath returns the log file of component name.
func (d Dirs) LogPath(name string) string { return filepath.Join(d.Logs, name+".log") }

func (d Dirs) pidPath(name string) string   { return filepath.Join(d.PIDs, name+".pid") }
func (d Dirs) startPath(name string) string { return filepath.Join(d.PIDs, name+".start") }

// ours reports whether pid is still the process recorded for name: its
// start time matches the recorded one (when one was recorded).
func (d Dirs) ours(name string, pid int) bool {
	want, err := os.ReadFile(d.startPath(name))
	if err != nil {
		return true // recorded by an older localcluster: only the group check applies
	}
	st, err := readStat(pid)
	return err == nil && st.start == strings.TrimSpace(string(want))
}

// PID returns the PID recorded for name, or 0 if there is no PID file.
func (d Dirs) PID(name string) (int, error) {
	data, err := os.ReadFile(d.pidPath(name))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read pid of %s: %w", name, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return 0, fmt.Errorf("read pid of %s: %w", name, err)
	}
	return pid, nil
}

// Recorded returns the names of all components with a PID file.
func (d Dirs) Recorded() ([]string, error) {
	entries, err := os.ReadDir(d.PIDs)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list pid files: %w", err)
	}
	var names []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".pid"); ok {
			names = append(names, name)
		}
	}
	return names, nil
}

// Alive reports whether the component recorded under name is running: its
// PID exists, is not a zombie, still leads its own process group and
// started when the recorded one did (which guards against a recycled PID).
func (d Dirs) Alive(name string) bool {
	pid, err := d.PID(name)
	if err != nil || pid <= 0 {
		return false
	}
	return Alive(pid) && d.ours(name, pid)
}

// Alive reports whether pid is a live (non-zombie) process group leader.
func Alive(pid int) bool {
	st, err := readStat(pid)
	if err != nil {
		return false
	}
	return st.state != "Z" && st.pgid == pid
}
