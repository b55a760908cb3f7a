/*
 * chanabuse: bypasses the worker's runtime and writes on its channel
 * itself, to attack the host's side of the frame protocol.
 *
 *	hdrspin		three bytes of a frame header, then burn CPU
 *	bodyspin	an OUTPUT header and part of its payload, then burn
 *	badtext		log() and fail() text that is no UTF-8
 *	cutlog		a log() line whose cut point falls inside a character
 *	ansi		log() and fail() text with terminal controls (C0 and
 *			C1) and a newline before a forged line
 *	twodone		answers this invoke and, ahead, the next one, in one
 *			write, then never returns: the next invoke must not
 *			take the answer given before its input
 *
 * The spinning modes must end by the invoke's CPU budget, not only by its
 * wall-clock limit: a frame begun is no licence to use more CPU.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fnhost/plugin.h>

/* The frame header of the host's channel (host/sandbox/channel.h). */
struct hdr {
	uint32_t type;
	uint32_t len;
};

#define OUTPUT 18
#define DONE 20

/* ESC's CSI and OSC, C1's CSI (U+009B) and a line of the host's own. */
#define ANSI                                                                   \
	"\x1b[2J\x1b]0;title\x07 \xc2\x9b"                                     \
	"31m\nplugin error: FORGED"

/* The worker's channel: its only socket. */
static int
channel_fd(void)
{
	struct stat st;
	int fd;

	for (fd = 0; fd < 64; fd++)
		if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode))
			return fd;
	return -1;
}

static _Noreturn void
spin(void)
{
	volatile unsigned long n = 0;

	for (;;)
		n++;
}

static int
chanabuse_handle(const struct fnh_host *h, struct fnh_call *c,
		 const void *input, size_t input_len)
{
	struct hdr hd = { .type = OUTPUT, .len = 100 };
	char arg[32] = "", line[1100];
	int fd = channel_fd();

	if (input_len < sizeof(arg))
		memcpy(arg, input, input_len);
	if (!strcmp(arg, "hdrspin") || !strcmp(arg, "bodyspin")) {
		if (fd < 0)
			return h->fail(c, "no channel");
		if (!strcmp(arg, "hdrspin")) {
			if (write(fd, &hd, 3) != 3)
				return h->fail(c, "write failed");
		} else if (write(fd, &hd, sizeof(hd)) != sizeof(hd) ||
			   write(fd, "0123456789", 10) != 10) {
			return h->fail(c, "write failed");
		}
		spin();
	}
	if (!strcmp(arg, "badtext")) {
		h->log(6,
		       "bad \xff\xfe \xc3( \xed\xa0\x80 \xf8\x88\x80\x80\x80");
		return h->fail(c, "bad \xff\xfe \xc3( \xed\xa0\x80 \xc0\xaf");
	}
	if (!strcmp(arg, "cutlog")) {
		/* 1023 ASCII bytes, then a two-byte character at the cut. */
		memset(line, 'a', 1023);
		memcpy(line + 1023, "\xc3\xa9\xc3\xa9", 5);
		h->log(6, "%s", line);
		return h->output(c, "logged", 6);
	}
	if (!strcmp(arg, "twodone")) {
		/* OUTPUT "first", DONE 0, OUTPUT "forged", DONE 0. */
		struct {
			struct hdr o1;
			char first[5];
			struct hdr d1;
			int32_t s1;
			struct hdr o2;
			char forged[6];
			struct hdr d2;
			int32_t s2;
		} __attribute__((packed)) two = {
			{ OUTPUT, 5 }, "first",	 { DONE, 4 }, 0,
			{ OUTPUT, 6 }, "forged", { DONE, 4 }, 0,
		};

		if (fd < 0 || write(fd, &two, sizeof(two)) != sizeof(two))
			return h->fail(c, "write failed");
		for (;;)
			pause();
	}
	if (!strcmp(arg, "ansi")) {
		h->log(6, ANSI);
		return h->fail(c, ANSI);
	}
	return h->output(c, "again", 5);
}

FNH_PLUGIN(.name = "chanabuse", .version = "1", .handle = chanabuse_handle)
