/*
 * fnhost plugin ABI, version 1.
 *
 * A plugin is a shared object that exports exactly one symbol,
 * fnh_plugin_v1(), returning a pointer to a constant struct fnh_plugin.
 * Build everything else with -fvisibility=hidden; the FNH_PLUGIN() macro
 * below defines the entry point with default visibility.
 *
 * Lifecycle, per client session, inside one sandboxed worker process:
 *
 *	fnh_plugin_v1()		once, right after the host dlopen()s the plugin
 *	init(host)		once, optional; non-zero refuses the session
 *	handle(host, call, ..)	once per invoke, in order, never concurrently
 *	fini(host)		once when the session closes, optional
 *
 * The host checks the descriptor's magic, then size, then abi_major, before
 * it reads any other field, and refuses a plugin it does not understand with
 * a message naming the field.  reserved[] must be all NULL.
 *
 * Rules that keep the boundary sound:
 *  - Errors cross the boundary only as a return code plus the text given to
 *    host->fail().  Never longjmp out of, or raise signals across, a call.
 *  - A non-zero return from handle() fails that invoke; the session lives
 *    on.  A crash (any fatal signal) fails the invoke and ends the session.
 *  - Output and error text are bounded by the host's limits.  output()
 *    returns -1 and appends nothing once the limit would be passed; the
 *    plugin should then stop producing output and return an error.
 *  - The working directory is the session's scratch directory, read-write,
 *    empty at session start, kept between the invokes of one session and
 *    wiped when it closes.  bundle_dir holds the signed bundle's files,
 *    read-only; it is a path to open files under, which may be a
 *    /proc/self/fd/N link rather than the host's own name for it.  Nothing else of the file system is reachable, and there is
 *    no network, no fork and no exec.
 *
 * struct fnh_host is append-only: a later host may add members at the end
 * and sets size accordingly.  A plugin built against minor version N may use
 * a member added in version N only if host->size covers it.
 */
#ifndef FNHOST_PLUGIN_H
#define FNHOST_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FNH_PLUGIN_MAGIC 0x464e4831u /* "FNH1" */
#define FNH_ABI_MAJOR 1
#define FNH_ABI_MINOR 1

/* Levels for fnh_host.log(), as in syslog(3). */
#define FNH_LOG_ERROR 3
#define FNH_LOG_WARNING 4
#define FNH_LOG_INFO 6
#define FNH_LOG_DEBUG 7

/* One invoke in progress; opaque to the plugin, valid only during handle(). */
struct fnh_call;

/* Services the host offers the plugin.  Every pointer is valid for the
 * whole session; the struct itself must not be written. */
struct fnh_host {
	uint32_t size;	    /* sizeof(struct fnh_host) as the host knows it */
	uint32_t abi_minor; /* the host's FNH_ABI_MINOR */

	/* Absolute path of the bundle's directory: read-only. */
	const char *bundle_dir;
	/* Absolute path of the scratch directory, also the working
	 * directory: read-write, wiped when the session closes. */
	const char *scratch_dir;

	/* Append len bytes to the invoke's output.  Returns 0, or -1 with
	 * nothing appended when the output limit would be passed. */
	int (*output)(struct fnh_call *call, const void *buf, size_t len);

	/* Set the invoke's error text (printf-style; as long as the
	 * invoke's output may be, truncated beyond; a later call replaces
	 * an earlier one).  Returns -1 so that a handler can write
	 * "return host->fail(call, ...);". */
	int (*fail)(struct fnh_call *call, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));

	/* A line for the host's log, tagged with the session.  Rate-limited
	 * and truncated by the host; never shown to the client. */
	void (*log)(int level, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));

	/* Fill buf with len cryptographically secure random bytes.  Returns
	 * 0, or -1 on failure (buf is then unspecified). */
	int (*random)(void *buf, size_t len);

	/* Since minor version 1: check host->size covers it first, e.g.
	 * "host->size >= offsetof(struct fnh_host, secret) +
	 * sizeof(host->secret)" (FNH_HOST_HAS(host, secret) does it).
	 *
	 * The function's secret named key (set by the operator with
	 * `fnhost secret set NAME KEY`, sealed to the host, opened only
	 * for a worker of this function's name): copies the value into buf
	 * when it fits len and returns its length, or returns -1 when the
	 * function has no such secret.  A value is at most 4096 bytes and
	 * not NUL-terminated; secret(key, NULL, 0) gives the length alone.
	 * The values are those at the session's start. */
	int (*secret)(const char *key, void *buf, size_t len);
};

/* Whether the host behind h offers member m (one added after minor 0). */
#define FNH_HOST_HAS(h, m)                                                     \
	((h)->size >= offsetof(struct fnh_host, m) + sizeof((h)->m))

/* What a plugin exports through fnh_plugin_v1(). */
struct fnh_plugin {
	uint32_t magic;	    /* FNH_PLUGIN_MAGIC */
	uint32_t size;	    /* sizeof(struct fnh_plugin) */
	uint16_t abi_major; /* FNH_ABI_MAJOR: the host refuses any other */
	uint16_t abi_minor; /* FNH_ABI_MINOR the plugin was built against */

	const char *name;	 /* required: short name, [a-z0-9_-] */
	const char *version;	 /* required: free text, e.g. "1.2.0" */
	const char *description; /* optional: one line */

	/* Optional.  Called once before the first invoke; a non-zero return
	 * refuses the session, with the text given to fail() if any (call is
	 * NULL here, so use host->log() for detail). */
	int (*init)(const struct fnh_host *host);

	/* Required.  Called once per invoke with the whole input; input is
	 * not NUL-terminated and may be empty.  Returns 0 on success; any
	 * other value fails the invoke with the text given to fail(). */
	int (*handle)(const struct fnh_host *host, struct fnh_call *call,
		      const void *input, size_t input_len);

	/* Optional.  Called once when the session closes normally. */
	void (*fini)(const struct fnh_host *host);

	void *reserved[8]; /* must be NULL */
};

/* The plugin's one exported symbol. */
const struct fnh_plugin *fnh_plugin_v1(void);

/* Defines fnh_plugin_v1() with default visibility, returning a static
 * descriptor filled with magic, size and ABI version plus the designated
 * initializers given, e.g.
 *
 *	FNH_PLUGIN(.name = "echo", .version = "1.0", .handle = echo_handle)
 */
#define FNH_PLUGIN(...)                                                        \
	__attribute__((visibility("default"))) const struct fnh_plugin *       \
	fnh_plugin_v1(void)                                                    \
	{                                                                      \
		static const struct fnh_plugin fnh_plugin_descriptor_ = {      \
			.magic = FNH_PLUGIN_MAGIC,                             \
			.size = sizeof(struct fnh_plugin),                     \
			.abi_major = FNH_ABI_MAJOR,                            \
			.abi_minor = FNH_ABI_MINOR,                            \
			__VA_ARGS__                                            \
		};                                                             \
		return &fnh_plugin_descriptor_;                                \
	}

#ifdef __cplusplus
}
#endif

#endif /* FNHOST_PLUGIN_H */
