package hypercall

import "strconv"

// Errno is a Xen error number (xen/errno.h, enum xen_errno; the same
// numbers as Linux on x86). Hypercalls return it negated in rax: use Neg.
//
// Errno implements error, so handlers can return one (possibly wrapped with
// fmt.Errorf("...: %w", EINVAL)); the dispatcher finds it with errors.As and
// writes e.Neg() to the guest. The xenstore wire protocol carries the names
// instead of the numbers (Name, ParseErrno).
type Errno int32

// Xen errno values, every entry of xen/errno.h. EINTR and ERESTART are
// Xen-internal (the header hides them unless __XEN__ is defined): a guest
// must never see them.
const (
	EPERM         Errno = 1   // operation not permitted
	ENOENT        Errno = 2   // no such file or directory
	ESRCH         Errno = 3   // no such process
	EINTR         Errno = 4   // interrupted system call (Xen-internal)
	EIO           Errno = 5   // I/O error
	ENXIO         Errno = 6   // no such device or address
	E2BIG         Errno = 7   // argument list too long
	ENOEXEC       Errno = 8   // exec format error
	EBADF         Errno = 9   // bad file number
	ECHILD        Errno = 10  // no child processes
	EAGAIN        Errno = 11  // try again
	EWOULDBLOCK   Errno = 11  // alias of EAGAIN
	ENOMEM        Errno = 12  // out of memory
	EACCES        Errno = 13  // permission denied
	EFAULT        Errno = 14  // bad address
	EBUSY         Errno = 16  // device or resource busy
	EEXIST        Errno = 17  // file exists
	EXDEV         Errno = 18  // cross-device link
	ENODEV        Errno = 19  // no such device
	ENOTDIR       Errno = 20  // not a directory
	EISDIR        Errno = 21  // is a directory
	EINVAL        Errno = 22  // invalid argument
	ENFILE        Errno = 23  // file table overflow
	EMFILE        Errno = 24  // too many open files
	ENOSPC        Errno = 28  // no space left on device
	EROFS         Errno = 30  // read-only file system
	EMLINK        Errno = 31  // too many links
	EDOM          Errno = 33  // math argument out of domain of func
	ERANGE        Errno = 34  // math result not representable
	EDEADLK       Errno = 35  // resource deadlock would occur
	EDEADLOCK     Errno = 35  // alias of EDEADLK
	ENAMETOOLONG  Errno = 36  // file name too long
	ENOLCK        Errno = 37  // no record locks available
	ENOSYS        Errno = 38  // function not implemented
	ENOTEMPTY     Errno = 39  // directory not empty
	ENODATA       Errno = 61  // no data available
	ETIME         Errno = 62  // timer expired
	EBADMSG       Errno = 74  // not a data message
	EOVERFLOW     Errno = 75  // value too large for defined data type
	EILSEQ        Errno = 84  // illegal byte sequence
	ERESTART      Errno = 85  // interrupted system call should be restarted (Xen-internal)
	ENOTSOCK      Errno = 88  // socket operation on non-socket
	EMSGSIZE      Errno = 90  // message too large
	EOPNOTSUPP    Errno = 95  // operation not supported on transport endpoint
	EADDRINUSE    Errno = 98  // address already in use
	EADDRNOTAVAIL Errno = 99  // cannot assign requested address
	ENOBUFS       Errno = 105 // no buffer space available
	EISCONN       Errno = 106 // transport endpoint is already connected
	ENOTCONN      Errno = 107 // transport endpoint is not connected
	ETIMEDOUT     Errno = 110 // connection timed out
	ECONNREFUSED  Errno = 111 // connection refused
)

