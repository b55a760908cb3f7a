/* worker.c: the host's handle on a worker process (see worker.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/utf8.h"
#include "sandbox/channel.h"
#include "sandbox/runtime.h"
#include "sandbox/worker.h"

struct worker {
	pid_t pid;
	/* Its process CPU-time clock, when has_clock: worker_cpu_ms(). */
	clockid_t cpu_clock;
	bool has_clock;
	/* The pidfd is held only while the worker is made and reaped: a
	 * worker is this process's child (CLONE_PARENT), and an unreaped
	 * child's pid names it alone, so that between those kill() is as
	 * safe, and an open session costs one descriptor, its channel. */
	int pidfd;
	bool child; /* pid is our unreaped child's */
	int chan;
	bool dead;
	enum worker_cause cause; /* once dead */
	int signo, exit_status;	 /* what waitid() said of it */
	uint32_t max_input, max_output;
	uint32_t cpu_budget_ms;
	uint64_t cpu_limit_ms; /* CPU time at which the invoke running ends */
	long ncpu;
	void (*log)(void *ctx, int level, const char *msg);
	void *log_ctx;
	char name[101], version[101];
};

/* How long a worker that closed its channel may take to exit by itself
 * before it is killed. */
#define EXIT_GRACE_MS 200

/* ---- sealing the plugin -------------------------------------------------- */

static int
copy_to_memfd(int src, int dst, EVP_MD_CTX *md)
{
	char buf[65536];
	ssize_t n, w, off;

	for (;;) {
		n = read(src, buf, sizeof(buf));
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (EVP_DigestUpdate(md, buf, (size_t)n) != 1)
			return -1;
		for (off = 0; off < n; off += w) {
			w = write(dst, buf + off, (size_t)(n - off));
			if (w < 0 && errno != EINTR)
				return -1;
			if (w < 0)
				w = 0;
		}
	}
}

int
worker_seal_plugin(int dirfd, const char *name, const unsigned char want[32],
		   unsigned char got[32], int *fd, char *err, size_t errlen)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	EVP_MD_CTX *md = NULL;
	int src = -1, mfd = -1, ret = -1;
	struct stat st;

	src = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (src < 0 || fstat(src, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "cannot open plugin '%s': %s", name,
			 src < 0 ? strerror(errno) : "not a regular file");
		goto out;
	}
	mfd = memfd_create("fnhost-plugin", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	md = EVP_MD_CTX_new();
	if (mfd < 0 || !md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		snprintf(err, errlen, "cannot make a sealed copy of '%s'",
			 name);
		goto out;
	}
	/* Hash what lands in the memfd, not what the file says later: the
	 * sealed copy is what the worker maps. */
	if (copy_to_memfd(src, mfd, md) < 0 ||
	    fcntl(mfd, F_ADD_SEALS,
		  F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) <
		    0 ||
	    EVP_DigestFinal_ex(md, digest, &dlen) != 1 || dlen != 32) {
		snprintf(err, errlen, "cannot make a sealed copy of '%s': %s",
			 name, strerror(errno));
		goto out;
	}
	if (want && memcmp(want, digest, 32) != 0) {
		snprintf(err, errlen,
			 "plugin '%s' does not match its checksum in MANIFEST",
			 name);
		goto out;
	}
	if (got)
		memcpy(got, digest, 32);
	*fd = mfd;
	mfd = -1;
	ret = 0;
out:
	EVP_MD_CTX_free(md);
	if (src >= 0)
		close(src);
	if (mfd >= 0)
		close(mfd);
	return ret;
}

/* ---- process lifetime ---------------------------------------------------- */

/*
 * A worker runs only while it serves: between invokes (and before the
 * first) it is stopped with SIGSTOP, so that threads a plugin leaves
 * spinning take no CPU from other sessions, and continued before each
 * INVOKE and before its channel is closed (fini() runs continued).  As
 * init of its pid namespace it ignores every signal of ours but SIGKILL
 * and SIGSTOP, and SIGCONT's continuing happens even when ignored.
 */
static void
signal_worker(struct worker *w, int sig)
{
	if (w->dead)
		return;
	if (w->pidfd >= 0)
		syscall(SYS_pidfd_send_signal, w->pidfd, sig, NULL, 0);
	else if (w->child)
		kill(w->pid, sig);
}

