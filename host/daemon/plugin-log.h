/*
 * plugin-log.h: a plugin's log() lines in fnhostd's log.
 *
 * Each session's worker gets a context of its own (launch.h's log_ctx):
 * its lines are logged as "event=plugin_log function=... session=...
 * plugin_level=N msg=...", escaped like every value (log.h), and at most
 * PLUGIN_LOG_BURST lines, then PLUGIN_LOG_RATE a second, per function:
 * all of its sessions (and those made ahead) share them, and a session
 * opened after others closed starts with what they left.  What is
 * dropped is counted and said once the rate allows again.  The lines let
 * through also go to the function name's ring (fnlog.h).  A context is
 * used by one thread at a time (its session's); contexts of one function
 * may be used by several at once.
 */
#ifndef FNHOST_PLUGIN_LOG_H
#define FNHOST_PLUGIN_LOG_H

#define PLUGIN_LOG_BURST 100
#define PLUGIN_LOG_RATE 10

struct plugin_log;

/* A context for a worker of function_id, whose name is name; NULL when
 * out of memory. */
struct plugin_log *plugin_log_new(const char *function_id, const char *name);

/* Tag the context's later lines with the session it now serves. */
void plugin_log_attach(struct plugin_log *pl, const char *session_id);

/* The callback of struct launch (ctx is a struct plugin_log), and its
 * release. */
void plugin_log_line(void *ctx, int level, const char *msg);
void plugin_log_free(void *ctx);

#endif
