/*
 * fnhostd: the function host daemon.
 *
 *	fnhostd [-ft] [-c CONFIG] [-d DATADIR] [-l ADDR:PORT]
 *	fnhostd -R admin-token|token-key [-c CONFIG] [-d DATADIR]
 *
 * Start-up order matters: the zygote is forked before any thread exists
 * (libmicrohttpd's threads never fork) and before any secret is read
 * (it executes a program of its own, whose copies the workers are, but a
 * secret read before the fork would be in the child until its exec), and
 * the signals the main thread waits for are blocked first so that every
 * later thread inherits the mask and only sigwait() sees them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/hex.h"
#include "daemon/api.h"
#include "daemon/fnlog.h"
#include "daemon/hostkeys.h"
#include "daemon/http.h"
#include "daemon/log.h"
#include "daemon/registry.h"
#include "daemon/session.h"
#include "daemon/store.h"
#include "formats/config.h"
#include "sandbox/channel.h"
#include "sandbox/launch.h"
#include "sandbox/scratch.h"
#include "sandbox/zygote.h"

#define USAGE                                                                  \
	"usage: fnhostd [-ft] [-c CONFIG] [-d DATADIR] [-l ADDR:PORT]\n"       \
	"       fnhostd -R admin-token|token-key [-c CONFIG] [-d DATADIR]\n"

struct daemon {
	struct config cfg;
	bool foreground;
	bool check_only;    /* -t: check the configuration and exit */
	const char *rotate; /* -R: which secret to replace, then exit */
	struct store *store;
	struct zygote zygote;
	struct metrics metrics;
	struct sessions *sessions;
	struct server *srv;
	struct hostkeys keys;
	bool keys_loaded;
	bool secrets_made;	   /* secrets_init() done: secrets_fini() due */
	struct secrets secrets;	   /* the store's, opened with keys */
	struct registry *registry; /* store = postgres, else NULL */
	int scratch_lock;	   /* flock()ed fd of cfg.scratch_root */
	pthread_t reaper;
	atomic_bool stopping;
};

