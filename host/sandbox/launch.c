/* launch.c: a session's worker, made one way (see launch.h). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "sandbox/launch.h"
#include "sandbox/scratch.h"

int
launch_config(const struct config *cfg, struct sandbox_config *sc,
	      struct sandbox_limits *lim, char *err, size_t errlen)
{
	const struct passwd *pw;

	memset(sc, 0, sizeof(*sc));
	sc->relaxed = cfg->sandbox_relaxed;
	sc->scratch_root = cfg->scratch_root[0] ? cfg->scratch_root : NULL;
	sc->preload = cfg->worker_preload;
	*lim = (struct sandbox_limits){
		.memory = cfg->worker_memory,
		.file_size = cfg->worker_file_size,
		/* a backstop only: each invoke has its own time limit */
		.cpu_seconds = cfg->session_lifetime_ms / 1000 + 1,
		.open_files = cfg->worker_open_files,
		.threads = cfg->worker_threads,
		.scratch_size = cfg->scratch_size,
		.scratch_inodes = cfg->scratch_inodes,
	};
	if (geteuid() != 0)
		return 0;
	pw = getpwnam(cfg->worker_user);
	if (!pw)
		return err_set(err, errlen, ERR_INVALID,
			       "no user '%s' for the workers",
			       cfg->worker_user);
	sc->worker_uid = pw->pw_uid;
	sc->worker_gid = pw->pw_gid;
	sc->worker_uid_base = cfg->worker_uid_base;
	return 0;
}

/* The seals that make a memfd's bytes final (worker_seal_plugin()'s). */
#define FINAL_SEALS (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

int
launch_session(const struct zygote_worker *zw, const struct config *cfg,
	       const struct launch *l, struct launched *out, char *err,
	       size_t errlen)
{
	struct worker_params p = { 0 };
	int memfd = -1, plugin_fd, seals, rc;

	memset(out, 0, sizeof(*out));
	out->scratch_fd = -1;
	out->log_ctx = l->log_ctx;
	out->log_free = l->log_free;
	if (l->sealed) {
		/* Shared by every worker of the function: only the seals keep
		 * what it maps equal to what was hashed. */
		plugin_fd = l->plugin_memfd;
		seals = fcntl(plugin_fd, F_GET_SEALS);
		if (seals < 0 || (seals & FINAL_SEALS) != FINAL_SEALS) {
			snprintf(err, errlen,
				 "the copy of plugin '%s' is not sealed",
				 l->plugin);
			zygote_worker_kill(zw);
			launch_discard(out, 0);
			return -ERR_BAD_BUNDLE;
		}
	} else if (worker_seal_plugin(l->bundle_fd, l->plugin, l->plugin_sha256,
				      NULL, &memfd, err, errlen) < 0) {
		zygote_worker_kill(zw);
		launch_discard(out, 0);
		return -ERR_BAD_BUNDLE;
	} else {
		plugin_fd = memfd;
	}
	/* The scratch dir is the worker's own: its uid is the worker's. */
	if (scratch_create(cfg->scratch_root, "session-", zw->uid, zw->gid,
			   out->scratch, sizeof(out->scratch), &out->scratch_fd,
			   err, errlen) < 0) {
		out->scratch[0] = '\0';
		zygote_worker_kill(zw);
		launch_discard(out, 0);
		rc = -ERR_IO;
		goto out;
	}
	p.bundle_fd = l->bundle_fd;
	p.bundle_path = l->bundle_path;
	p.scratch_fd = out->scratch_fd;
	p.scratch_path = out->scratch;
	p.plugin_fd = plugin_fd;
	p.max_input = cfg->max_input;
	p.max_output = cfg->max_output;
	p.load_timeout_ms = (int)cfg->invoke_timeout_ms;
	p.cpu_budget_ms = cfg->invoke_cpu_ms;
	p.log = l->log;
	p.log_ctx = l->log_ctx;
	p.secrets = l->secrets;
	p.secrets_len = l->secrets_len;
	rc = worker_start(zw, &p, &out->w, err, errlen) < 0 ? -ERR_REFUSED : 0;
	if (rc < 0) {
		out->w = NULL;
		launch_discard(out, 0);
		goto out;
	}
	/* The worker holds its own; the dir is removed by its path, which
	 * scratch_remove() walks without following a link. */
	close(out->scratch_fd);
	out->scratch_fd = -1;
out:
	if (memfd >= 0)
		close(memfd);
	return rc;
}

int
launch_discard(struct launched *s, int grace_ms)
{
	int rc = 0;

	worker_close(s->w, grace_ms);
	s->w = NULL;
	if (s->scratch_fd >= 0)
		close(s->scratch_fd);
	s->scratch_fd = -1;
	if (s->scratch[0] && scratch_remove(s->scratch) < 0)
		rc = -1;
	s->scratch[0] = '\0';
	if (s->log_free)
		s->log_free(s->log_ctx);
	s->log_ctx = NULL;
	s->log_free = NULL;
	return rc;
}