/* Wait up to ms for the child w to exit, without a pidfd (none could be
 * opened: at the descriptor limit, say).  Returns whether it did. */
static bool
wait_exit_polling(struct worker *w, int ms)
{
	const struct timespec tick = { .tv_nsec = 2 * 1000 * 1000 };
	siginfo_t si;
	int waited;

	for (waited = 0;; waited += 2) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)w->pid, &si,
			   WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    si.si_pid == w->pid)
			return true;
		if (waited >= ms)
			return false;
		nanosleep(&tick, NULL);
	}
}

/*
 * CPU time used by all of the worker's threads, the ended ones too, in
 * ms; -1 if unknown.  Its process CPU-time clock (clock_getcpuclockid(3),
 * found once when the worker starts: glibc checks it with a system call)
 * reads it to the nanosecond in a third of a microsecond, a zombie's
 * too, where /proc/PID/stat had the kernel format fifty fields in 9 us
 * and counted in ticks of 10 ms: that was a tenth of fnhostd's CPU in a
 * loop of invokes, read at every wait of every invoke.  The pid is our
 * unreaped child's, which no other process can hold.
 */
static int64_t
worker_cpu_ms(const struct worker *w)
{
	struct timespec ts;

	if (!w->has_clock || clock_gettime(w->cpu_clock, &ts) < 0)
		return -1;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The CPU budget of an invoke: what all of the worker's threads may use
 * between INVOKE and DONE, on top of the wall-clock limit.  The host
 * watches it itself, from its CPU-time clock, while it waits for a
 * byte: no cgroup is needed, and RLIMIT_CPU could not do it, since raising it
 * again for the next invoke takes CAP_SYS_RESOURCE, which a host in a
 * container may lack.  The worker can use at most ncpu ms of CPU per ms,
 * so waiting (left / ncpu) ms between looks never lets it overrun.
 * Returns 0 once the channel is readable or the deadline has passed (the
 * read then says which), or -1 with errno ETIME past the budget.
 */
static int
await_readable(struct worker *w, int64_t deadline)
{
	struct pollfd pfd = { .fd = w->chan, .events = POLLIN };
	int64_t used, slice, left;

	for (;;) {
		left = deadline - clock_now_ms();
		if (left <= 0)
			return 0;
		used = w->cpu_limit_ms ? worker_cpu_ms(w) : -1;
		if (used >= 0 && (uint64_t)used >= w->cpu_limit_ms) {
			errno = ETIME;
			return -1;
		}
		slice = left;
		if (used >= 0 &&
		    ((int64_t)w->cpu_limit_ms - used) / w->ncpu + 1 < slice)
			slice = ((int64_t)w->cpu_limit_ms - used) / w->ncpu + 1;
		if (slice > 1 << 30)
			slice = 1 << 30;
		if (poll(&pfd, 1, (int)slice) != 0)
			return 0;
	}
}

struct budgeted {
	struct worker *w;
	int64_t deadline;
};

/* chan_read_full_wait()'s wait for read_budgeted(): ETIMEDOUT past the
 * deadline, ETIME past the CPU budget. */
static int
wait_budgeted(void *ctx)
{
	const struct budgeted *b = ctx;

	if (clock_now_ms() >= b->deadline) {
		errno = ETIMEDOUT;
		return -1;
	}
	return await_readable(b->w, b->deadline);
}

/*
 * Read exactly len bytes of the frames of a load or an invoke.  Every
 * wait, not only the one for a frame's first byte, counts the worker's
 * CPU against w->cpu_limit_ms (when set): a plugin that
 * writes part of a header (or of a payload) and then spins would
 * otherwise run on past its budget until the wall-clock limit.  Errors as
 * chan_read_full(), and ETIME past the budget.
 */
static int
read_budgeted(struct worker *w, void *buf, size_t len, int64_t deadline)
{
	struct budgeted b = { .w = w, .deadline = deadline };

	return chan_read_full_wait(w->chan, buf, len, wait_budgeted, &b);
}

/* Say how the worker ended from its waitid() record, into buf and
 * w's cause. */
static void
describe_exit(struct worker *w, const siginfo_t *si, char *buf, size_t len)
{
	const char *sig;

	switch (si->si_code) {
	case CLD_EXITED:
		w->exit_status = si->si_status;
		if (si->si_status == RUNTIME_EXIT_ABORT) {
			w->cause = WORKER_CAUSE_ABORT;
			snprintf(buf, len, "the function aborted");
		} else {
			w->cause = WORKER_CAUSE_EXIT;
			snprintf(buf, len, "the worker exited with status %d",
				 si->si_status);
		}
		return;
	case CLD_KILLED:
	case CLD_DUMPED:
		w->signo = si->si_status;
		if (si->si_status == SIGSYS) {
			w->cause = WORKER_CAUSE_SECCOMP;
			snprintf(buf, len,
				 "the worker was killed by the sandbox "
				 "(forbidden system call)");
			return;
		}
		w->cause = WORKER_CAUSE_SIGNAL;
		sig = sigabbrev_np(si->si_status);
		snprintf(buf, len, "the worker crashed (SIG%s)",
			 sig ? sig : "?");
		return;
	default:
		w->cause = WORKER_CAUSE_EXIT;
		snprintf(buf, len, "the worker ended");
	}
}

/* Wait up to ms for the worker to exit, kill it if it has not, reap it.
 * Writes how it ended into buf (if not NULL) and w's cause: the kill's
 * cause when the host killed it (WORKER_CAUSE_NONE for a plain close),
 * else what waitid() says. */
static void
reap(struct worker *w, int ms, enum worker_cause kill_cause, char *buf,
     size_t len)
{
	struct pollfd pfd = { .events = POLLIN };
	char how[256];
	siginfo_t si;
	int killed = 0;

	if (w->pidfd < 0 && w->child)
		w->pidfd = (int)syscall(SYS_pidfd_open, w->pid, 0);
	if (w->pidfd < 0 && w->child) {
		if (ms <= 0 || !wait_exit_polling(w, ms)) {
			kill(w->pid, SIGKILL);
			killed = 1;
		}
		memset(&si, 0, sizeof(si));
		while (waitid(P_PID, (id_t)w->pid, &si, WEXITED) < 0 &&
		       errno == EINTR)
			;
		goto reaped;
	}
	if (w->pidfd < 0) {
		/* No process to wait for (worker_adopt(), or reaped before):
		 * the worker is over all the same, so that every later invoke
		 * is WORKER_GONE and worker_alive() says so. */
		if (buf && !w->dead)
			snprintf(buf, len, "the worker's channel closed");
		w->dead = true;
		return;
	}
	pfd.fd = w->pidfd; /* opened above */
	if (ms <= 0 || poll(&pfd, 1, ms) <= 0) {
		syscall(SYS_pidfd_send_signal, w->pidfd, SIGKILL, NULL, 0);
		killed = 1;
	}
	memset(&si, 0, sizeof(si));
	while (waitid(P_PIDFD, (id_t)w->pidfd, &si, WEXITED) < 0 &&
	       errno == EINTR)
		;
	close(w->pidfd);
	w->pidfd = -1;
reaped:
	w->child = false;
	if (killed) {
		w->cause = kill_cause;
		snprintf(how, sizeof(how),
			 "the worker stopped answering and was killed");
	} else {
		describe_exit(w, &si, how, sizeof(how));
	}
	if (buf)
		snprintf(buf, len, "%s", how);
	w->dead = true;
}

/* The worker broke the session: kill it now and say why in r. */
static enum worker_status
end_session(struct worker *w, struct worker_result *r, enum worker_status st,
	    enum worker_cause cause, const char *fmt, ...)
{
	char how[256] = "";
	va_list ap;

	if (st == WORKER_CRASHED && (errno == ECONNRESET || errno == EPIPE)) {
		/* The channel closed: let the exit status tell what
		 * happened. */
		reap(w, EXIT_GRACE_MS, WORKER_CAUSE_HUNG, how, sizeof(how));
		snprintf(r->error, sizeof(r->error), "%s", how);
	} else {
		reap(w, 0, cause, NULL, 0);
		va_start(ap, fmt);
		vsnprintf(r->error, sizeof(r->error), fmt, ap);
		va_end(ap);
	}
	worker_result_free(r);
	r->status = st;
	return st;
}

/* ---- the session --------------------------------------------------------- */

static int
send_setup(struct worker *w, const struct worker_params *p)
{
	size_t blen = strlen(p->bundle_path) + 1;
	size_t slen = strlen(p->scratch_path) + 1;
	struct chan_setup head = {
		.max_input = p->max_input,
		.max_output = p->max_output,
		.bundle_dir_len = (uint32_t)blen,
		.scratch_dir_len = (uint32_t)slen,
	};
	int fds[CHAN_SETUP_NFDS] = { p->bundle_fd, p->scratch_fd,
				     p->plugin_fd };
	char *buf;
	int ret;

	buf = malloc(sizeof(head) + blen + slen);
	if (!buf)
		return -1;
	memcpy(buf, &head, sizeof(head));
	memcpy(buf + sizeof(head), p->bundle_path, blen);
	memcpy(buf + sizeof(head) + blen, p->scratch_path, slen);
	ret = chan_send_fds(w->chan, CHAN_SETUP, buf,
			    sizeof(head) + blen + slen, fds, CHAN_SETUP_NFDS);
	free(buf);
	return ret;
}

/*
 * Every text a worker sends (log lines, REFUSE, the DONE error, READY's
 * name and version) is made valid UTF-8 here, where it enters the host:
 * it goes on into JSON (answers, the function's log ring, `fnhost test
 * -o json`), which a plugin's stray bytes would make unreadable (utf8.h).
 */
static void
forward_log(struct worker *w, const char *payload, size_t len)
{
	/* Room for a replacement character for every byte. */
	char msg[3 * CHAN_MAX_TEXT + 1];
	int32_t level;

	if (len < sizeof(level) || !w->log)
		return;
	memcpy(&level, payload, sizeof(level));
	utf8_clean(msg, sizeof(msg), payload + sizeof(level),
		   len - sizeof(level));
	w->log(w->log_ctx, level, msg);
}

/* Read frames until READY or REFUSE. */
static int
await_ready(struct worker *w, int64_t deadline, char *err, size_t errlen)
{
	const uint32_t allowed = CHAN_BIT(CHAN_READY) | CHAN_BIT(CHAN_REFUSE) |
				 CHAN_BIT(CHAN_LOG);
	char buf[CHAN_MAX_TEXT + 1];
	struct chan_hdr hdr;
	struct worker_result r;

	for (;;) {
		if (read_budgeted(w, &hdr, sizeof(hdr), deadline) < 0 ||
		    chan_check_hdr(&hdr, allowed, CHAN_MAX_TEXT) < 0 ||
		    read_budgeted(w, buf, hdr.len, deadline) < 0) {
			int e = errno;

			memset(&r, 0, sizeof(r));
			errno = e;
			if (e == ETIMEDOUT)
				end_session(w, &r, WORKER_TIMEOUT,
					    WORKER_CAUSE_WALL,
					    "the plugin did not load within "
					    "the time limit");
			else if (e == ETIME)
				end_session(w, &r, WORKER_TIMEOUT,
					    WORKER_CAUSE_CPU,
					    "the plugin used up its CPU budget "
					    "of %u ms while loading",
					    w->cpu_budget_ms);
			else
				end_session(w, &r, WORKER_CRASHED,
					    WORKER_CAUSE_PROTOCOL,
					    "the worker broke the protocol "
					    "while loading");
			snprintf(err, errlen, "%s", r.error);
			return -1;
		}
		buf[hdr.len] = '\0';
		if (hdr.type == CHAN_LOG) {
			forward_log(w, buf, hdr.len);
			continue;
		}
		if (hdr.type == CHAN_REFUSE) {
			utf8_clean(err, errlen, buf, hdr.len);
			reap(w, EXIT_GRACE_MS, WORKER_CAUSE_HUNG, NULL, 0);
			return -1;
		}
		utf8_clean(w->name, sizeof(w->name), buf, hdr.len);
		if (strlen(buf) < hdr.len)
			utf8_clean(w->version, sizeof(w->version),
				   buf + strlen(buf) + 1,
				   hdr.len - strlen(buf) - 1);
		return 0;
	}
}

int
worker_open(struct zygote *z, const struct worker_params *p,
	    struct worker **out, char *err, size_t errlen)
{
	struct zygote_worker zw;

	if (zygote_spawn(z, p->limits, &zw, err, errlen) < 0)
		return -1;
	return worker_start(&zw, p, out, err, errlen);
}

int
worker_start(const struct zygote_worker *spawned, const struct worker_params *p,
	     struct worker **out, char *err, size_t errlen)
{
	struct zygote_worker zw = *spawned;
	struct worker *w;
	int64_t deadline;

	w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, errlen, "out of memory");
		zygote_worker_kill(&zw);
		return -1;
	}
	w->pid = zw.pid;
	w->has_clock = clock_getcpuclockid(w->pid, &w->cpu_clock) == 0;
	w->pidfd = zw.pidfd;
	w->child = true;
	w->chan = zw.chan;
	w->max_input = p->max_input;
	w->max_output = p->max_output;
	w->cpu_budget_ms = p->cpu_budget_ms;
	w->ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (w->ncpu < 1)
		w->ncpu = 1;
	w->log = p->log;
	w->log_ctx = p->log_ctx;
	deadline = clock_now_ms() + p->load_timeout_ms;
	if (send_setup(w, p) < 0) {
		snprintf(err, errlen,
			 "cannot hand the session to the worker: "
			 "%s",
			 strerror(errno));
		goto fail;
	}
	/* From here on the host only waits with a deadline. */
	fcntl(w->chan, F_SETFL, fcntl(w->chan, F_GETFL) | O_NONBLOCK);
	if (p->secrets_len > CHAN_SECRETS_MAX ||
	    chan_send(w->chan, CHAN_SECRETS, p->secrets, p->secrets_len,
		      deadline) < 0) {
		snprintf(err, errlen, "cannot hand the secrets to the worker");
		goto fail;
	}
	/* Loading, init() included, has an invoke's CPU budget: its
	 * threads could otherwise burn every CPU until the time limit, at
	 * each session's start. */
	if (w->cpu_budget_ms) {
		int64_t used = worker_cpu_ms(w);

		if (used >= 0)
			w->cpu_limit_ms = (uint64_t)used + w->cpu_budget_ms;
	}
	if (await_ready(w, deadline, err, errlen) < 0)
		goto fail;
	w->cpu_limit_ms = 0;
	signal_worker(w, SIGSTOP); /* idle until the first invoke */
	close(w->pidfd);	   /* see struct worker */
	w->pidfd = -1;
	*out = w;
	return 0;