static int
absolute_path(const char *path, char *out, size_t len)
{
	char cwd[PATH_MAX];
	int n;

	if (path[0] == '/')
		n = snprintf(out, len, "%s", path);
	else if (getcwd(cwd, sizeof(cwd)))
		n = snprintf(out, len, "%s/%s", cwd, path);
	else
		return -1;
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* -l is checked exactly as the listen key of the file is. */
static int
set_listen(struct config *cfg, const char *value, char *err, size_t errlen)
{
	char line[sizeof(cfg->listen) + 16];
	int n;

	n = snprintf(line, sizeof(line), "listen = %s\n", value);
	if (strchr(value, '\n') || n < 0 || (size_t)n >= sizeof(line)) {
		snprintf(err, errlen, "-l: bad address '%.100s'", value);
		return -1;
	}
	return config_parse(cfg, line, (size_t)n, "-l", err, errlen);
}

static int
parse_args(struct daemon *d, int argc, char **argv)
{
	const char *conf = NULL, *datadir = NULL, *listen = NULL;
	char err[PATH_MAX + 256];
	int c;

	while ((c = getopt(argc, argv, "c:d:l:fhtR:V")) != -1) {
		switch (c) {
		case 'c':
			conf = optarg;
			break;
		case 'd':
			datadir = optarg;
			break;
		case 'l':
			listen = optarg;
			break;
		case 'f':
			d->foreground = true;
			break;
		case 't':
			d->check_only = true;
			break;
		case 'R':
			if (strcmp(optarg, "admin-token") != 0 &&
			    strcmp(optarg, "token-key") != 0) {
				fputs(USAGE, stderr);
				return -1;
			}
			d->rotate = optarg;
			break;
		case 'V':
			printf("fnhostd %s\n", FNHOST_VERSION);
			exit(0);
		case 'h':
			fputs(USAGE, stdout);
			exit(0);
		default:
			fputs(USAGE, stderr);
			return -1;
		}
	}
	if (optind != argc) {
		fputs(USAGE, stderr);
		return -1;
	}
	config_defaults(&d->cfg);
	if (conf && config_load(&d->cfg, conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "fnhostd: %s\n", err);
		return -1;
	}
	/* Flags win over the file.  A relative -d is taken from here: the
	 * daemon later changes to /. */
	if (datadir && absolute_path(datadir, d->cfg.data_dir,
				     sizeof(d->cfg.data_dir)) < 0) {
		fprintf(stderr, "fnhostd: data dir path is too long\n");
		return -1;
	}
	if (listen && set_listen(&d->cfg, listen, err, sizeof(err)) < 0) {
		fprintf(stderr, "fnhostd: %s\n", err);
		return -1;
	}
	if (config_resolve(&d->cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "fnhostd: %s\n", err);
		return -1;
	}
	return 0;
}

/*
 * A worker, under its own uid, opens its scratch dir by path (through its
 * noexec view of the scratch root), so every directory above the root must
 * let others pass.  Say which one does not, rather than fail each session.
 */
static int
check_reachable(const char *root, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct stat st;
	char *slash;

	snprintf(path, sizeof(path), "%s", root);
	while ((slash = strrchr(path, '/')) != NULL) {
		*slash = '\0';
		if (stat(path[0] ? path : "/", &st) < 0) {
			snprintf(err, errlen, "cannot stat %s: %s",
				 path[0] ? path : "/", strerror(errno));
			return -1;
		}
		if (!(st.st_mode & S_IXOTH)) {
			snprintf(err, errlen,
				 "workers can not reach scratch root %s: %s is "
				 "mode %04o (each directory above it needs "
				 "o+x)",
				 root, path[0] ? path : "/",
				 (unsigned)(st.st_mode & 07777));
			return -1;
		}
	}
	return 0;
}

/*
 * Make the scratch root, lock it against a second fnhostd (whose stale
 * session dirs we would otherwise wipe, and it ours), and remove the
 * session dirs a crash left.  The lock lives as long as the fd: the
 * daemon's lifetime.
 */
static int
prepare_scratch_root(struct daemon *d, char *err, size_t errlen)
{
	const char *root = d->cfg.scratch_root;
	struct stat st;

	if (mkdir(root, 0711) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create scratch root %s: %s", root,
			 strerror(errno));
		return -1;
	}
	d->scratch_lock = open(root,
			       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d->scratch_lock < 0 || fstat(d->scratch_lock, &st) < 0) {
		snprintf(err, errlen, "cannot open scratch root %s: %s", root,
			 strerror(errno));
		return -1;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "scratch root %s is not owned by uid %u",
			 root, (unsigned)geteuid());
		return -1;
	}
	if (flock(d->scratch_lock, LOCK_EX | LOCK_NB) < 0) {
		snprintf(err, errlen,
			 "scratch root %s is in use by another fnhostd (give "
			 "each its own scratch_root)",
			 root);
		return -1;
	}
	/* Workers pass through it to their own dir, never list it. */
	if (fchmod(d->scratch_lock, 0711) < 0) {
		snprintf(err, errlen, "cannot chmod scratch root %s: %s", root,
			 strerror(errno));
		return -1;
	}
	if (geteuid() == 0 && check_reachable(root, err, errlen) < 0)
		return -1;
	if (scratch_remove_children(root, "session-") < 0)
		log_msg(LOG_LEVEL_WARN,
			"msg=\"could not remove every stale scratch dir in "
			"%s\"",
			root);
	return 0;
}

/*
 * Is cfg->listen free?  Asked before the data dir, the keys and the admin
 * token are made, so that a taken port fails a first start without a
 * first_start in the log and a fresh state left behind.  A probe, not the
 * listening socket (libmicrohttpd makes that): bind() without listen()
 * and close, which leaves nothing in TIME_WAIT.  An address that does not
 * resolve is left to http_start() to name.
 */