// errnoInfo holds the canonical name and message of each errno, indexed by
// value (aliases share their target's entry).
var errnoInfo = [...]struct{ name, text string }{
	EPERM:         {"EPERM", "operation not permitted"},
	ENOENT:        {"ENOENT", "no such file or directory"},
	ESRCH:         {"ESRCH", "no such process"},
	EINTR:         {"EINTR", "interrupted system call"},
	EIO:           {"EIO", "I/O error"},
	ENXIO:         {"ENXIO", "no such device or address"},
	E2BIG:         {"E2BIG", "argument list too long"},
	ENOEXEC:       {"ENOEXEC", "exec format error"},
	EBADF:         {"EBADF", "bad file number"},
	ECHILD:        {"ECHILD", "no child processes"},
	EAGAIN:        {"EAGAIN", "try again"},
	ENOMEM:        {"ENOMEM", "out of memory"},
	EACCES:        {"EACCES", "permission denied"},
	EFAULT:        {"EFAULT", "bad address"},
	EBUSY:         {"EBUSY", "device or resource busy"},
	EEXIST:        {"EEXIST", "file exists"},
	EXDEV:         {"EXDEV", "cross-device link"},
	ENODEV:        {"ENODEV", "no such device"},
	ENOTDIR:       {"ENOTDIR", "not a directory"},
	EISDIR:        {"EISDIR", "is a directory"},
	EINVAL:        {"EINVAL", "invalid argument"},
	ENFILE:        {"ENFILE", "file table overflow"},
	EMFILE:        {"EMFILE", "too many open files"},
	ENOSPC:        {"ENOSPC", "no space left on device"},
	EROFS:         {"EROFS", "read-only file system"},
	EMLINK:        {"EMLINK", "too many links"},
	EDOM:          {"EDOM", "math argument out of domain of func"},
	ERANGE:        {"ERANGE", "math result not representable"},
	EDEADLK:       {"EDEADLK", "resource deadlock would occur"},
	ENAMETOOLONG:  {"ENAMETOOLONG", "file name too long"},
	ENOLCK:        {"ENOLCK", "no record locks available"},
	ENOSYS:        {"ENOSYS", "function not implemented"},
	ENOTEMPTY:     {"ENOTEMPTY", "directory not empty"},
	ENODATA:       {"ENODATA", "no data available"},
	ETIME:         {"ETIME", "timer expired"},
	EBADMSG:       {"EBADMSG", "not a data message"},
	EOVERFLOW:     {"EOVERFLOW", "value too large for defined data type"},
	EILSEQ:        {"EILSEQ", "illegal byte sequence"},
	ERESTART:      {"ERESTART", "interrupted system call should be restarted"},
	ENOTSOCK:      {"ENOTSOCK", "socket operation on non-socket"},
	EMSGSIZE:      {"EMSGSIZE", "message too large"},
	EOPNOTSUPP:    {"EOPNOTSUPP", "operation not supported on transport endpoint"},
	EADDRINUSE:    {"EADDRINUSE", "address already in use"},
	EADDRNOTAVAIL: {"EADDRNOTAVAIL", "cannot assign requested address"},
	ENOBUFS:       {"ENOBUFS", "no buffer space available"},
	EISCONN:       {"EISCONN", "transport endpoint is already connected"},
	ENOTCONN:      {"ENOTCONN", "transport endpoint is not connected"},
	ETIMEDOUT:     {"ETIMEDOUT", "connection timed out"},
	ECONNREFUSED:  {"ECONNREFUSED", "connection refused"},
}

// errnoAliases are the second names xen/errno.h gives to a value.
var errnoAliases = map[string]Errno{
	"EWOULDBLOCK": EWOULDBLOCK,
	"EDEADLOCK":   EDEADLOCK,
}

// Name returns the C name ("ENOSYS"), the canonical one for aliased values
// ("EAGAIN" for EWOULDBLOCK), or "" if e is not a Xen errno.
func (e Errno) Name() string {
	if e <= 0 || int(e) >= len(errnoInfo) {
		return ""
	}
	return errnoInfo[e].name
}

// Error returns e.g. "ENOSYS (38): function not implemented", or
// "errno 200" for a value Xen does not define.
func (e Errno) Error() string {
	if e.Name() == "" {
		return "errno " + strconv.Itoa(int(e))
	}
	info := errnoInfo[e]
	return info.name + " (" + strconv.Itoa(int(e)) + "): " + info.text
}

// Neg returns -e as a 64-bit hypercall result (the guest's rax; a 32-bit
// guest reads the low 32 bits, which are -e as an int32).
func (e Errno) Neg() int64 { return -int64(e) }

// ParseErrno maps a C errno name ("ENOENT", also the aliases "EWOULDBLOCK"
// and "EDEADLOCK") to its value, as needed for xenstore ERROR replies.
func ParseErrno(name string) (Errno, bool) {
	if e, ok := errnoAliases[name]; ok {
		return e, true
	}
	for i, info := range errnoInfo {
		if info.name != "" && info.name == name {
			return Errno(i), true
		}
	}
	return 0, false
}
