/*
 * collude: two sessions that try to reach each other, or one that tries to
 * hurt the others.  hostile.t runs a sender and a receiver (or an abuser
 * and a victim) side by side, in two fnhost processes.  Input:
 *	flock:PATH	  take flock(LOCK_EX) on PATH and hold it for 2 s
 *	flockprobe:PATH	  for 3 s, try flock(LOCK_EX|LOCK_NB) on PATH: a
 *			  lock held by another session says ESCAPED
 *	fcntl:PATH	  every fcntl lock, lease and notify command on PATH
 *	futexwait:PATH	  FUTEX_WAIT (shared) on PATH's first word, mapped
 *			  read-only, for 3 s: an early wake-up says ESCAPED
 *	futexwake:PATH	  for 3 s, FUTEX_WAKE (shared) on the same word: a
 *			  waiter woken says ESCAPED
 *	statfs		  report the scratch dir's file system: total and
 *			  free bytes and inodes, its flags
 *	statfsprobe	  for 3 s, watch the scratch file system's free
 *			  blocks and inodes: any change says ESCAPED
 *	fill		  write to the scratch dir until it is full; say
 *			  how much went in
 *	inodes		  create empty files until none more can be; say
 *			  how many
 *	write:N		  write N MiB to the scratch dir (a victim's work)
 *	deep:N		  make a chain of N nested directories in scratch,
 *			  and say where scratch is
 *	setuid		  create a setuid file and chmod one setuid
 *	spin:N		  leave N threads spinning and return
 *	work:MS		  burn MS ms of CPU on one thread and return
 *	burn:N		  N threads spin until the invoke is stopped
 * Each step reports "blocked: what: errno" when the sandbox refused it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <fnhost/plugin.h>

static int __attribute__((format(printf, 3, 4)))
say(const struct fnh_host *h, struct fnh_call *c, const char *fmt, ...)
{
	char line[1024];
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

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
futex(uint32_t *word, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, word, op, val, ts, NULL, 0);
}

static int
do_flock(const struct fnh_host *h, struct fnh_call *c, const char *path,
	 int probe)
{
	double end = now() + (probe ? 3 : 2);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return say(h, c, "blocked: open %s: %s", path, strerror(errno));
	if (!probe) {
		if (flock(fd, LOCK_EX) < 0)
			return say(h, c, "blocked: flock: %s", strerror(errno));
		usleep(2000000);
		return say(h, c, "held the lock on %s", path);
	}
	while (now() < end) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			flock(fd, LOCK_UN);
		} else if (errno == EWOULDBLOCK) {
			return say(h, c, "ESCAPED: another session's lock");
		} else {
			return say(h, c, "blocked: flock: %s", strerror(errno));
		}
		usleep(20000);
	}
	return say(h, c, "ok: saw no lock");
}

static int
do_fcntl(const struct fnh_host *h, struct fnh_call *c, const char *path)
{
	static const struct {
		const char *name;
		int cmd;
	} cmds[] = {
		{ "F_SETLK", F_SETLK },		{ "F_SETLKW", F_SETLKW },
		{ "F_GETLK", F_GETLK },		{ "F_OFD_SETLK", F_OFD_SETLK },
		{ "F_OFD_GETLK", F_OFD_GETLK },
	};
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
	int fd = open(path, O_RDONLY | O_CLOEXEC), bad = 0;
	size_t i;

	if (fd < 0)
		return say(h, c, "blocked: open %s: %s", path, strerror(errno));
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (fcntl(fd, cmds[i].cmd, &fl) == 0) {
			say(h, c, "ESCAPED: %s worked", cmds[i].name);
			bad = 1;
		}
	if (fcntl(fd, F_SETLEASE, F_RDLCK) == 0 || fcntl(fd, F_GETLEASE) >= 0) {
		say(h, c, "ESCAPED: a lease");
		bad = 1;
	}
	close(fd);
	fd = open("/usr/lib", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && fcntl(fd, F_NOTIFY, DN_ACCESS | DN_MULTISHOT) == 0) {
		say(h, c, "ESCAPED: F_NOTIFY");
		bad = 1;
	}
	if (bad)
		return -1;
	return say(h, c, "blocked: every lock, lease and notify: %s",
		   strerror(errno));
}

static int
do_futex(const struct fnh_host *h, struct fnh_call *c, const char *path,
	 int wake)
{
	struct timespec ts = { .tv_sec = 3 };
	double start = now();
	uint32_t *word;
	long n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return say(h, c, "blocked: open %s: %s", path, strerror(errno));
	word = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (word == MAP_FAILED)
		word = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (word == MAP_FAILED)
		return say(h, c, "blocked: mmap: %s", strerror(errno));
	if (!wake) {
		n = futex(word, FUTEX_WAIT, *word, &ts);
		if (n == 0)
			return say(h, c,
				   "ESCAPED: woken after %.2f s by another "
				   "session",
				   now() - start);
		if (errno == ETIMEDOUT)
			return say(h, c, "ESCAPED: a shared wait slept 3 s");
		return say(h, c, "blocked: shared FUTEX_WAIT: %s",
			   strerror(errno));
	}
	while (now() - start < 3) {
		n = futex(word, FUTEX_WAKE, 1, NULL);
		if (n > 0)
			return say(h, c,
				   "ESCAPED: woke a waiter of another "
				   "session");
		if (n < 0)
			return say(h, c, "blocked: shared FUTEX_WAKE: %s",
				   strerror(errno));
		usleep(10000);
	}
	return say(h, c, "ok: nobody waited");
}

static int
do_statfs(const struct fnh_host *h, struct fnh_call *c, int probe)
{
	struct statvfs a, b;
	double end = now() + 3;

	if (statvfs(".", &a) < 0)
		return say(h, c, "blocked: statvfs: %s", strerror(errno));
	if (!probe)
		return say(h, c,
			   "bytes=%llu free=%llu inodes=%llu ifree=%llu "
			   "nosuid=%d nodev=%d noexec=%d",
			   (unsigned long long)a.f_blocks * a.f_frsize,
			   (unsigned long long)a.f_bfree * a.f_frsize,
			   (unsigned long long)a.f_files,
			   (unsigned long long)a.f_ffree,
			   !!(a.f_flag & ST_NOSUID), !!(a.f_flag & ST_NODEV),
			   !!(a.f_flag & ST_NOEXEC));
	while (now() < end) {
		usleep(20000);
		if (statvfs(".", &b) < 0)
			return say(h, c, "blocked: statvfs: %s",
				   strerror(errno));
		if (b.f_bfree != a.f_bfree || b.f_ffree != a.f_ffree)
			return say(h, c,
				   "ESCAPED: the scratch file system changed "
				   "(free blocks %llu -> %llu)",
				   (unsigned long long)a.f_bfree,
				   (unsigned long long)b.f_bfree);
	}
	return say(h, c, "ok: nothing changed");
}

static int
do_fill(const struct fnh_host *h, struct fnh_call *c, long mib)
{
	static char buf[1 << 20];
	unsigned long long total = 0;
	char name[32];
	ssize_t n;
	int fd, i;

	memset(buf, 'x', sizeof(buf));
	/* Files of 16 MiB each, under worker_file_size. */
	for (i = 0; mib < 0 || total < (unsigned long long)mib << 20; i++) {
		snprintf(name, sizeof(name), "fill-%d", i);
		fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0)
			break;
		while ((n = write(fd, buf, sizeof(buf))) > 0) {
			total += (unsigned long long)n;
			if ((total & ((16 << 20) - 1)) == 0 ||
			    (mib >= 0 && total >= (unsigned long long)mib
							  << 20))
				break;
		}
		close(fd);
		if (n < 0)
			break;
	}
	if (mib >= 0 && total < (unsigned long long)mib << 20)
		return say(h, c, "blocked: wrote only %llu bytes: %s", total,
			   strerror(errno));
	return say(h, c, "wrote=%llu (%s)", total, strerror(errno));
}

