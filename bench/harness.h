/*
 * harness.h: what the benches that start a real fnhostd share to set it
 * up (never timed): a fatal error with the bench's name, its two
 * temporary dirs, a free loopback port, a small text file, and libcurl's
 * body into a fixed buffer.  Define BENCH_NAME ("bench-api") before including it.
 */
#ifndef FNHOST_BENCH_HARNESS_H
#define FNHOST_BENCH_HARNESS_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* Say what failed, as BENCH_NAME, and exit 1. */
static inline _Noreturn void
die(const char *what)
{
	fprintf(stderr, BENCH_NAME ": %s\n", what);
	exit(1);
}

/* Make the bench's temporary dir (under /tmp) and its scratch dir (in
 * /dev/shm when it is writable, else /tmp), each mode 0711 so that
 * workers under their own uids pass through; dies when it can not. */
static inline void
temp_dirs(char *tmp, size_t tmplen, char *shm, size_t shmlen)
{
	snprintf(tmp, tmplen, "/tmp/fnhost-bench-XXXXXX");
	snprintf(shm, shmlen, "%s/fnhost-bench-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!mkdtemp(tmp) || chmod(tmp, 0711) < 0 || !mkdtemp(shm) ||
	    chmod(shm, 0711) < 0)
		die("cannot make a temporary dir");
}

/* A TCP port on 127.0.0.1 that nobody listens on now. */
static inline unsigned short
free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &len) < 0)
		die("no free port");
	close(s);
	return ntohs(a.sin_port);
}

/* The text of the file at path (at most len - 1 bytes), without its
 * trailing line ends; dies when it can not be read. */
static inline void
read_text(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		die(path);
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
}

/* The kB of the "key:" line of /proc/PID/file (VmRSS: in status, Pss: in
 * smaps_rollup), or -1. */
static inline long
proc_kib(pid_t pid, const char *file, const char *key)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen)) {
			kib = strtol(line + klen, NULL, 10);
			break;
		}
	if (f)
		fclose(f);
	return kib;
}

/* Proportional set size of pid in KiB: shared pages split among their
 * users, so that a worker is charged for what it alone adds; or -1. */
static inline long
pss_kib(pid_t pid)
{
	return proc_kib(pid, "smaps_rollup", "Pss:");
}

/* A response body, cut to fit. */
struct reply {
	char buf[4096];
	size_t len;
};

/* libcurl's write callback into a struct reply. */
static inline size_t
collect(char *p, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t len = size * n, room = sizeof(r->buf) - 1 - r->len;

	memcpy(r->buf + r->len, p, len < room ? len : room);
	r->len += len < room ? len : room;
	r->buf[r->len] = '\0';
	return len;
}

#endif
