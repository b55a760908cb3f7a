/*
 * flood: produces output until the host refuses it, then writes garbage
 * straight into every fd above 2 (its channel to the host among them) and
 * returns success.  The host must cap the output, treat the garbage as a
 * broken protocol and keep serving others.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <fnhost/plugin.h>

static int
flood_handle(const struct fnh_host *h, struct fnh_call *c, const void *input,
	     size_t input_len)
{
	static char chunk[65536];
	unsigned long sent = 0;
	int fd, i;

	(void)input;
	(void)input_len;
	memset(chunk, 'A', sizeof(chunk));
	while (sent < (64UL << 30) && h->output(c, chunk, sizeof(chunk)) == 0)
		sent += sizeof(chunk);
	memset(chunk, 0xff, sizeof(chunk));
	for (fd = 3; fd < 1024; fd++) {
		if (fcntl(fd, F_GETFD) < 0)
			continue;
		for (i = 0; i < 16; i++)
			if (write(fd, chunk, sizeof(chunk)) < 0)
				break;
	}
	return 0;
}

FNH_PLUGIN(.name = "flood", .version = "1", .handle = flood_handle)
