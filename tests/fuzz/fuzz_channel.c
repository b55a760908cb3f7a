/*
 * fuzz_channel: the bytes a worker writes into its channel, as the host
 * reads them during an invoke (worker_invoke()).  The plugin shares the
 * worker's memory, so every frame is hostile.  The input is what the
 * "worker" sends after the host's INVOKE frame; the host must end with a
 * status and never crash, overrun, leak, or hand back more output than
 * its limit.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sandbox/worker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OUTPUT 4096

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct worker_result r;
	struct worker *w;
	int sv[2], sndbuf = 1 << 20;

	if (size > (1 << 16) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return 0;
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (write(sv[1], data, size) != (ssize_t)size) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	shutdown(sv[1], SHUT_WR);
	w = worker_adopt(sv[0], 1024, MAX_OUTPUT);
	if (!w)
		abort();
	memset(&r, 0, sizeof(r));
	worker_invoke(w, "input", 5, 1000, &r);
	if (r.status == WORKER_OK && r.output_len > MAX_OUTPUT)
		abort();
	free(r.output);
	worker_close(w, 0);
	close(sv[1]);
	return 0;
}
