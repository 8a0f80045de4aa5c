//go:build linux && (amd64 || arm64)

package store

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// uringSyncer fdatasyncs files through io_uring (IORING_OP_FSYNC with
// IORING_FSYNC_DATASYNC). The kernel runs the fdatasync on one of the
// ring's worker threads and signals an eventfd that Go's netpoller watches:
// the goroutine that waits parks, and its processor runs other goroutines.
//
// It is preferred to aioSyncer for where the fdatasync runs: AIO's runs on
// a kernel worker bound to the core that submitted it, which waits there
// for its turn while that core is busy, whereas the ring's workers are
// threads of this process that the scheduler puts on any core free at the
// moment (see docs/performance.md, step 19).
type uringSyncer struct {
	mu   sync.Mutex // one request at a time: each is reaped by its submitter
	fd   int        // the ring
	p    uringParams
	ring []byte   // the submission and completion rings, one mapping
	sqes []byte   // the submission queue's entries
	ev   *os.File // eventfd registered with the ring, read through the netpoller
	buf  [8]byte
	dead bool   // the ring failed: blocking fdatasync from now on
	done uint64 // fdatasyncs completed through the ring

	// gaveUp, when set, is told why the syncer gave up on the ring.
	gaveUp func(error)
}

// uringParams is struct io_uring_params of linux/io_uring.h.
type uringParams struct {
	sqEntries, cqEntries, flags, sqThreadCPU, sqThreadIdle, features, wqFD uint32
	resv                                                                   [3]uint32
	sq                                                                     struct {
		head, tail, ringMask, ringEntries, flags, dropped, array, resv1 uint32
		userAddr                                                        uint64
	}
	cq struct {
		head, tail, ringMask, ringEntries, overflow, cqes, flags, resv1 uint32
		userAddr                                                        uint64
	}
}

// uringSQE is struct io_uring_sqe, as an fsync request uses it.
type uringSQE struct {
	opcode      uint8
	flags       uint8
	ioprio      uint16
	fd          int32
	off         uint64
	addr        uint64
	len         uint32
	fsyncFlags  uint32
	userData    uint64
	bufIndex    uint16
	personality uint16
	spliceFDIn  int32
	addr3       uint64
	pad         uint64
}

// uringCQE is struct io_uring_cqe.
type uringCQE struct {
	userData uint64
	res      int32
	flags    uint32
}

// io_uring's system calls have these numbers on every architecture.
const (
	sysIOURingSetup    = 425
	sysIOURingEnter    = 426
	sysIOURingRegister = 427

	ioringOffSQEs              = 0x10000000
	ioringFeatSingleMmap       = 1 << 0
	ioringRegisterEventFD      = 4
	ioringRegisterProbe        = 8 // kernels from 5.6 on, which also know iosqeAsync
	ioUringOpSupported         = 1 << 0
	ioringOpFsync              = 3
	ioringFsyncDatasync        = 1 << 0
	iosqeAsync                 = 1 << 4 // straight to a worker: io_uring_enter does not block
	uringSyncerEntries         = 2
	uringSQESize, uringCQESize = unsafe.Sizeof(uringSQE{}), unsafe.Sizeof(uringCQE{})
)

// newURingSyncer sets up a ring and its eventfd; the error says why it
// could not (ENOSYS: a kernel without io_uring; EPERM: io_uring disabled
// by sysctl or a container's seccomp profile). gaveUp, if not nil, is told
// why the syncer gives up on the ring later.
func newURingSyncer(gaveUp func(error)) (*uringSyncer, error) {
	u := &uringSyncer{fd: -1, gaveUp: gaveUp}
	fd, _, e := syscall.Syscall(sysIOURingSetup, uringSyncerEntries, uintptr(unsafe.Pointer(&u.p)), 0)
	if e != 0 {
		return nil, fmt.Errorf("io_uring_setup: %w", e)
	}
	u.fd = int(fd)
	if err := u.setUp(); err != nil {
		u.release()
		return nil, err
	}
	return u, nil
}

