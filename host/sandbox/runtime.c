/*
 * runtime.c: the worker's side of a session (see runtime.h).
 *
 * Two pieces of state are file-scoped on purpose: the ABI's log() and
 * secret() callbacks carry no context, so they need to find the channel
 * and the secrets by themselves.  Both are set once, before the plugin is
 * loaded, and never change.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/channel.h"
#include "sandbox/root.h"
#include "sandbox/runtime.h"

/* Longest text of fail(NULL, ...) in init(): a REFUSE frame's. */
#define ERROR_MAX (CHAN_MAX_TEXT - sizeof(int32_t))

/* The channel, for log(); see the comment at the top. */
static int log_chan = -1;

struct fnh_call {
	int chan;
	size_t out_total;
	size_t max_output;
	/* What fail() said, malloc()ed, NUL-terminated, at most
	 * chan_error_max(max_output) bytes: an invoke's error text is the
	 * function's answer as much as its output is (a seed function's
	 * exception repeats its input), so it is not cut at a log line's
	 * length. */
	char *error;
	size_t error_len;
};

struct worker_session {
	int chan;
	size_t max_input;
	size_t max_output;
	char bundle_dir[PATH_MAX];
	char scratch_dir[PATH_MAX];
	int bundle_fd, scratch_fd, plugin_fd;
	char init_error[ERROR_MAX]; /* fail(NULL, ...) during init() */
};

/* The session that fail(NULL, ...) writes to during init(); like
 * log_chan, set once before the plugin runs. */
static struct worker_session *init_session;

/* The SECRETS frame's payload (channel.h), checked; for secret(). */
static unsigned char *secrets;
static size_t secrets_len;

static _Noreturn void
refuse(int chan, const char *fmt, ...)
{
	char msg[CHAN_MAX_TEXT];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	chan_send(chan, CHAN_REFUSE, msg, (size_t)n, 0);
	_exit(1);
}

/* ---- the services in struct fnh_host ------------------------------------- */

static int
host_output(struct fnh_call *call, const void *buf, size_t len)
{
	const char *p = buf;
	size_t piece;

	if (!call || (len && !buf) || len > call->max_output - call->out_total)
		return -1;
	call->out_total += len;
	while (len > 0) {
		piece = len < CHAN_MAX_CHUNK ? len : CHAN_MAX_CHUNK;
		if (chan_send(call->chan, CHAN_OUTPUT, p, piece, 0) < 0)
			_exit(1); /* the host is gone */
		p += piece;
		len -= piece;
	}
	return 0;
}

/* fail(call, ...) of an invoke: the text, up to the invoke's limit. */
static void
fail_invoke(struct fnh_call *call, const char *fmt, va_list ap)
{
	size_t max = chan_error_max(call->max_output);
	va_list aq;
	char *text;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		return;
	if ((size_t)n > max)
		n = (int)max;
	text = malloc((size_t)n + 1);
	if (!text)
		return; /* the earlier text, if any, stands */
	vsnprintf(text, (size_t)n + 1, fmt, ap);
	free(call->error);
	call->error = text;
	call->error_len = (size_t)n;
}

static int
host_fail(struct fnh_call *call, const char *fmt, ...)
{
	va_list ap;

	if (!fmt || (!call && !init_session))
		return -1;
	va_start(ap, fmt);
	if (call)
		fail_invoke(call, fmt, ap);
	else
		vsnprintf(init_session->init_error, ERROR_MAX, fmt, ap);
	va_end(ap);
	return -1;
}

static void
host_log(int level, const char *fmt, ...)
{
	char msg[CHAN_MAX_TEXT - sizeof(int32_t)];
	int32_t lvl = level;
	va_list ap;
	int n;

	if (log_chan < 0 || !fmt)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	if (chan_send2(log_chan, CHAN_LOG, &lvl, sizeof(lvl), msg, (size_t)n,
		       0) < 0)
		_exit(1);
}