fail:
	worker_close(w, 0);
	return -1;
}

struct worker *
worker_adopt(int chan, uint32_t max_input, uint32_t max_output)
{
	struct worker *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->pid = -1;
	w->pidfd = -1;
	w->chan = chan;
	w->max_input = max_input;
	w->max_output = max_output;
	fcntl(chan, F_SETFL, fcntl(chan, F_GETFL) | O_NONBLOCK);
	return w;
}

const char *
worker_plugin_name(const struct worker *w)
{
	return w->name;
}

const char *
worker_plugin_version(const struct worker *w)
{
	return w->version;
}

pid_t
worker_pid(const struct worker *w)
{
	return w->pid;
}

bool
worker_alive(const struct worker *w)
{
	return !w->dead;
}

enum worker_cause
worker_cause(const struct worker *w, int *signo, int *status)
{
	if (signo)
		*signo = w->dead ? w->signo : 0;
	if (status)
		*status = w->dead ? w->exit_status : 0;
	return w->dead ? w->cause : WORKER_CAUSE_NONE;
}

const char *
worker_cause_name(enum worker_cause cause)
{
	switch (cause) {
	case WORKER_CAUSE_SIGNAL:
		return "signal";
	case WORKER_CAUSE_SECCOMP:
		return "seccomp";
	case WORKER_CAUSE_ABORT:
		return "abort";
	case WORKER_CAUSE_EXIT:
		return "exit";
	case WORKER_CAUSE_HUNG:
		return "hung";
	case WORKER_CAUSE_WALL:
		return "wall_time";
	case WORKER_CAUSE_CPU:
		return "cpu_time";
	case WORKER_CAUSE_OUTPUT:
		return "output";
	case WORKER_CAUSE_PROTOCOL:
		return "protocol";
	case WORKER_CAUSE_NONE:
	default:
		return "none";
	}
}

