/*
 * counter: returns how many invokes this session has seen so far, counting
 * in a file of the scratch directory.  The scratch directory lives as long
 * as the session, so a new session starts again at 1.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <fnhost/plugin.h>

/* versions.t deploys it under another name too, as another plugin would
 * be: the Makefile builds it again with -DTEST_PLUGIN_NAME. */
#ifndef TEST_PLUGIN_NAME
#define TEST_PLUGIN_NAME "counter"
#endif

#define COUNTER_FILE "counter"

/* Read the count from the scratch file; a missing file counts as 0.
 * Returns 0, or -1 with errno. */
static int
counter_load(unsigned long *n)
{
	FILE *f = fopen(COUNTER_FILE, "r");
	int rc = 0;

	*n = 0;
	if (f == NULL)
		return errno == ENOENT ? 0 : -1;
	if (fscanf(f, "%lu", n) != 1) {
		errno = EINVAL;
		rc = -1;
	}
	fclose(f);
	return rc;
}

/* Write n to the scratch file.  Returns 0, or -1 with errno. */
static int
counter_store(unsigned long n)
{
	FILE *f = fopen(COUNTER_FILE, "w");
	int rc = 0;

	if (f == NULL)
		return -1;
	if (fprintf(f, "%lu\n", n) < 0)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

static int
counter_handle(const struct fnh_host *host, struct fnh_call *call,
	       const void *input, size_t input_len)
{
	unsigned long n;
	char out[32];
	int len;

	(void)input;
	(void)input_len;
	if (counter_load(&n) < 0)
		return host->fail(call, "read %s: %s", COUNTER_FILE,
				  strerror(errno));
	n++;
	if (counter_store(n) < 0)
		return host->fail(call, "write %s: %s", COUNTER_FILE,
				  strerror(errno));
	len = snprintf(out, sizeof(out), "%lu", n);
	if (host->output(call, out, (size_t)len) < 0)
		return host->fail(call, "output limit reached");
	return 0;
}

FNH_PLUGIN(.name = TEST_PLUGIN_NAME, .version = "1.0",
	   .description = "counts the invokes of a session",
	   .handle = counter_handle)
