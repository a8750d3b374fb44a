//go:build mips || mipsle || mips64 || mips64le

package limits

// rlimitNproc is RLIMIT_NPROC, which package syscall lacks; MIPS numbers
// the rlimits its own way.
const rlimitNproc = 8
