package store

import "syscall"

// freeSpace is the room left, in bytes, on the file system that holds
// path, for an unprivileged writer; ok is false where it cannot be told.
var freeSpace = func(path string) (free uint64, ok bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, false
	}
	return st.Bavail * uint64(st.Bsize), true
}