static int
check_listen_free(const char *listen, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	char host[sizeof(((struct config *)0)->listen)];
	const char *colon = strrchr(listen, ':');
	const char *h = host;
	int fd = -1, one = 1, ret = 0;
	size_t hl;

	if (!colon || (hl = (size_t)(colon - listen)) >= sizeof(host))
		return 0;
	memcpy(host, listen, hl);
	host[hl] = '\0';
	if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		h = host + 1;
	}
	if (getaddrinfo(h, colon + 1, &hints, &ai) != 0 || !ai)
		return 0;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto out;
	/* As libmicrohttpd does: a port in TIME_WAIT is free to it. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno == EADDRINUSE)
		ret = err_set(err, errlen, ERR_IO, "cannot listen on %s: %s",
			      listen, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return ret;
}

/*
 * -R: replace a secret of a stopped host's data dir.  store_open() locks
 * the data dir, so a running fnhostd makes this fail instead of holding
 * the old secret in memory while the file says another.  A new token key
 * invalidates every token signed with the old one: their records are
 * marked revoked, so that fnhost token list says so.  Returns the exit
 * status.
 */
static int
rotate(struct daemon *d)
{
	char err[PATH_MAX + 256], token[65];
	unsigned char secret[32];
	struct store_token *t = NULL;
	bool admin = strcmp(d->rotate, "admin-token") == 0;
	const char *name = admin ? "admin.token" : "token.key";
	size_t n = 0, i;
	int ret = 1;

	if (store_open(d->cfg.data_dir, &d->store, err, sizeof(err)) < 0 ||
	    store_key_remove(d->store, name, err, sizeof(err)) < 0)
		goto out;
	if (admin) {
		if (store_admin_token(d->store, token, NULL, err, sizeof(err)) <
		    0)
			goto out;
		OPENSSL_cleanse(token, sizeof(token));
	} else {
		if (store_token_secret(d->store, secret, err, sizeof(err)) < 0)
			goto out;
		OPENSSL_cleanse(secret, sizeof(secret));
		if (store_token_list(d->store, &t, &n, err, sizeof(err)) < 0)
			goto out;
		for (i = 0; i < n; i++)
			if (!t[i].revoked &&
			    store_token_revoke(d->store, t[i].jti, err,
					       sizeof(err)) < 0)
				goto out;
	}
	if (admin)
		printf("fnhostd: a new admin token is in %s/keys/admin.token\n",
		       d->cfg.data_dir);
	else
		printf("fnhostd: a new token key is in %s/keys/token.key; %zu "
		       "token(s) signed with the old one are revoked\n",
		       d->cfg.data_dir, n);
	ret = 0;
out:
	if (ret)
		fprintf(stderr, "fnhostd: -R %s: %s\n", d->rotate, err);
	free(t);
	if (d->store)
		store_close(d->store);
	d->store = NULL;
	return ret;
}

/* Say once which layers are missing; refuse to run when so configured. */
static int
check_sandbox(const struct config *cfg, const struct sandbox_features *f)
{
	char missing[256] = "";

	if (!f->landlock_abi)
		strcat(missing, " landlock");
	if (!f->seccomp)
		strcat(missing, " seccomp");
	if (!f->pidns)
		strcat(missing, " pid-namespace");
	if (!f->mountns)
		strcat(missing, " mount-namespace private-root scratch-tmpfs");
	if (!f->netns)
		strcat(missing, " net-namespace");
	if (cfg->sandbox_relaxed)
		log_msg(LOG_LEVEL_WARN,
			"msg=\"sandbox_relaxed is on: for sanitizer builds "
			"only, never in production\"");
	if (!missing[0])
		return 0;
	if (cfg->require_sandbox) {
		log_msg(LOG_LEVEL_ERROR,
			"msg=\"sandbox layers missing:%s; refusing to run "
			"(require_sandbox = no runs without them)\"",
			missing);
		return -1;
	}
	log_msg(LOG_LEVEL_WARN, "msg=\"sandbox layers missing:%s\"", missing);
	return 0;
}