static int
host_random(void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The value of key into buf when it fits: the value's length, or -1 when
 * the function has no such secret.  Entries were checked on receipt. */
static int
host_secret(const char *key, void *buf, size_t len)
{
	size_t off = 0, klen;
	uint32_t kl, vl;

	if (!key)
		return -1;
	klen = strlen(key);
	while (off < secrets_len) {
		memcpy(&kl, secrets + off, sizeof(kl));
		memcpy(&vl, secrets + off + sizeof(kl), sizeof(vl));
		off += 2 * sizeof(kl);
		if (kl == klen && !memcmp(secrets + off, key, klen)) {
			if (buf && vl <= len)
				memcpy(buf, secrets + off + kl, vl);
			return (int)vl;
		}
		off += kl + vl;
	}
	return -1;
}

/* ---- loading ------------------------------------------------------------- */

static int
valid_name(const char *s)
{
	size_t n;

	for (n = 0; s[n]; n++)
		if (n >= 63 || !((s[n] >= 'a' && s[n] <= 'z') ||
				 (s[n] >= '0' && s[n] <= '9') || s[n] == '_' ||
				 s[n] == '-'))
			return 0;
	return n > 0;
}

int
runtime_check_descriptor(const struct fnh_plugin *p, char *err, size_t errlen)
{
	size_t i;

	if (!p) {
		snprintf(err, errlen, "fnh_plugin_v1() returned NULL");
		return -1;
	}
	if (p->magic != FNH_PLUGIN_MAGIC) {
		snprintf(err, errlen, "descriptor magic is 0x%08x, not 0x%08x",
			 p->magic, FNH_PLUGIN_MAGIC);
		return -1;
	}
	if (p->size < sizeof(struct fnh_plugin)) {
		snprintf(err, errlen,
			 "descriptor size is %u, smaller than the %zu of ABI "
			 "v1",
			 p->size, sizeof(struct fnh_plugin));
		return -1;
	}
	if (p->abi_major != FNH_ABI_MAJOR) {
		snprintf(err, errlen,
			 "descriptor abi_major is %u; this host speaks %d",
			 p->abi_major, FNH_ABI_MAJOR);
		return -1;
	}
	if (!p->name || !valid_name(p->name)) {
		snprintf(err, errlen,
			 "descriptor name is %s (want 1-63 of [a-z0-9_-])",
			 p->name ? "not valid" : "NULL");
		return -1;
	}
	if (!p->version) {
		snprintf(err, errlen, "descriptor version is NULL");
		return -1;
	}
	if (!p->handle) {
		snprintf(err, errlen, "descriptor handle is NULL");
		return -1;
	}
	for (i = 0; i < sizeof(p->reserved) / sizeof(p->reserved[0]); i++)
		if (p->reserved[i]) {
			snprintf(err, errlen,
				 "descriptor reserved[%zu] is not NULL", i);
			return -1;
		}
	return 0;
}

/* Receive SETUP and check its paths.  Refuses (and exits) on any error. */
static void
receive_setup(struct worker_session *s)
{
	char buf[sizeof(struct chan_setup) + 2 * PATH_MAX];
	struct chan_setup head;
	size_t len = sizeof(buf);
	int fds[CHAN_SETUP_NFDS];
	const char *b, *sc;

	if (chan_recv_fds(s->chan, CHAN_SETUP, buf, &len, fds,
			  CHAN_SETUP_NFDS) < 0) {
		if (errno == ECONNRESET)
			_exit(0); /* an idle worker the host let go */
		refuse(s->chan, "worker: bad SETUP: %s", strerror(errno));
	}
	if (len < sizeof(head))
		refuse(s->chan, "worker: SETUP too short");
	memcpy(&head, buf, sizeof(head));
	b = buf + sizeof(head);
	sc = b + head.bundle_dir_len;
	if (head.bundle_dir_len == 0 || head.scratch_dir_len == 0 ||
	    head.bundle_dir_len > PATH_MAX || head.scratch_dir_len > PATH_MAX ||
	    sizeof(head) + head.bundle_dir_len + head.scratch_dir_len != len ||
	    b[head.bundle_dir_len - 1] || sc[head.scratch_dir_len - 1])
		refuse(s->chan, "worker: SETUP paths are malformed");
	memcpy(s->bundle_dir, b, head.bundle_dir_len);
	memcpy(s->scratch_dir, sc, head.scratch_dir_len);
	s->max_input = head.max_input;
	s->max_output = head.max_output;
	s->bundle_fd = fds[0];
	s->scratch_fd = fds[1];
	s->plugin_fd = fds[2];
}

/* Receive SECRETS, which follows SETUP, and check its entries' bounds so
 * that secret() can walk it blindly.  Refuses (and exits) on any error. */
static void
receive_secrets(struct worker_session *s)
{
	struct chan_hdr hdr;
	size_t off = 0;
	uint32_t kl, vl;

	if (chan_read_hdr(s->chan, &hdr, CHAN_BIT(CHAN_SECRETS),
			  CHAN_SECRETS_MAX, 0) < 0)
		refuse(s->chan, "worker: bad SECRETS: %s", strerror(errno));
	secrets = malloc(hdr.len ? hdr.len : 1);
	if (!secrets)
		refuse(s->chan, "worker: out of memory for the secrets");
	if (chan_read_full(s->chan, secrets, hdr.len, 0) < 0)
		_exit(1);
	secrets_len = hdr.len;
	while (off < secrets_len) {
		if (secrets_len - off < 2 * sizeof(kl))
			refuse(s->chan, "worker: SECRETS is malformed");
		memcpy(&kl, secrets + off, sizeof(kl));
		memcpy(&vl, secrets + off + sizeof(kl), sizeof(vl));
		off += 2 * sizeof(kl);
		if (kl == 0 || kl > CHAN_SECRET_KEY_MAX ||
		    vl > CHAN_SECRET_VALUE_MAX || secrets_len - off < kl + vl)
			refuse(s->chan, "worker: SECRETS is malformed");
		off += kl + vl;
	}
}

/* With a scratch tmpfs of its own over root (zygote.c), the worker makes
 * the session's directory there under the name the host chose, which must
 * be a child of root: the host's directory of that name is only a
 * reservation of the name, and stays empty. */
static void
make_own_scratch(struct worker_session *s, const char *root)
{
	size_t n = strlen(root);
	const char *name = s->scratch_dir + n + 1;
	int fd;

	if (strncmp(s->scratch_dir, root, n) != 0 || s->scratch_dir[n] != '/' ||
	    !*name || strchr(name, '/') || !strcmp(name, "..") ||
	    !strcmp(name, "."))
		refuse(s->chan, "worker: %s is not in the scratch root %s",
		       s->scratch_dir, root);
	if (mkdir(s->scratch_dir, 0700) < 0)
		refuse(s->chan, "worker: cannot make the scratch dir %s: %s",
		       s->scratch_dir, strerror(errno));
	fd = open(s->scratch_dir,
		  O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		refuse(s->chan, "worker: cannot reach the scratch dir %s: %s",
		       s->scratch_dir, strerror(errno));
	close(s->scratch_fd);
	s->scratch_fd = fd;
}

/* The scratch fd was opened in the host's mount namespace; without a
 * tmpfs of its own, take the directory through the worker's view, after
 * checking it is the same one. */
static void
reopen_scratch(struct worker_session *s)
{
	struct stat a, b;
	int fd;

	fd = open(s->scratch_dir,
		  O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		refuse(s->chan, "worker: cannot reach the scratch dir %s: %s",
		       s->scratch_dir, strerror(errno));
	if (fstat(fd, &a) < 0 || fstat(s->scratch_fd, &b) < 0 ||
	    a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		refuse(s->chan,
		       "worker: %s is not the scratch dir it was "
		       "given",
		       s->scratch_dir);
	close(s->scratch_fd);
	s->scratch_fd = fd;
}

/* The bundle dir's path may run through directories the worker's uid can
 * not pass (fnhostd keeps bundles under its 0700 DATADIR).  Then the
 * plugin reaches its files through the fd the host gave, which stays
 * open for the session.  Returns whether the fd must stay open. */
static bool
reach_bundle(struct worker_session *s)
{
	struct stat a, b;
	int fd;

	fd = open(s->bundle_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &a) == 0 && fstat(s->bundle_fd, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
		close(fd);
		return false;
	}
	if (fd >= 0)
		close(fd);
	snprintf(s->bundle_dir, sizeof(s->bundle_dir), "/proc/self/fd/%d",
		 s->bundle_fd);
	return true;
}

static const struct fnh_plugin *
load_plugin(struct worker_session *s)
{
	const struct fnh_plugin *(*entry)(void);
	const struct fnh_plugin *p;
	char path[64], err[CHAN_MAX_TEXT];
	void *dl;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", s->plugin_fd);
	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!dl)
		refuse(s->chan, "cannot load the plugin: %s", dlerror());
	close(s->plugin_fd);
	*(void **)&entry = dlsym(dl, "fnh_plugin_v1");
	if (!entry)
		refuse(s->chan, "the plugin does not export fnh_plugin_v1");
	p = entry();
	if (runtime_check_descriptor(p, err, sizeof(err)) < 0)
		refuse(s->chan, "plugin refused: %s", err);
	return p;
}

/* A plugin's abort(): as init of its pid namespace the worker would ignore
 * its own SIGABRT, so make the intent visible as an exit status. */
static void
on_abort(int sig)
{
	(void)sig;
	_exit(RUNTIME_EXIT_ABORT);
}

/* ---- serving ------------------------------------------------------------- */

static void
serve_invoke(struct worker_session *s, const struct fnh_plugin *p,
	     const struct fnh_host *host, size_t len)
{
	struct fnh_call call = {
		.chan = s->chan,
		.max_output = s->max_output,
	};
	int32_t status;
	char *input;

	input = malloc(len ? len : 1);
	if (!input)
		refuse(s->chan, "worker: out of memory for a %zu-byte input",
		       len);
	if (chan_read_full(s->chan, input, len, 0) < 0)
		_exit(1);
	status = p->handle(host, &call, input, len);
	free(input);
	if (status != 0 && !call.error_len)
		host_fail(&call,
			  "the function failed (returned %d) without a message",
			  (int)status);
	if (chan_send2(s->chan, CHAN_DONE, &status, sizeof(status),
		       status ? call.error : NULL, status ? call.error_len : 0,
		       0) < 0)
		_exit(1);
	free(call.error);
}

_Noreturn void
runtime_main(int chan, const struct runtime_args *args)
{
	struct worker_session s = { .chan = chan };
	struct fnh_host host = {
		.size = sizeof(struct fnh_host),
		.abi_minor = FNH_ABI_MINOR,
		.bundle_dir = s.bundle_dir,
		.scratch_dir = s.scratch_dir,
		.output = host_output,
		.fail = host_fail,
		.log = host_log,
		.random = host_random,
		.secret = host_secret,
	};
	char err[CHAN_MAX_TEXT], ready[256];
	const struct fnh_plugin *p;
	struct chan_hdr hdr;
	bool keep_bundle_fd;
	int n;

	receive_setup(&s);
	receive_secrets(&s);
	if (args->private_root &&
	    root_enter(s.bundle_dir, s.bundle_fd,
		       args->own_scratch_root ? NULL : s.scratch_dir,
		       s.scratch_fd, err, sizeof(err)) < 0)
		refuse(chan, "worker: %s", err);
	if (sandbox_drop(args->cfg, args->uid, err, sizeof(err)) < 0)
		refuse(chan, "worker: cannot drop privileges: %s", err);
	if (args->own_scratch_root)
		make_own_scratch(&s, args->own_scratch_root);
	else
		reopen_scratch(&s);
	keep_bundle_fd = reach_bundle(&s);
	if (sandbox_lock(args->policy, args->landlock_abi, s.bundle_fd,
			 s.scratch_fd, err, sizeof(err)) < 0)
		refuse(chan, "worker: %s", err);
	if (fchdir(s.scratch_fd) < 0)
		refuse(chan, "worker: cannot enter the scratch dir: %s",
		       strerror(errno));
	if (!keep_bundle_fd)
		close(s.bundle_fd);
	close(s.scratch_fd);
	signal(SIGABRT, on_abort);
	log_chan = chan;

	p = load_plugin(&s);
	init_session = &s;
	if (p->init && p->init(&host) != 0)
		refuse(chan, "the plugin's init failed%s%s",
		       s.init_error[0] ? ": " : "", s.init_error);
	init_session = NULL;
	n = snprintf(ready, sizeof(ready), "%.100s%c%.100s", p->name, '\0',
		     p->version);
	if (chan_send(chan, CHAN_READY, ready, (size_t)n, 0) < 0)
		_exit(1);

	for (;;) {
		if (chan_read_hdr(chan, &hdr, CHAN_BIT(CHAN_INVOKE),
				  s.max_input, 0) < 0)
			break;
		serve_invoke(&s, p, &host, hdr.len);
	}
	if (p->fini)
		p->fini(&host);
	_exit(0);
}
