/*
 * config.h: fnhost.conf, the daemon's settings.
 *
 * The file is lines of "key = value" (at most 4096 bytes each, no NUL
 * bytes); '#' at the start of a line or after a blank starts a comment,
 * blank lines are ignored, keys are unique.  Durations take a unit (ms, s,
 * m, h, d), sizes a binary suffix (K, M, G: 1024-based) or none for bytes,
 * booleans yes/no, true/false or on/off.  Paths are absolute; listen is
 * ADDR:PORT with a dotted IPv4 address, a [bracketed] IPv6 address or a
 * host name.  An unknown key, a bad value, a value out of its range or a
 * repeated key is an error that names the file and line ("fnhost.conf:12:
 * unknown key 'foo'").  Every key has a default (config_defaults) and a
 * range, documented in fnhost.conf(5).
 */
#ifndef FNHOST_CONFIG_H
#define FNHOST_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* A node label: 1 to CONFIG_NODE_MAX of [a-z0-9-], not starting with '-'. */
#define CONFIG_NODE_MAX 16

struct config {
	char listen[128];	     /* listen = 127.0.0.1:8080 */
	char data_dir[PATH_MAX];     /* data_dir = /var/lib/fnhost */
	char scratch_root[PATH_MAX]; /* scratch_root = (see below) */

	uint32_t invoke_timeout_ms;	  /* invoke_timeout = 10s */
	uint32_t invoke_cpu_ms;		  /* invoke_cpu = 10s: CPU time of all
					   the worker's threads per invoke */
	uint32_t session_idle_ms;	  /* session_idle = 5m */
	uint32_t session_lifetime_ms;	  /* session_lifetime = 1h */
	uint32_t shutdown_grace_ms;	  /* shutdown_grace = 10s */
	uint32_t max_input;		  /* max_input = 1M */
	uint32_t max_output;		  /* max_output = 1M */
	uint64_t max_bundle;		  /* max_bundle = 64M (a deploy) */
	uint64_t worker_memory;		  /* worker_memory = 512M */
	uint64_t worker_file_size;	  /* worker_file_size = 64M */
	uint64_t scratch_size;		  /* scratch_size = 64M: each session's
					   own tmpfs */
	uint32_t scratch_inodes;	  /* scratch_inodes = 4096 */
	uint32_t worker_open_files;	  /* worker_open_files = 64 */
	uint32_t sessions_per_function;	  /* sessions_per_function = 16 */
	uint32_t sessions_per_token;	  /* sessions_per_token = 4 */
	uint32_t sessions_total;	  /* sessions_total = 64 */
	uint32_t warm_workers;		  /* warm_workers = 2 */
	uint32_t warm_sessions;		  /* warm_sessions = 4: ready ones, at
					   most one per function */
	uint32_t function_log_lines;	  /* function_log_lines = 1000: kept
					   per function name (fnlog.h) */
	uint32_t max_connections;	  /* max_connections = 256 */
	uint32_t client_timeout_s;	  /* client_timeout = 30s: a connection
					   idle this long is closed */
	uint32_t connections_per_ip;	  /* connections_per_ip = 64 */
	uint32_t request_head_timeout_ms; /* request_head_timeout = 10s: a
					     request's head, from the
					     connection or the last answer */
	uint32_t request_body_timeout_ms; /* request_body_timeout = 120s */
	uint32_t http_threads;		  /* http_threads = 2: event threads */
	uint32_t handler_threads;	  /* handler_threads = 32: for the
					   handlers that wait on a worker */
	uint32_t token_max_ttl_s;	  /* token_max_ttl = 30d */
	uint32_t token_default_ttl_s;	  /* token_default_ttl = 1h */

	char worker_user[64];	   /* worker_user = nobody (when run as root):
				   the group, and the uid without
				   worker_uid_base */
	uint32_t worker_uid_base;  /* worker_uid_base = 1879048192: as root,
				     each worker runs as this + its pid;
				     0: all as worker_user */
	uint32_t worker_threads;   /* worker_threads = 64: RLIMIT_NPROC of a
				     worker with a uid of its own */
	char worker_preload[1024]; /* worker_preload = libcrypto.so.3: libs,
				      by soname or absolute path, that the
				      zygote loads once for every worker */
	bool require_sandbox;	   /* require_sandbox = yes: refuse to start
				   when a layer is missing */
	bool sandbox_relaxed;	   /* sandbox_relaxed = no: sanitizer builds */
	char cors_origins[1024];   /* cors_origins = (none): the origins
				      (scheme://host[:port], blank-separated)
				      whose browser apps may call the API */
	char app_dir[PATH_MAX];	   /* app_dir = (none): the directory whose
				      files GET /app/... serves; none: off */

	/* One host of a cluster (fnhost.conf(5) node). */
	char node[CONFIG_NODE_MAX + 1]; /* node = (none): the label every
					   session id this host gives
					   starts with, "NODE." */
	/* Where the registry lives (fnhost.conf(5) store). */
	char store[16];		 /* store = file: DATADIR alone; postgres:
				      PostgreSQL, DATADIR its cache */
	char postgres_dsn[1024]; /* postgres_dsn = (none): libpq's
				      connection string, for store = postgres */
};

/* Fill c with every default.  Cheap and deterministic: no I/O, so
 * scratch_root is left empty ("the default") for config_resolve(). */
void config_defaults(struct config *c);

/* Fill the values derived from others once every source (file, flags) is
 * applied: an empty scratch_root becomes data_dir + "/scratch" when
 * every directory above data_dir lets others pass (o+x), else
 * /var/tmp/fnhost-HASH (16 hex digits of a hash of data_dir); never the
 * system's /dev/shm: each session's scratch is a tmpfs of its own,
 * mounted over the scratch root in its worker's view, and the root
 * itself holds only empty directories.  Returns 0, or
 * -ERR_INVALID with a reason when the result does not fit. */
int config_resolve(struct config *c, char *err, size_t errlen);

/* Parse buf (len bytes, any bytes) on top of what c holds; name is used in
 * messages.  Pure: no I/O.  Returns 0, or -ERR_INVALID with
 * "name:line: reason" and c unchanged.  Durations follow base/duration.h
 * (bare digits are seconds).  Cross-key rules (sessions_per_function <= sessions_total,
 * token_default_ttl <= token_max_ttl, session_idle <= session_lifetime)
 * are checked on the result, as "name: reason". */
int config_parse(struct config *c, const char *buf, size_t len,
		 const char *name, char *err, size_t errlen);

/* Read and parse the regular file at path (at most 1 MiB); path names it
 * in messages.  Returns 0, or with a reason and c unchanged -ERR_IO when
 * it can not be read or is not a regular file, -ERR_TOO_LARGE over 1 MiB,
 * -ERR_INTERNAL out of memory, or config_parse()'s -ERR_INVALID. */
int config_load(struct config *c, const char *path, char *err, size_t errlen);

#endif