/* Append one OUTPUT frame's payload to r->output. */
static int
take_output(struct worker *w, struct worker_result *r, uint32_t len,
	    int64_t deadline)
{
	char *p;

	p = realloc(r->output, r->output_len + len + 1);
	if (!p)
		return -1;
	r->output = p;
	if (read_budgeted(w, p + r->output_len, len, deadline) < 0)
		return -1;
	r->output_len += len;
	p[r->output_len] = '\0';
	return 0;
}

/*
 * What a stopped worker left on its channel since its last DONE (or
 * READY): it was written when no invoke was asked, since the worker runs
 * only from this invoke's SIGCONT on.  A LOG frame is a line a thread
 * logged just before the stop, and goes on; an OUTPUT or DONE frame would
 * be taken for this invoke's answer, given before its input: the worker
 * broke the protocol.  A frame not yet whole is left to the invoke, which
 * reads it after the worker finishes writing it.  Returns 0, or -1 with
 * errno EPROTO.
 */
static int
drain_idle(struct worker *w)
{
	char buf[sizeof(struct chan_hdr) + CHAN_MAX_TEXT + 1];
	struct chan_hdr hdr;
	ssize_t n;

	for (;;) {
		n = recv(w->chan, &hdr, sizeof(hdr), MSG_PEEK | MSG_DONTWAIT);
		if (n < (ssize_t)sizeof(hdr))
			return 0; /* nothing, a part, or the end: read later */
		if (hdr.type != CHAN_LOG || hdr.len > CHAN_MAX_TEXT) {
			errno = EPROTO;
			return -1;
		}
		n = recv(w->chan, buf, sizeof(hdr) + hdr.len,
			 MSG_PEEK | MSG_DONTWAIT);
		if (n < (ssize_t)(sizeof(hdr) + hdr.len))
			return 0;
		if (recv(w->chan, buf, sizeof(hdr) + hdr.len, MSG_DONTWAIT) !=
		    n)
			return 0;
		forward_log(w, buf + sizeof(hdr), hdr.len);
	}
}

