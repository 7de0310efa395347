//go:build unix

package lake

import (
	"errors"
	"os"
	"strings"
	"syscall"
)

// machineID is the kernel's boot id and this process's pid namespace: two
// holders with the same one see the same pids. "" where /proc has neither.
func machineID() string {
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(boot)) + "/" + ns
}

// processGone reports whether no process has the pid.
func processGone(pid int) bool {
	return pid > 0 && errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