// setUp maps the rings and registers the eventfd.
func (u *uringSyncer) setUp() error {
	if u.p.features&ioringFeatSingleMmap == 0 {
		return fmt.Errorf("io_uring without IORING_FEAT_SINGLE_MMAP (a kernel before 5.4): %w", errors.ErrUnsupported)
	}
	size := max(u.p.sq.array+4*u.p.sqEntries, u.p.cq.cqes+uint32(uringCQESize)*u.p.cqEntries)
	var err error
	if u.ring, err = syscall.Mmap(u.fd, 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED|syscall.MAP_POPULATE); err != nil {
		return fmt.Errorf("io_uring: mapping the rings: %w", err)
	}
	if u.sqes, err = syscall.Mmap(u.fd, ioringOffSQEs, int(u.p.sqEntries)*int(uringSQESize), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED|syscall.MAP_POPULATE); err != nil {
		return fmt.Errorf("io_uring: mapping the submission entries: %w", err)
	}
	// Whether the ring can fdatasync at all is asked here, before any
	// request: a request's result is then always the fdatasync's own,
	// whatever its error number (a file system may answer EINVAL or
	// EOPNOTSUPP too, and the error is reported once only).
	var probe struct {
		lastOp, opsLen uint8
		resv           uint16
		resv2          [3]uint32
		ops            [256]struct {
			op, resv uint8
			flags    uint16
			resv2    uint32
		}
	}
	if _, _, e := syscall.Syscall6(sysIOURingRegister, uintptr(u.fd), ioringRegisterProbe, uintptr(unsafe.Pointer(&probe)), uintptr(len(probe.ops)), 0, 0); e != 0 {
		return fmt.Errorf("io_uring_register IORING_REGISTER_PROBE (a kernel before 5.6): %w", e)
	}
	if probe.lastOp < ioringOpFsync || probe.ops[ioringOpFsync].flags&ioUringOpSupported == 0 {
		return fmt.Errorf("io_uring without IORING_OP_FSYNC: %w", errors.ErrUnsupported)
	}
	efd, _, e := syscall.Syscall(syscall.SYS_EVENTFD2, 0, efdCloexec|efdNonblock, 0)
	if e != 0 {
		return fmt.Errorf("eventfd2: %w", e)
	}
	u.ev = os.NewFile(efd, "journal-fsync-eventfd")
	e32 := int32(efd)
	if _, _, e := syscall.Syscall6(sysIOURingRegister, uintptr(u.fd), ioringRegisterEventFD, uintptr(unsafe.Pointer(&e32)), 1, 0, 0); e != 0 {
		return fmt.Errorf("io_uring_register IORING_REGISTER_EVENTFD: %w", e)
	}
	return nil
}

// word is the ring's 32-bit field at off.
func (u *uringSyncer) word(off uint32) *uint32 { return (*uint32)(unsafe.Pointer(&u.ring[off])) }

// fdatasync fdatasyncs f through the ring. used is false when the ring
// cannot be used (a nil syncer, or io_uring_enter did not take the request,
// which therefore did nothing): the caller then fdatasyncs f itself. Once
// the request is taken, its result is the fdatasync's, error or not.
func (u *uringSyncer) fdatasync(f *os.File) (used bool, err error) {
	if u == nil {
		return false, nil
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.dead {
		return false, nil
	}
	defer runtime.KeepAlive(f)
	// This goroutine is the rings' only user: the submission ring's tail
	// and the completion ring's head are its alone to move.
	tail := atomic.LoadUint32(u.word(u.p.sq.tail))
	i := tail & atomic.LoadUint32(u.word(u.p.sq.ringMask))
	*(*uringSQE)(unsafe.Pointer(&u.sqes[uintptr(i)*uringSQESize])) = uringSQE{
		opcode: ioringOpFsync, flags: iosqeAsync, fd: int32(f.Fd()), fsyncFlags: ioringFsyncDatasync, userData: u.done + 1,
	}
	*u.word(u.p.sq.array + 4*i) = i
	atomic.StoreUint32(u.word(u.p.sq.tail), tail+1)
	for {
		n, _, e := syscall.Syscall6(sysIOURingEnter, uintptr(u.fd), 1, 0, 0, 0, 0)
		if e == syscall.EINTR {
			continue
		}
		if e != 0 || n != 1 {
			// Not submitted: the request stays in the ring, which is not
			// entered again.
			if e == 0 {
				e = syscall.EAGAIN
			}
			u.giveUp(fmt.Errorf("io_uring_enter: %w", e))
			return false, nil
		}
		break
	}
	for {
		if res, ok := u.reap(); ok {
			if res < 0 {
				// Even ECANCELED (the request cancelled before it ran, as
				// when the thread that submitted it exits) is not retried:
				// a file system can answer it too, and a retry's success
				// would then acknowledge what the disk lost.
				return true, syscall.Errno(-res)
			}
			u.done++
			return true, nil
		}
		if _, err := u.ev.Read(u.buf[:]); err != nil {
			// The request is in flight and its end cannot be awaited:
			// this syncer cannot be used again (closing the ring ends it).
			u.dead = true
			return true, err
		}
	}
}

// reap takes the next completion, if there is one.
func (u *uringSyncer) reap() (res int32, ok bool) {
	head := atomic.LoadUint32(u.word(u.p.cq.head))
	if head == atomic.LoadUint32(u.word(u.p.cq.tail)) {
		return 0, false
	}
	i := head & atomic.LoadUint32(u.word(u.p.cq.ringMask))
	res = (*uringCQE)(unsafe.Pointer(&u.ring[u.p.cq.cqes+i*uint32(uringCQESize)])).res
	atomic.StoreUint32(u.word(u.p.cq.head), head+1)
	return res, true
}

// giveUp stops using the ring and says why.
func (u *uringSyncer) giveUp(err error) {
	u.dead = true
	if u.gaveUp != nil {
		u.gaveUp(err)
	}
}

// close frees the ring and the eventfd.
func (u *uringSyncer) close() {
	if u == nil {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.release()
	u.dead = true
}

// release unmaps the rings and closes the ring and the eventfd.
func (u *uringSyncer) release() {
	if u.ring != nil {
		syscall.Munmap(u.ring)
		u.ring = nil
	}
	if u.sqes != nil {
		syscall.Munmap(u.sqes)
		u.sqes = nil
	}
	if u.ev != nil {
		u.ev.Close()
		u.ev = nil
	}
	if u.fd >= 0 {
		syscall.Close(u.fd)
		u.fd = -1
	}
}