void
worker_result_free(struct worker_result *r)
{
	free(r->output);
	free(r->error_text);
	r->output = r->error_text = NULL;
	r->output_len = r->error_text_len = 0;
}

/* The end of an invoke, by a DONE frame of status and error text: the
 * output stands only for status 0; a failure's text goes to r->error,
 * and when it is longer, whole to r->error_text (valid UTF-8 both). */
static enum worker_status
invoke_done(struct worker *w, struct worker_result *r, int32_t status,
	    const char *text, size_t len)
{
	size_t room;

	signal_worker(w, SIGSTOP);
	if (status == 0) {
		r->status = WORKER_OK;
		return r->status;
	}
	r->status = WORKER_FAILED;
	worker_result_free(r);
	utf8_clean(r->error, sizeof(r->error), text, len);
	if (len < sizeof(r->error) && strlen(r->error) == len)
		return r->status; /* r->error holds it all */
	/* Room for a replacement character for every byte. */
	room = 3 * len + 1;
	r->error_text = malloc(room);
	if (r->error_text) {
		utf8_clean(r->error_text, room, text, len);
		r->error_text_len = strlen(r->error_text);
	}
	return r->status;
}

/* An invoke that failed for e (the channel's or the budget's errno):
 * the session ends, and r says why. */
static enum worker_status
invoke_io_error(struct worker *w, struct worker_result *r, int e,
		int timeout_ms)
{
	if (e == ETIMEDOUT)
		return end_session(w, r, WORKER_TIMEOUT, WORKER_CAUSE_WALL,
				   "the invoke ran past its time limit of "
				   "%d ms",
				   timeout_ms);
	if (e == ETIME)
		return end_session(w, r, WORKER_TIMEOUT, WORKER_CAUSE_CPU,
				   "the invoke used up its CPU budget of %u ms",
				   w->cpu_budget_ms);
	errno = e;
	if (e == ECONNRESET || e == EPIPE)
		return end_session(w, r, WORKER_CRASHED, WORKER_CAUSE_NONE, "");
	return end_session(w, r, WORKER_CRASHED, WORKER_CAUSE_PROTOCOL,
			   "the worker broke the channel protocol (%s)",
			   strerror(e));
}

