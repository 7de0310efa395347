//go:build unix

// Tests that need real child processes (this test binary, run again): a
// writer killed with -9, a relocation killed with -9, a reader run as
// another user.

package lake

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

const (
	roChildDir     = "DISTILL_TEST_RO_DIR"
	roChildWant    = "DISTILL_TEST_RO_WANT"
	writerChildDir = "DISTILL_TEST_WRITER_DIR"
)

// crashedWriter runs a child process (this test binary) that opens the lake
// in dir, appends a row, prints the lake's fingerprint and waits; it is
// killed with SIGKILL once it has printed. It returns the fingerprint.
func crashedWriter(t *testing.T, dir string) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, "-test.run", "^TestLake_WriterChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), writerChildDir+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if sc.Text() == "committed" {
			break
		}
		b.WriteString(sc.Text() + "\n")
	}
	cmd.Process.Kill()
	cmd.Wait()
	if b.Len() == 0 {
		t.Fatal("the writer child printed nothing")
	}
	return b.String()
}

// TestLake_WriterChild is crashedWriter's child; it runs only there.
func TestLake_WriterChild(t *testing.T) {
	dir := os.Getenv(writerChildDir)
	if dir == "" {
		t.Skip("runs only as the child of TestOpen_ReadOnly")
	}
	l, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	appendRows(t, l, testTable, "late")
	fmt.Print(fingerprint(t, l))
	fmt.Println("committed")
	select {} // killed here, the catalog still open
}

// checkReadOnlyAs runs checkReadOnly on a lake the current user cannot
// write. Root ignores file permissions, so as root the check runs in a
// child process (this test binary) as user nobody.
func checkReadOnlyAs(t *testing.T, dir, want string) {
	t.Helper()
	if os.Geteuid() != 0 {
		checkReadOnly(t, dir, want)
		return
	}
	tmp := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), filepath.Dir(filepath.Dir(dir)), tmp, filepath.Dir(tmp)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(tmp, "lake.test")
	copyFile(t, self, bin)
	wantFile := filepath.Join(tmp, "want")
	if err := os.WriteFile(wantFile, []byte(want), 0o644); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(tmp, "home")
	if err := os.Mkdir(home, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(home, 0o777); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run", "^TestOpen_ReadOnlyChild$", "-test.count=1", "-test.v")
	cmd.Dir = home
	cmd.Env = append(os.Environ(), roChildDir+"="+dir, roChildWant+"="+wantFile, "HOME="+home, "TMPDIR="+home)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("read-only check as user nobody: %v\n%s", err, out)
	}
	t.Logf("as user nobody:\n%s", out)
}

// TestOpen_ReadOnlyChild is checkReadOnlyAs's child; it runs only there.
func TestOpen_ReadOnlyChild(t *testing.T) {
	dir := os.Getenv(roChildDir)
	if dir == "" {
		t.Skip("runs only as the child of TestOpen_ReadOnly")
	}
	if writableDir(dir) {
		t.Fatalf("uid %d can write %s", os.Geteuid(), dir)
	}
	want, err := os.ReadFile(os.Getenv(roChildWant))
	if err != nil {
		t.Fatal(err)
	}
	checkReadOnly(t, dir, string(want))
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

const relocateChildDir, relocateChildStop = "DISTILL_TEST_RELOCATE_DIR", "DISTILL_TEST_RELOCATE_STOP"

// TestOpen_RelocationKilled kills (SIGKILL) a process in the middle of
// rewriting a moved lake, after its k-th file, and opens the lake again.
func TestOpen_RelocationKilled(t *testing.T) {
	dir, want := buildLake(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{1, 4, 9, 16} {
		moved := filepath.Join(t.TempDir(), "moved")
		copyTree(t, dir, moved)
		cmd := exec.Command(self, "-test.run", "^TestLake_RelocateChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), relocateChildDir+"="+moved, fmt.Sprintf("%s=%d", relocateChildStop, k))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		stopped := false
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "stopped" {
				stopped = true
				break
			}
		}
		cmd.Process.Kill()
		cmd.Wait()
		if !stopped {
			t.Fatalf("k=%d: the child never reached its k-th file", k)
		}
		if got := openFingerprint(t, moved); got != want {
			t.Fatalf("killed after file %d:\n%s\nwant:\n%s", k, got, want)
		}
		if hits := mentions(t, moved, dir+"/"); len(hits) > 0 {
			t.Fatalf("killed after file %d: files still name the old folder: %v", k, hits)
		}
	}
}

// TestLake_RelocateChild is TestOpen_RelocationKilled's child.
func TestLake_RelocateChild(t *testing.T) {
	dir := os.Getenv(relocateChildDir)
	if dir == "" {
		t.Skip("runs only as the child of TestOpen_RelocationKilled")
	}
	var k, n int
	fmt.Sscan(os.Getenv(relocateChildStop), &k)
	relocateFault = func(string) error {
		if n++; n == k {
			fmt.Println("stopped")
			select {} // killed here, mid-rewrite
		}
		return nil
	}
	l, err := Open(context.Background(), dir)
	if err == nil {
		l.Close()
	}
	fmt.Println("finished")
}
