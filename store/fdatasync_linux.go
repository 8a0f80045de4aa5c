package store

import (
	"os"
	"syscall"
)

// fdatasync flushes f's data (and the size, when it grew) but not its
// times, as bbolt does.
func fdatasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
