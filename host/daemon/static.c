/*
 * static.c: GET /app/PATH from app_dir (see static.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/api.h"
#include "daemon/static.h"

#define CSP                                                                    \
	"default-src 'none'; script-src 'self'; style-src 'self'; "            \
	"img-src 'self' data:; connect-src 'self'; base-uri 'none'; "          \
	"form-action 'none'; frame-ancestors 'none'"

static const struct {
	const char *ext;
	const char *type;
} types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".json", "application/json" },
	{ ".map", "application/json" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".txt", "text/plain; charset=utf-8" },
};

/* The content type of name by its extension, or NULL: not served. */
static const char *
type_of(const char *name)
{
	const char *dot = strrchr(name, '.');
	size_t i;

	if (!dot)
		return NULL;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(dot, types[i].ext))
			return types[i].type;
	return NULL;
}

/* Whether path is segments of the allowed bytes, none empty or starting
 * with '.', except that it may end in '/'. */
static bool
path_ok(const char *path)
{
	const char *p = path;
	size_t seg = 0, depth = 0;

	for (; *p; p++) {
		if (*p == '/') {
			if (seg == 0)
				return false;
			seg = 0;
			continue;
		}
		if (seg == 0 && (*p == '.' || ++depth > STATIC_DEPTH_MAX))
			return false;
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("_@.-", *p)))
			return false;
		seg++;
	}
	return p != path;
}

/* Open path under dirfd one segment at a time, never following a
 * symlink; an empty last segment (a trailing '/') is the directory
 * itself.  Returns an fd, or -1. */
static int
open_beneath(int dirfd, const char *path)
{
	char seg[256];
	const char *p = path, *slash;
	int fd = dup(dirfd), next;
	size_t n;

	while (fd >= 0 && *p) {
		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (n >= sizeof(seg)) {
			close(fd);
			return -1;
		}
		memcpy(seg, p, n);
		seg[n] = '\0';
		next = openat(fd, seg,
			      O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
				      (slash ? O_DIRECTORY : 0));
		close(fd);
		fd = next;
		p = slash ? slash + 1 : p + n;
	}
	return fd;
}

static void
not_found(struct reply *rep, const char *path)
{
	reply_error(rep, ERR_NOT_FOUND, "no file /app/%.200s", path);
}

/* Read fd whole (a regular file of at most STATIC_FILE_MAX bytes). */
static char *
read_small(int fd, size_t *len)
{
	struct stat st;
	size_t got = 0;
	ssize_t r = 0;
	char *buf;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > (off_t)STATIC_FILE_MAX)
		return NULL;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return NULL;
	/* Reading one byte past the size catches a file that grew. */
	while (got <= (size_t)st.st_size) {
		r = read(fd, buf + got, (size_t)st.st_size + 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (r < 0 || got != (size_t)st.st_size) {
		free(buf);
		return NULL;
	}
	*len = got;
	return buf;
}

void
api_static(struct request *rq, struct reply *rep)
{
	const char *dir = rq->srv->cfg->app_dir, *path = rq->arg, *type;
	char loc[sizeof(rq->arg) + 8], *buf = NULL;
	int root = -1, fd = -1, idx;
	struct stat st;
	size_t len = 0;

	if (!dir[0] || !path_ok(path)) {
		not_found(rep, path);
		return;
	}
	root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		not_found(rep, path);
		goto out;
	}
	fd = open_beneath(root, path);
	if (fd < 0 || fstat(fd, &st) < 0) {
		not_found(rep, path);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		if (path[strlen(path) - 1] != '/') {
			/* The page's relative URLs need the slash. */
			snprintf(loc, sizeof(loc), "/app/%s/", path);
			reply_empty(rep, 301);
			if (rep->resp)
				MHD_add_response_header(rep->resp, "Location",
							loc);
			goto out;
		}
		idx = openat(fd, "index.html",
			     O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		close(fd);
		fd = idx;
		type = type_of("index.html");
	} else {
		type = type_of(path);
	}
	if (fd < 0 || !type || !(buf = read_small(fd, &len))) {
		not_found(rep, path);
		goto out;
	}
	reply_bytes(rep, 200, type, buf, len, NULL);
	if (!rep->resp)
		goto out;
	MHD_add_response_header(rep->resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(rep->resp, "Content-Security-Policy", CSP);
	MHD_add_response_header(rep->resp, "Cache-Control", "no-cache");
	MHD_add_response_header(rep->resp, "Referrer-Policy", "no-referrer");
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	if (root >= 0)
		close(root);
}