/* A DONE frame of len bytes, more than the text buffer holds: read into
 * memory of its own, then as invoke_done(). */
static enum worker_status
take_done_long(struct worker *w, struct worker_result *r, uint32_t len,
	       int64_t deadline, int timeout_ms)
{
	enum worker_status st;
	int32_t status;
	char *buf = malloc(len);

	if (!buf)
		return end_session(w, r, WORKER_CRASHED, WORKER_CAUSE_PROTOCOL,
				   "out of memory for the worker's answer");
	if (read_budgeted(w, buf, len, deadline) < 0) {
		free(buf);
		return invoke_io_error(w, r, errno, timeout_ms);
	}
	memcpy(&status, buf, sizeof(status));
	st = invoke_done(w, r, status, buf + sizeof(status),
			 len - sizeof(status));
	free(buf);
	return st;
}

enum worker_status
worker_invoke(struct worker *w, const void *input, size_t len, int timeout_ms,
	      struct worker_result *r)
{
	const uint32_t allowed = CHAN_BIT(CHAN_OUTPUT) | CHAN_BIT(CHAN_LOG) |
				 CHAN_BIT(CHAN_DONE);
	char text[CHAN_MAX_TEXT + 1];
	int64_t deadline = clock_now_ms() + timeout_ms;
	struct chan_hdr hdr;
	int32_t status;