static void *
reaper_main(void *arg)
{
	struct daemon *d = arg;
	struct timespec second = { .tv_sec = 1 };

	while (!atomic_load(&d->stopping)) {
		sessions_reap(d->sessions);
		nanosleep(&second, NULL);
	}
	return NULL;
}

/* SIGTERM: refuse new work, let sessions finish up to the grace period,
 * then end the rest: the invokes queued on them are answered then, not
 * run while the handler threads are stopped. */
static void
drain(struct daemon *d)
{
	int64_t deadline = clock_now_ms() + d->cfg.shutdown_grace_ms;
	struct timespec tick = { .tv_nsec = 50 * 1000 * 1000 };

	server_drain(d->srv);
	sessions_drain(d->sessions);
	log_msg(LOG_LEVEL_INFO, "event=draining sessions=%zu",
		sessions_count(d->sessions));
	while (sessions_count(d->sessions) > 0 && clock_now_ms() < deadline)
		nanosleep(&tick, NULL);
	sessions_close_all(d->sessions);
}

/*
 * Reseal the secrets still sealed to the previous key: at a start, to
 * finish a rotation that a crash cut short, before any worker asks for
 * them (a store that can not be read is a start that fails, like any
 * other).  A reload does its own (secrets_reload_keys()).
 */
static int
finish_reseal(struct daemon *d, char *err, size_t errlen)
{
	size_t n = 0;

	if (secrets_reseal_all(&d->secrets, &n, err, errlen) < 0)
		return -1;
	if (n)
		log_msg(LOG_LEVEL_INFO, "event=secrets_resealed count=%zu", n);
	return 0;
}

/*
 * SIGHUP: the host keys again from DATADIR/keys, which the operator of a
 * cluster replaces on every host with the one key set after a rotation
 * (fnhostd(8), SIGHUP).  A set that does not load leaves the keys in use
 * as they were and says why.
 */
static void
reload_keys(struct daemon *d)
{
	unsigned char enc[HPKE_NPK], att[ATTEST_PK_BYTES];
	char err[PATH_MAX + 256], enc_hex[2 * HPKE_NPK + 1];
	char att_hex[2 * ATTEST_PK_BYTES + 1];
	bool changed;
	int64_t old_until;
	size_t resealed;

	if (secrets_reload_keys(&d->secrets, &changed, &resealed, err,
				sizeof(err)) < 0) {
		log_msg(LOG_LEVEL_ERROR,
			"event=reload_keys msg=\"%s; the keys in use are "
			"kept\"",
			err);
		return;
	}
	hostkeys_public(&d->keys, enc, att, &old_until);
	hex_encode(enc_hex, enc, sizeof(enc));
	hex_encode(att_hex, att, sizeof(att));
	log_msg(LOG_LEVEL_INFO,
		"event=reload_keys changed=%s encrypt=%s attest=%s "
		"previous_until=%lld",
		changed ? "yes" : "no", enc_hex, att_hex, (long long)old_until);
	if (resealed)
		log_msg(LOG_LEVEL_INFO, "event=secrets_resealed count=%zu",
			resealed);
}

