//go:build linux && (amd64 || arm64)

package store

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"
	"unsafe"
)

// aioSyncer fdatasyncs files through Linux AIO (IOCB_CMD_FDSYNC). The
// kernel runs the fdatasync on a worker thread and signals an eventfd that
// Go's netpoller watches: the goroutine that waits for it parks and its
// processor runs other goroutines. A blocking fdatasync keeps its
// processor, and the goroutines queued on it, until the runtime's monitor
// takes it back, tens of microseconds to milliseconds later, each time.
type aioSyncer struct {
	mu   sync.Mutex // one request at a time: each is reaped by its submitter
	ctx  uintptr
	efd  int
	ev   *os.File // efd, read through the netpoller
	buf  [8]byte
	dead bool   // AIO failed: blocking fdatasync from now on
	done uint64 // fdatasyncs completed through AIO

	// gaveUp, when set, is told why the syncer gave up on AIO.
	gaveUp func(error)
}

// iocb is struct iocb of linux/aio_abi.h (little-endian layout).
type iocb struct {
	data      uint64
	key       uint32
	rwFlags   int32
	opcode    uint16
	reqprio   int16
	fildes    uint32
	buf       uint64
	nbytes    uint64
	offset    int64
	reserved2 uint64
	flags     uint32
	resfd     uint32
}

// ioEvent is struct io_event.
type ioEvent struct {
	data uint64
	obj  uint64
	res  int64
	res2 int64
}

const (
	iocbCmdFdsync = 3
	iocbFlagResfd = 1 << 0
	efdCloexec    = syscall.O_CLOEXEC
	efdNonblock   = syscall.O_NONBLOCK
)

// newAIOSyncer sets up an AIO context and its eventfd; the error says why
// it could not (ENOSYS: a kernel without AIO). gaveUp, if not nil, is told
// why the syncer gives up on AIO later.
func newAIOSyncer(gaveUp func(error)) (*aioSyncer, error) {
	var ctx uintptr
	if _, _, e := syscall.Syscall(syscall.SYS_IO_SETUP, 1, uintptr(unsafe.Pointer(&ctx)), 0); e != 0 {
		return nil, e
	}
	fd, _, e := syscall.Syscall(syscall.SYS_EVENTFD2, 0, efdCloexec|efdNonblock, 0)
	if e != 0 {
		syscall.Syscall(syscall.SYS_IO_DESTROY, ctx, 0, 0)
		return nil, e
	}
	return &aioSyncer{ctx: ctx, efd: int(fd), ev: os.NewFile(fd, "journal-fsync-eventfd"), gaveUp: gaveUp}, nil
}

// fdatasync fdatasyncs f through AIO. used is false when AIO cannot be
// used (a nil syncer, or the kernel refused the request): the caller then
// fdatasyncs f itself.
func (a *aioSyncer) fdatasync(f *os.File) (used bool, err error) {
	if a == nil {
		return false, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.dead {
		return false, nil
	}
	cb := iocb{opcode: iocbCmdFdsync, fildes: uint32(f.Fd()), flags: iocbFlagResfd, resfd: uint32(a.efd)}
	cbs := [1]*iocb{&cb}
	for {
		_, _, e := syscall.Syscall(syscall.SYS_IO_SUBMIT, a.ctx, 1, uintptr(unsafe.Pointer(&cbs[0])))
		runtime.KeepAlive(&cb)
		if e == syscall.EINTR {
			continue
		}
		if e == syscall.EAGAIN {
			return false, nil // no room for the request now
		}
		if e == syscall.EBADF {
			return true, e // f is closed: as fdatasync(2) would say
		}
		if e != 0 {
			// This kernel or file system cannot fdatasync through AIO.
			a.dead = true
			if a.gaveUp != nil {
				a.gaveUp(fmt.Errorf("io_submit IOCB_CMD_FDSYNC: %w", e))
			}
			return false, nil
		}
		break
	}
	if _, err := a.ev.Read(a.buf[:]); err != nil {
		// The request is in flight and its end cannot be awaited: this
		// syncer cannot be used again (close waits for it).
		a.dead = true
		return true, err
	}
	var ev ioEvent
	for {
		n, _, e := syscall.Syscall6(syscall.SYS_IO_GETEVENTS, a.ctx, 1, 1, uintptr(unsafe.Pointer(&ev)), 0, 0)
		if e == syscall.EINTR {
			continue
		}
		if e != 0 || n != 1 {
			a.dead = true
			if e != 0 {
				return true, e
			}
			return true, syscall.EIO
		}
		break
	}
	if ev.res < 0 {
		return true, syscall.Errno(-ev.res)
	}
	a.done++
	return true, nil
}

// close frees the context (io_destroy waits for a request still in
// flight) and the eventfd.
func (a *aioSyncer) close() {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ctx != 0 {
		syscall.Syscall(syscall.SYS_IO_DESTROY, a.ctx, 0, 0)
		a.ctx = 0
		a.ev.Close()
	}
	a.dead = true
}
