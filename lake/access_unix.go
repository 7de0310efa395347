//go:build unix

package lake

import "syscall"

// writable reports whether this user may write the file. access(2) also
// answers EROFS on a read-only mount, where even root cannot write.
func writable(path string) bool {
	const wOK = 0x2
	return syscall.Access(path, wOK) == nil
}

// writableDir reports whether this user may create files in dir.
func writableDir(dir string) bool {
	const wxOK = 0x2 | 0x1
	return syscall.Access(dir, wxOK) == nil
}