static int
do_inodes(const struct fnh_host *h, struct fnh_call *c)
{
	char name[32];
	long i;
	int fd;

	for (i = 0; i < 10000000; i++) {
		snprintf(name, sizeof(name), "i%ld", i);
		fd = open(name, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			break;
		close(fd);
	}
	return say(h, c, "files=%ld (%s)", i, strerror(errno));
}

static int
do_deep(const struct fnh_host *h, struct fnh_call *c, long n)
{
	int dfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), sub;
	long i;

	for (i = 0; i < n && dfd >= 0; i++) {
		if (mkdirat(dfd, "d", 0700) < 0)
			break;
		sub = openat(dfd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(dfd);
		dfd = sub;
	}
	if (dfd >= 0)
		close(dfd);
	return say(h, c, "depth=%ld scratch=%s", i, h->scratch_dir);
}

static int
do_setuid(const struct fnh_host *h, struct fnh_call *c)
{
	int fd, bad = 0;

	fd = open("suid", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 04755);
	if (fd >= 0) {
		struct stat st;

		if (fstat(fd, &st) == 0 && (st.st_mode & (S_ISUID | S_ISGID))) {
			say(h, c, "ESCAPED: created mode %o", st.st_mode);
			bad = 1;
		}
		close(fd);
	}
	fd = open("plain", O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
	if (fd < 0)
		return say(h, c, "blocked: open: %s", strerror(errno));
	if (fchmod(fd, 04755) == 0 || fchmod(fd, 02755) == 0) {
		say(h, c, "ESCAPED: fchmod set setuid or setgid");
		bad = 1;
	}
	close(fd);
	if (bad)
		return -1;
	return say(h, c, "blocked: setuid and setgid: %s", strerror(errno));
}

static void *
spinner(void *arg)
{
	volatile unsigned long *n = arg;

	for (;;)
		(*n)++;
	return NULL;
}

static int
do_spin(const struct fnh_host *h, struct fnh_call *c, long n)
{
	static volatile unsigned long spins;
	pthread_t t;
	long i;

	for (i = 0; i < n; i++)
		if (pthread_create(&t, NULL, spinner, (void *)&spins) != 0)
			return say(h, c, "blocked: pthread_create");
	return say(h, c, "spinning=%ld", n);
}

static int
do_work(const struct fnh_host *h, struct fnh_call *c, long ms)
{
	struct timespec a, b;
	volatile unsigned long x = 0;
	double used = 0;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	while (used * 1000 < (double)ms) {
		for (int i = 0; i < 100000; i++)
			x++;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
		used = (double)(b.tv_sec - a.tv_sec) +
		       (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	}
	return say(h, c, "worked=%ld", ms);
}

static int
do_burn(const struct fnh_host *h, struct fnh_call *c, long n)
{
	double end = now() + 30;

	do_spin(h, c, n - 1);
	while (now() < end)
		;
	return say(h, c, "ESCAPED: burned %ld threads for 30 s", n);
}

static int
handle(const struct fnh_host *h, struct fnh_call *c, const void *in, size_t len)
{
	char arg[512];
	const char *p;

	if (len >= sizeof(arg))
		len = sizeof(arg) - 1;
	memcpy(arg, in, len);
	arg[len] = '\0';
	p = strchr(arg, ':');
	p = p ? p + 1 : "";
	if (!strncmp(arg, "flock:", 6))
		return do_flock(h, c, p, 0);
	if (!strncmp(arg, "flockprobe:", 11))
		return do_flock(h, c, p, 1);
	if (!strncmp(arg, "fcntl:", 6))
		return do_fcntl(h, c, p);
	if (!strncmp(arg, "futexwait:", 10))
		return do_futex(h, c, p, 0);
	if (!strncmp(arg, "futexwake:", 10))
		return do_futex(h, c, p, 1);
	if (!strcmp(arg, "statfs"))
		return do_statfs(h, c, 0);
	if (!strcmp(arg, "statfsprobe"))
		return do_statfs(h, c, 1);
	if (!strcmp(arg, "fill"))
		return do_fill(h, c, -1);
	if (!strncmp(arg, "write:", 6))
		return do_fill(h, c, atol(p));
	if (!strcmp(arg, "inodes"))
		return do_inodes(h, c);
	if (!strncmp(arg, "deep:", 5))
		return do_deep(h, c, atol(p));
	if (!strcmp(arg, "setuid"))
		return do_setuid(h, c);
	if (!strncmp(arg, "spin:", 5))
		return do_spin(h, c, atol(p));
	if (!strncmp(arg, "work:", 5))
		return do_work(h, c, atol(p));
	if (!strncmp(arg, "burn:", 5))
		return do_burn(h, c, atol(p));
	return say(h, c, "idle");
}

FNH_PLUGIN(.name = "collude", .version = "1", .handle = handle)