	memset(r, 0, sizeof(*r));
	if (w->dead) {
		r->status = WORKER_GONE;
		snprintf(r->error, sizeof(r->error),
			 "the session has ended (its worker is gone)");
		return r->status;
	}
	if (len > w->max_input) {
		r->status = WORKER_TOO_LARGE;
		snprintf(r->error, sizeof(r->error),
			 "input of %zu bytes is over the limit of %u", len,
			 w->max_input);
		return r->status;
	}
	if (w->cpu_budget_ms && w->pid > 0) {
		int64_t used = worker_cpu_ms(w);

		if (used < 0)
			return end_session(w, r, WORKER_CRASHED,
					   WORKER_CAUSE_PROTOCOL,
					   "cannot read the worker's CPU time");
		w->cpu_limit_ms = (uint64_t)used + w->cpu_budget_ms;
	}
	/* Only a worker the host stops between invokes has frames that
	 * are surely stale (worker_adopt()'s peer may answer ahead). */
	if (w->child && drain_idle(w) < 0)
		return end_session(w, r, WORKER_CRASHED, WORKER_CAUSE_PROTOCOL,
				   "the worker sent an answer before it was "
				   "asked");
	signal_worker(w, SIGCONT);
	if (chan_send(w->chan, CHAN_INVOKE, input, len, deadline) < 0)
		goto io_error;
	for (;;) {
		size_t max = CHAN_MAX_TEXT;

		if (read_budgeted(w, &hdr, sizeof(hdr), deadline) < 0 ||
		    chan_check_hdr(&hdr, allowed, CHAN_MAX_CHUNK) < 0)
			goto io_error;
		if (hdr.type == CHAN_OUTPUT) {
			if (hdr.len > w->max_output - r->output_len)
				return end_session(
					w, r, WORKER_TOO_LARGE,
					WORKER_CAUSE_OUTPUT,
					"output is over the limit of %u bytes",
					w->max_output);
			if (take_output(w, r, hdr.len, deadline) < 0)
				goto io_error;
			continue;
		}
		if (hdr.type == CHAN_DONE)
			max = sizeof(status) + chan_error_max(w->max_output);
		if (hdr.len > max ||
		    (hdr.type == CHAN_DONE && hdr.len < sizeof(status))) {
			errno = EPROTO;
			goto io_error;
		}
		if (hdr.type == CHAN_DONE && hdr.len > CHAN_MAX_TEXT)
			return take_done_long(w, r, hdr.len, deadline,
					      timeout_ms);
		if (read_budgeted(w, text, hdr.len, deadline) < 0)
			goto io_error;
		text[hdr.len] = '\0';
		if (hdr.type == CHAN_LOG) {
			forward_log(w, text, hdr.len);
			continue;
		}
		memcpy(&status, text, sizeof(status));
		return invoke_done(w, r, status, text + sizeof(status),
				   hdr.len - sizeof(status));
	}
io_error:
	return invoke_io_error(w, r, errno, timeout_ms);
}

void
worker_hangup(struct worker *w)
{
	if (w && w->chan >= 0) {
		/* fini() and the exit on EOF run continued. */
		signal_worker(w, SIGCONT);
		close(w->chan);
		w->chan = -1;
	}
}

void
worker_close(struct worker *w, int grace_ms)
{
	if (!w)
		return;
	worker_hangup(w);
	reap(w, grace_ms, WORKER_CAUSE_NONE, NULL, 0);
	free(w);
}