static int
serve(struct daemon *d, const sigset_t *waitset)
{
	char err[PATH_MAX + 256];
	size_t n;
	int sig;

	for (;;) {
		if (sigwait(waitset, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			if (server_reload_trust(d->srv, &n, err, sizeof(err)) <
			    0)
				log_msg(LOG_LEVEL_ERROR,
					"event=reload msg=\"%s\"", err);
			else
				log_msg(LOG_LEVEL_INFO,
					"event=reload trusted_keys=%zu", n);
			reload_keys(d);
			continue;
		}
		log_msg(LOG_LEVEL_INFO, "event=shutdown signal=%s",
			sigabbrev_np(sig));
		drain(d);
		return 0;
	}
}

static int
start(struct daemon *d, char *err, size_t errlen)
{
	struct sandbox_config sc;
	struct sandbox_limits lim;
	struct server_deps deps;
	unsigned char secret[32];
	bool created = false, fresh;
	size_t trusted = 0;

	if (check_listen_free(d->cfg.listen, err, errlen) < 0)
		return -1;
	/* Made here, 0711 rather than store_open()'s 0700, so that workers
	 * can pass through to a scratch root under it (the default,
	 * data_dir/scratch); what it holds stays 0700. */
	if (mkdir(d->cfg.data_dir, 0711) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", d->cfg.data_dir,
			 strerror(errno));
		return -1;
	}
	if (store_open(d->cfg.data_dir, &d->store, err, errlen) < 0 ||
	    prepare_scratch_root(d, err, errlen) < 0 ||
	    launch_config(&d->cfg, &sc, &lim, err, errlen) < 0)
		return -1;
	/*
	 * The zygote, before any thread and before any secret.  It runs
	 * fnhost-zygote, so no worker is a copy of this process's memory
	 * (a plugin reads its own without a system call); what it knows of
	 * the host is the sandbox configuration it is sent.  What this
	 * process holds (the admin token, the token key, the host keys)
	 * no worker ever has.
	 */
	if (zygote_start(&d->zygote, &sc, err, errlen) < 0)
		return -1;
	if (hostkeys_load(&d->keys, d->store, err, errlen) < 0)
		return -1;
	d->keys_loaded = true;
	if (check_sandbox(&d->cfg, &d->zygote.features) < 0) {
		snprintf(err, errlen, "the sandbox is incomplete");
		return -1;
	}
	/* After the zygote's start, like the keys. */
	if (fnlog_init(d->cfg.function_log_lines) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (secrets_init(&d->secrets, d->store, &d->keys, err, errlen) < 0)
		return -1;
	d->secrets_made = true;
	d->sessions = sessions_new(&d->cfg, &d->zygote, &lim, &d->metrics,
				   &d->secrets, d->store);
	if (!d->sessions) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	deps = (struct server_deps){
		.cfg = &d->cfg,
		.store = d->store,
		.sessions = d->sessions,
		.metrics = &d->metrics,
		.features = &d->zygote.features,
		.keys = &d->keys,
		.secrets = &d->secrets,
	};
	/* The token key is made with the admin token on a first start; a
	 * missing admin token alone is not a new host. */
	fresh = store_key_get(d->store, "token.key", secret, sizeof(secret),
			      err, errlen) == -ERR_NOT_FOUND;
	OPENSSL_cleanse(secret, sizeof(secret));
	if (server_new(&deps, &d->srv, &created, err, errlen) < 0 ||
	    server_reload_trust(d->srv, &trusted, err, errlen) < 0)
		return -1;
	if (!strcmp(d->cfg.store, "postgres")) {
		/* Before serving: the cache as the registry has it now. */
		struct registry_deps rd = {
			.cfg = &d->cfg,
			.store = d->store,
			.trust = d->srv->trust,
			.secrets = &d->secrets,
			.sessions = d->sessions,
		};

		if (registry_open(&rd, &d->registry, err, errlen) < 0 ||
		    registry_start(d->registry, err, errlen) < 0)
			return -1;
		d->srv->registry = d->registry;
	}
	/* With the registry, its copies are resealed, which it holds now. */
	if (finish_reseal(d, err, errlen) < 0)
		return -1;
	if (created)
		log_msg(LOG_LEVEL_INFO,
			"event=%s admin_token=%s/keys/admin.token",
			fresh ? "first_start" : "admin_token_made",
			d->cfg.data_dir);
	if (pthread_create(&d->reaper, NULL, reaper_main, d) != 0) {
		snprintf(err, errlen, "cannot start the reaper thread");
		return -1;
	}
	if (http_start(d->srv, err, errlen) < 0)
		return -1;
	log_msg(LOG_LEVEL_INFO,
		"event=listening addr=%s data_dir=%s scratch_root=%s "
		"trusted_keys=%zu landlock_abi=%d",
		d->cfg.listen, d->cfg.data_dir, d->cfg.scratch_root, trusted,
		d->zygote.features.landlock_abi);
	return 0;
}

/*
 * Without -f: fork into the background, but keep the terminal until the
 * daemon has started, so that a failure to start is seen, on stderr and
 * in the exit status, by whoever ran it.  The parent waits for one byte
 * on a pipe: 0 when the daemon serves; the pipe closes unwritten when it
 * could not start.  Returns the pipe's write end, in the child.
 */
static int
detach(void)
{
	unsigned char ok = 1;
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		fprintf(stderr, "fnhostd: cannot detach: %s\n",
			strerror(errno));
		return -1;
	}
	if (pid > 0) {
		close(p[1]);
		while (read(p[0], &ok, 1) < 0 && errno == EINTR)
			;
		_exit(ok);
	}
	close(p[0]);
	setsid();
	if (chdir("/") < 0)
		_exit(1);
	return p[1];
}

