/*
 * client-config.c: the config file and token files the client reads (see
 * client-config.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/client-config.h"

/* The config file is a few lines; anything bigger is not ours. */
#define CONFIG_FILE_MAX (64u << 10)
#define CONFIG_LINE_MAX 4096

/* Cut trailing white space (and a CR/LF) off s, in place. */
static void
rtrim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
			 s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = '\0';
}

static char *
ltrim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/*
 * Read all of path (a regular file, at most max bytes) into a malloc()ed,
 * NUL-terminated buffer.  Returns it, or NULL with errno set (EFBIG when
 * too large, EINVAL when not a regular file).
 */
static char *
file_slurp(const char *path, size_t max, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	ssize_t n;
	int fd, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	if ((buf = malloc(max + 2)) == NULL)
		goto fail;
	for (;;) {
		n = read(fd, buf + got, max + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > max) {
			errno = EFBIG;
			goto fail;
		}
	}
	buf[got] = '\0';
	close(fd);
	*len = got;
	return buf;
fail:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return NULL;
}

/* ---- configuration ------------------------------------------------------- */

static int
config_path(char *path, size_t len, char *dir, size_t dirlen)
{
	const char *base = getenv("XDG_CONFIG_HOME");
	const struct passwd *pw;
	const char *home;
	int n;

	/* The XDG spec says a relative value is invalid and is ignored. */
	if (base && base[0] == '/') {
		n = snprintf(dir, dirlen, "%s/fnhost", base);
	} else {
		home = getenv("HOME");
		if (!home || home[0] != '/') {
			pw = getpwuid(getuid());
			home = pw ? pw->pw_dir : NULL;
		}
		if (!home)
			return -1;
		n = snprintf(dir, dirlen, "%s/.config/fnhost", home);
	}
	if (n < 0 || (size_t)n >= dirlen)
		return -1;
	n = snprintf(path, len, "%s/config", dir);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* One "key = value" line (already without its newline). */
static int
config_line(struct client_config *v, char *line, const char *path,
	    unsigned lineno, char *err, size_t errlen)
{
	char *key = ltrim(line), *eq, *val;
	char *dst;
	size_t cap;

	rtrim(key);
	if (*key == '\0' || *key == '#')
		return 0;
	if ((eq = strchr(key, '=')) == NULL) {
		snprintf(err, errlen, "%s:%u: expected 'key = value'", path,
			 lineno);
		return -1;
	}
	*eq = '\0';
	rtrim(key);
	val = ltrim(eq + 1);
	if (!strcmp(key, "url")) {
		dst = v->url;
		cap = sizeof(v->url);
	} else if (!strcmp(key, "token")) {
		dst = v->token;
		cap = sizeof(v->token);
	} else {
		snprintf(err, errlen, "%s:%u: unknown key '%.64s'", path,
			 lineno, client_sanitize(key));
		return -1;
	}
	if (*dst != '\0') {
		snprintf(err, errlen, "%s:%u: '%s' is set twice", path, lineno,
			 key);
		return -1;
	}
	if (*val == '\0' || strlen(val) >= cap) {
		snprintf(err, errlen, "%s:%u: '%s' is empty or too long", path,
			 lineno, key);
		return -1;
	}
	memcpy(dst, val, strlen(val) + 1);
	return 0;
}

int
client_config_read(struct client_config *v, char *err, size_t errlen)
{
	char path[PATH_MAX], *buf, *line, *next;
	unsigned lineno = 0;
	size_t len;
	int ret = -1;

	memset(v, 0, sizeof(*v));
	if (config_path(path, sizeof(path), v->dir, sizeof(v->dir)) < 0)
		return 0;
	if ((buf = file_slurp(path, CONFIG_FILE_MAX, &len)) == NULL) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		snprintf(err, errlen, "%s: %s", path,
			 errno == EFBIG ? "larger than 64 KiB"
					: strerror(errno));
		return -1;
	}
	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: holds a NUL byte", path);
		goto out;
	}
	for (line = buf; line && *line; line = next) {
		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strlen(line) > CONFIG_LINE_MAX) {
			snprintf(err, errlen, "%s:%u: line too long", path,
				 lineno);
			goto out;
		}
		if (config_line(v, line, path, lineno, err, errlen) < 0)
			goto out;
	}
	ret = 0;
out:
	free(buf);
	return ret;
}

int
client_config_token(char *out, size_t outlen, const char *spec,
		    const char *reldir, char *err, size_t errlen)
{
	char path[PATH_MAX], *buf, *nl;
	size_t len, i;
	int n;

	if (spec[0] != '@') {
		if (strlen(spec) >= outlen) {
			snprintf(err, errlen,
				 "the token is longer than %zu "
				 "bytes",
				 outlen - 1);
			return -1;
		}
		memcpy(out, spec, strlen(spec) + 1);
	} else {
		if (reldir && spec[1] != '/')
			n = snprintf(path, sizeof(path), "%s/%s", reldir,
				     spec + 1);
		else
			n = snprintf(path, sizeof(path), "%s", spec + 1);
		if (n < 0 || (size_t)n >= sizeof(path) || spec[1] == '\0') {
			snprintf(err, errlen, "bad token file name '%.200s'",
				 spec + 1);
			return -1;
		}
		if ((buf = file_slurp(path, outlen - 1, &len)) == NULL) {
			snprintf(err, errlen, "token file %.200s: %s", path,
				 errno == EFBIG ? "too large"
						: strerror(errno));
			return -1;
		}
		if ((nl = memchr(buf, '\n', len)) != NULL)
			*nl = '\0';
		rtrim(buf);
		memcpy(out, buf, strlen(buf) + 1);
		explicit_bzero(buf, len);
		free(buf);
	}
	/* Visible ASCII only: anything else could split the header. */
	for (i = 0; out[i]; i++)
		if ((unsigned char)out[i] <= 0x20 ||
		    (unsigned char)out[i] >= 0x7f)
			break;
	if (out[0] == '\0' || out[i] != '\0') {
		explicit_bzero(out, outlen);
		snprintf(err, errlen,
			 "the token is empty or holds bytes "
			 "other than visible ASCII");
		return -1;
	}
	return 0;
}
