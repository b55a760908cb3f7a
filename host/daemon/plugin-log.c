/* plugin-log.c: plugins' log lines, tagged and rate-limited (see
 * plugin-log.h). */
#include <stdio.h>
#include <stdlib.h>

#include "base/clock.h"
#include "daemon/fnlog.h"
#include "daemon/log.h"
#include "formats/bundle.h"
#include "daemon/plugin-log.h"
#include "daemon/session.h"

struct plugin_log {
	char function_id[32];
	char name[BUNDLE_LABEL_MAX + 1];
	char session_id[SESSION_ID_MAX + 1]; /* "" while made ahead */
	double tokens;			     /* lines it may log now */
	int64_t last_ms; /* when tokens was last topped up */
	unsigned long dropped;
};

struct plugin_log *
plugin_log_new(const char *function_id, const char *name)
{
	struct plugin_log *pl = calloc(1, sizeof(*pl));

	if (!pl)
		return NULL;
	snprintf(pl->function_id, sizeof(pl->function_id), "%s", function_id);
	snprintf(pl->name, sizeof(pl->name), "%s", name);
	pl->tokens = PLUGIN_LOG_BURST;
	pl->last_ms = clock_now_ms();
	return pl;
}

void
plugin_log_attach(struct plugin_log *pl, const char *session_id)
{
	if (pl)
		snprintf(pl->session_id, sizeof(pl->session_id), "%s",
			 session_id);
}

/* Whether one more line may be logged now: a token bucket. */
static int
allowed(struct plugin_log *pl)
{
	int64_t now = clock_now_ms();

	pl->tokens += (double)(now - pl->last_ms) * PLUGIN_LOG_RATE / 1000.0;
	if (pl->tokens > PLUGIN_LOG_BURST)
		pl->tokens = PLUGIN_LOG_BURST;
	pl->last_ms = now;
	if (pl->tokens < 1) {
		pl->dropped++;
		return 0;
	}
	pl->tokens -= 1;
	return 1;
}

void
plugin_log_line(void *ctx, int level, const char *msg)
{
	struct plugin_log *pl = ctx;

	if (!allowed(pl))
		return;
	if (pl->dropped) {
		log_msg(LOG_LEVEL_WARN,
			"event=plugin_log_dropped function=%s session=%s "
			"lines=%lu",
			pl->function_id, pl->session_id, pl->dropped);
		pl->dropped = 0;
	}
	log_msg(LOG_LEVEL_INFO,
		"event=plugin_log function=%s session=%s plugin_level=%d "
		"msg=\"%s\"",
		pl->function_id, pl->session_id, level, msg);
	fnlog_add(pl->name, pl->function_id, pl->session_id, "log", level, NULL,
		  msg);
}

void
plugin_log_free(void *ctx)
{
	free(ctx);
}