/* Started: from now on log to syslog, let go of the terminal, and let
 * the parent exit 0. */
static void
detached(int ready_fd)
{
	const unsigned char ok = 0;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	log_use_syslog();
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		close(null);
	}
	if (write(ready_fd, &ok, 1) != 1)
		log_msg(LOG_LEVEL_WARN, "msg=\"cannot tell the parent that "
					"fnhostd started\"");
	close(ready_fd);
}

/* Every connection is a descriptor, and so is every open session (its
 * worker's channel): raise the soft limit on open files to the hard one,
 * say so, and warn when even that is short of max_connections and
 * sessions_total. */
static void
raise_open_files(const struct config *cfg)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)cfg->max_connections + cfg->sessions_total + 256,
	       was;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	was = rl.rlim_cur;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			rl.rlim_cur = was;
		else
			log_msg(LOG_LEVEL_INFO,
				"msg=\"open files: soft limit raised from %llu "
				"to the hard limit, %llu\"",
				(unsigned long long)was,
				(unsigned long long)rl.rlim_cur);
	}
	if (rl.rlim_cur < want)
		log_msg(LOG_LEVEL_WARN,
			"msg=\"open files are limited to %llu, fewer than "
			"max_connections and sessions_total need (%llu)\"",
			(unsigned long long)rl.rlim_cur,
			(unsigned long long)want);
}

int
main(int argc, char **argv)
{
	static struct daemon d;
	sigset_t waitset;
	char err[PATH_MAX + 256];
	int ret = 1, ready_fd = -1;

	d.scratch_lock = -1;
	if (parse_args(&d, argc, argv) < 0)
		return 2;
	if (d.check_only)
		return 0;
	if (d.rotate)
		return rotate(&d);
	sigemptyset(&waitset);
	sigaddset(&waitset, SIGTERM);
	sigaddset(&waitset, SIGINT);
	sigaddset(&waitset, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &waitset, NULL);
	signal(SIGPIPE, SIG_IGN);
	raise_open_files(&d.cfg);
	if (!d.foreground && (ready_fd = detach()) < 0)
		return 1;
	if (start(&d, err, sizeof(err)) < 0) {
		log_msg(LOG_LEVEL_ERROR, "msg=\"%s\"", err);
		goto out;
	}
	if (ready_fd >= 0)
		detached(ready_fd);
	ret = serve(&d, &waitset);
out:
	atomic_store(&d.stopping, true);
	if (d.srv)
		http_stop(d.srv);
	if (d.reaper)
		pthread_join(d.reaper, NULL);
	/* After the HTTP threads: no write is in flight. */
	registry_close(d.registry);
	sessions_free(d.sessions);
	fnlog_free();
	zygote_stop(&d.zygote);
	server_free(d.srv);
	if (d.secrets_made)
		secrets_fini(&d.secrets);
	if (d.keys_loaded)
		hostkeys_clear(&d.keys);
	if (d.store)
		store_close(d.store);
	if (d.scratch_lock >= 0)
		close(d.scratch_lock);
	log_msg(LOG_LEVEL_INFO, "event=stopped");
	return ret;
}
