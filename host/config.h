/*
 * config.h: fnhost.conf, the daemon's settings.
 *
 * The file is lines of "key = value"; '#' starts a comment, blank lines
 * are ignored, keys are unique.  Durations take a unit (ms, s, m, h),
 * sizes a binary suffix (K, M, G) or none for bytes, booleans yes/no.
 * An unknown key, a bad value or a repeated key is an error that names
 * the file and line ("fnhost.conf:12: unknown key 'foo'").  Every key has
 * a default (config_defaults), documented in fnhost.conf(5).
 */
#ifndef FNHOST_CONFIG_H
#define FNHOST_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config {
	char listen[128];	     /* listen = 127.0.0.1:8080 */
	char data_dir[PATH_MAX];     /* data_dir = /var/lib/fnhost */
	char scratch_root[PATH_MAX]; /* scratch_root = (see below) */

	uint32_t invoke_timeout_ms;   /* invoke_timeout = 10s */
	uint32_t session_idle_ms;     /* session_idle = 5m */
	uint32_t session_lifetime_ms; /* session_lifetime = 1h */
	uint32_t shutdown_grace_ms;   /* shutdown_grace = 10s */
	uint32_t max_input;	      /* max_input = 1M */
	uint32_t max_output;	      /* max_output = 1M */
	uint64_t max_bundle;	      /* max_bundle = 64M (a deploy) */
	uint64_t worker_memory;	      /* worker_memory = 512M */
	uint64_t worker_file_size;    /* worker_file_size = 64M */
	uint32_t worker_open_files;   /* worker_open_files = 64 */
	uint32_t sessions_per_function; /* sessions_per_function = 16 */
	uint32_t sessions_total;	/* sessions_total = 64 */
	uint32_t max_connections;	/* max_connections = 256 */
	uint32_t token_max_ttl_s;	/* token_max_ttl = 30d */
	uint32_t token_default_ttl_s;	/* token_default_ttl = 1h */

	char worker_user[64];	/* worker_user = nobody (when run as root) */
	bool require_sandbox;	/* require_sandbox = yes: refuse to start
				   when a layer is missing */
	bool sandbox_relaxed;	/* sandbox_relaxed = no: sanitizer builds */
};

/* Fill c with every default.  scratch_root defaults to /dev/shm/fnhost
 * where /dev/shm is a tmpfs, else to data_dir/scratch (resolved later by
 * the daemon when it is left empty here). */
void config_defaults(struct config *c);

/* Parse buf (len bytes, any bytes) on top of what c holds; name is used in
 * messages.  Pure: no I/O.  Returns 0, or -1 with "name:line: reason". */
int config_parse(struct config *c, const char *buf, size_t len,
		 const char *name, char *err, size_t errlen);

/* Read and parse the file at path (at most 1 MiB).  Returns 0 or -1. */
int config_load(struct config *c, const char *path, char *err,
		size_t errlen);

#endif
