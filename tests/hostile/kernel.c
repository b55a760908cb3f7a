/*
 * kernel: calls into kernel interfaces a plugin has no business with.
 * Input, one per session: io_uring, bpf, perf, userfaultfd, keyctl,
 * add_key, personality, memfd_create, mknod, init_module, kexec, reboot,
 * syslog, iopl, ioperm, modify_ldt, acct, swapon, setuid0, capset,
 * open_by_handle, fanotify, quotactl, sethostname.
 * Each must be killed by seccomp or fail; "ESCAPED" means the kernel
 * accepted the call.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/io_uring.h>
#include <linux/perf_event.h>

#include <fnhost/plugin.h>

/* Copy the input into buf as a C string, cut to fit. */
static void
arg_copy(char *buf, size_t n, const void *in, size_t len)
{
	if (len >= n)
		len = n - 1;
	if (len > 0)
		memcpy(buf, in, len);
	buf[len] = '\0';
}

/* Append one formatted line to the invoke's output.  Returns 0, or -1
 * when the host refused it. */
static int __attribute__((format(printf, 3, 4)))
say(const struct fnh_host *h, struct fnh_call *c, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	return h->output(c, line, (size_t)n);
}

/* Report a failed step with its errno, as "blocked: what: reason". */
static int
blocked(const struct fnh_host *h, struct fnh_call *c, const char *what, int err)
{
	return say(h, c, "blocked: %s: %s", what, strerror(err));
}

static long
do_io_uring(void)
{
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	return syscall(SYS_io_uring_setup, 4, &p);
}

static long
do_bpf(void)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	return syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
}

static long
do_perf(void)
{
	struct perf_event_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.type = PERF_TYPE_SOFTWARE;
	attr.size = sizeof(attr);
	attr.config = PERF_COUNT_SW_CPU_CLOCK;
	attr.exclude_kernel = 1;
	return syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
}

/* personality() "works" only if READ_IMPLIES_EXEC really got set. */
static long
do_personality(void)
{
	long rc = syscall(SYS_personality, READ_IMPLIES_EXEC);

	if (rc < 0)
		return rc;
	rc = syscall(SYS_personality, 0xffffffffUL);
	if (rc >= 0 && !(rc & READ_IMPLIES_EXEC)) {
		errno = EPERM;
		return -1;
	}
	return rc;
}

static long
do_capset(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3
	};
	struct __user_cap_data_struct data[2];

	memset(data, 0xff, sizeof(data));
	return syscall(SYS_capset, &hdr, data);
}

static long
do_open_by_handle(void)
{
	/* A guessed handle of the root directory: what matters is whether
	 * the call is reachable at all (it needs CAP_DAC_READ_SEARCH). */
	struct {
		unsigned int bytes;
		int type;
		unsigned char f[8];
	} fh = { 8, 1, { 2, 0, 0, 0, 0, 0, 0, 0 } };

	return syscall(SYS_open_by_handle_at, AT_FDCWD, &fh, O_RDONLY);
}

struct kcall {
	const char *name;
	long (*fn)(void);
};

static long
do_uffd(void)
{
	return syscall(SYS_userfaultfd, 0);
}

static long
do_keyctl(void)
{
	/* KEYCTL_GET_KEYRING_ID of the session keyring */
	return syscall(SYS_keyctl, 0, -3, 0);
}

static long
do_add_key(void)
{
	return syscall(SYS_add_key, "user", "fnhost", "x", 1, -3);
}

static long
do_memfd(void)
{
	return syscall(SYS_memfd_create, "evil", 0);
}

static long
do_mknod(void)
{
	return syscall(SYS_mknod, "evil-null", S_IFCHR | 0666, makedev(1, 3));
}

static long
do_init_module(void)
{
	return syscall(SYS_init_module, "", 0, "");
}

static long
do_kexec(void)
{
	return syscall(SYS_kexec_load, 0, 0, NULL, 0);
}

static long
do_reboot(void)
{
	/* LINUX_REBOOT_CMD_CAD_OFF: harmless if it ever got through */
	return syscall(SYS_reboot, 0xfee1dead, 672274793, 0, NULL);
}

static long
do_syslog(void)
{
	static char buf[256];

	return syscall(SYS_syslog, 3 /* READ_ALL */, buf, sizeof(buf));
}

static long
do_iopl(void)
{
	return syscall(SYS_iopl, 3);
}

static long
do_ioperm(void)
{
	return syscall(SYS_ioperm, 0x80, 1, 1);
}

static long
do_ldt(void)
{
	static char buf[64];

	return syscall(SYS_modify_ldt, 0, buf, sizeof(buf));
}

static long
do_acct(void)
{
	return syscall(SYS_acct, "evil-acct");
}

static long
do_swapon(void)
{
	return syscall(SYS_swapon, "evil-swap", 0);
}

static long
do_setuid0(void)
{
	return syscall(SYS_setuid, 0);
}

static long
do_fanotify(void)
{
	return syscall(SYS_fanotify_init, 0, 0);
}

static long
do_quotactl(void)
{
	/* QCMD(Q_SYNC, USRQUOTA) */
	return syscall(SYS_quotactl, 0x80000100L, NULL, 0, NULL);
}

static long
do_sethostname(void)
{
	return syscall(SYS_sethostname, "evil", 4);
}

static const struct kcall kcalls[] = {
	{ "io_uring", do_io_uring },
	{ "bpf", do_bpf },
	{ "perf", do_perf },
	{ "userfaultfd", do_uffd },
	{ "keyctl", do_keyctl },
	{ "add_key", do_add_key },
	{ "personality", do_personality },
	{ "memfd_create", do_memfd },
	{ "mknod", do_mknod },
	{ "init_module", do_init_module },
	{ "kexec", do_kexec },
	{ "reboot", do_reboot },
	{ "syslog", do_syslog },
	{ "iopl", do_iopl },
	{ "ioperm", do_ioperm },
	{ "modify_ldt", do_ldt },
	{ "acct", do_acct },
	{ "swapon", do_swapon },
	{ "setuid0", do_setuid0 },
	{ "capset", do_capset },
	{ "open_by_handle", do_open_by_handle },
	{ "fanotify", do_fanotify },
	{ "quotactl", do_quotactl },
	{ "sethostname", do_sethostname },
};

static int
kernel_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
	      size_t input_len)
{
	char name[64];
	size_t i;
	long rc;

	arg_copy(name, sizeof(name), input, input_len);
	for (i = 0; i < sizeof(kcalls) / sizeof(kcalls[0]); i++) {
		if (strcmp(name, kcalls[i].name) != 0)
			continue;
		rc = kcalls[i].fn();
		if (rc < 0)
			return blocked(h, c, name, errno);
		return say(h, c, "ESCAPED: %s returned %ld", name, rc);
	}
	return h->fail(c, "unknown call %s", name);
}

FNH_PLUGIN(.name = "kernel", .version = "1", .handle = kernel_handle)
