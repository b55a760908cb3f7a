/*
 * fnlog.h: each function name's last log lines, for its admin.
 *
 * A ring of the last N lines per function name (fnhost.conf's
 * function_log_lines; 0 keeps none): the plugin's own log() lines as
 * plugin-log.c lets them through its rate limit, and the host's events
 * of the name's sessions (session.c): "open", "close", "expired",
 * "crash" and "timeout" with their cause.  Never an input or an output;
 * a plugin's text is the plugin's, kept as JSON escapes it.  Each line is
 * kept as one JSON object, without a newline:
 *
 *	{"seq":N,"time":UNIX_MS,"function":ID,"session":SID,"event":E,
 *	 "level":L (for "log"),"cause":C (for "crash"/"timeout"),"msg":TEXT}
 *
 * seq counts a name's lines from 1 and never goes back, so a reader asks
 * for the lines after the last it saw.  A message is made valid UTF-8
 * and cut to FNLOG_MSG_MAX bytes between characters (utf8.h); at most FNLOG_NAMES_MAX names are kept (lines of further names
 * are dropped).  The set is the process's one, made by
 * fnlog_init() before any thread logs; until then every call is a no-op,
 * so that a table without a daemon (tests, `fnhost test`) keeps nothing.
 * Every call is thread-safe.
 */
#ifndef FNHOST_FNLOG_H
#define FNHOST_FNLOG_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"

#define FNLOG_MSG_MAX 1024
#define FNLOG_NAMES_MAX 1024

/* Keep lines per name from now on; 0 keeps none.  Returns 0, or -1 out
 * of memory. */
int fnlog_init(unsigned int lines);
/* Forget every line; no call may run or follow. */
void fnlog_free(void);

/* One line for name.  function_id, session may be "" ; level is the
 * plugin's for event "log" (ignored otherwise), cause NULL but for the
 * events that have one. */
void fnlog_add(const char *name, const char *function_id, const char *session,
	       const char *event, int level, const char *cause,
	       const char *msg);

/* Append the lines of name after seq *after (0: all the ring holds), one
 * JSON object and a '\n' each, to out while it has room, and set *after
 * to the last one appended.  Returns how many were appended. */
size_t fnlog_read(const char *name, uint64_t *after, struct buf *out);

/* Whether name has a line after seq after.  fnlog_add() wakes the name's
 * followers (follows.h) after the line is in, so that a follower that
 * checks this under the followers' lock misses none. */
bool fnlog_has_after(const char *name, uint64_t after);

#endif
