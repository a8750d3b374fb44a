//go:build !mips && !mipsle && !mips64 && !mips64le

package limits

// rlimitNproc is RLIMIT_NPROC, which package syscall lacks; the number is
// the same on every architecture Go supports but MIPS.
const rlimitNproc = 6
