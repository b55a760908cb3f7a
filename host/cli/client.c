/*
 * client.c: HTTP calls to fnhostd over libcurl (see client.h).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/client-config.h"
#include "cli/client.h"

/* ---- small text helpers -------------------------------------------------- */

char *
client_sanitize(char *s)
{
	unsigned char *p;

	for (p = (unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

int
client_id_check(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > 128 || !strcmp(id, ".") || !strcmp(id, ".."))
		return -1;
	return strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			  "0123456789._~+@-") == n
		       ? 0
		       : -1;
}

/* ---- where the host is --------------------------------------------------- */

static int
host_is_loopback(const char *host)
{
	unsigned char addr[16];
	char buf[64];
	size_t n = strlen(host);

	if (!strcasecmp(host, "localhost"))
		return 1;
	if (inet_pton(AF_INET, host, addr) == 1)
		return addr[0] == 127;
	/* libcurl gives IPv6 hosts in brackets. */
	if (n < 3 || n >= sizeof(buf) || host[0] != '[' || host[n - 1] != ']')
		return 0;
	memcpy(buf, host + 1, n - 2);
	buf[n - 2] = '\0';
	if (inet_pton(AF_INET6, buf, addr) != 1)
		return 0;
	if (IN6_IS_ADDR_LOOPBACK((struct in6_addr *)addr))
		return 1;
	return IN6_IS_ADDR_V4MAPPED((struct in6_addr *)addr) && addr[12] == 127;
}

/* Check c->url and set c->remote_http; strips trailing slashes. */
static int
url_check(struct client *c, char *err, size_t errlen)
{
	char *scheme = NULL, *host = NULL, *query = NULL, *frag = NULL;
	size_t n;
	CURLU *u;
	int ret = -1;

	n = strlen(c->url);
	while (n > 0 && c->url[n - 1] == '/')
		c->url[--n] = '\0';
	if ((u = curl_url()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (curl_url_set(u, CURLUPART_URL, c->url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		snprintf(err, errlen, "bad URL '%.200s'",
			 client_sanitize(c->url));
		goto out;
	}
	if (strcasecmp(scheme, "http") && strcasecmp(scheme, "https")) {
		snprintf(err, errlen, "bad URL '%.200s': only http and https",
			 c->url);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0) == CURLUE_OK) {
		snprintf(err, errlen, "bad URL '%.200s': no query or fragment",
			 c->url);
		goto out;
	}
	c->remote_http = !strcasecmp(scheme, "http") && !host_is_loopback(host);
	ret = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(query);
	curl_free(frag);
	curl_url_cleanup(u);
	return ret;
}

static const char *
env_get(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

int
client_init(struct client *c, const struct client_options *o, char *err,
	    size_t errlen)
{
	struct client_config cv;
	const char *url, *token, *reldir = NULL;
	int ret = -1;

	memset(c, 0, sizeof(*c));
	memset(&cv, 0, sizeof(cv));
	c->timeout_ms = o->timeout_ms;
	c->insecure = o->insecure;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "cannot initialise libcurl");
		return -1;
	}
	url = o->url ? o->url : env_get("FNHOST_URL");
	token = o->token ? o->token : env_get("FNHOST_TOKEN");
	if (!url || !token) {
		if (client_config_read(&cv, err, errlen) < 0)
			goto out;
		if (!url && cv.url[0])
			url = cv.url;
		if (!token && cv.token[0]) {
			token = cv.token;
			reldir = cv.dir;
		}
	}
	if (!url)
		url = CLIENT_DEFAULT_URL;
	if (strlen(url) > CLIENT_MAX_URL) {
		snprintf(err, errlen, "the URL is longer than %d bytes",
			 CLIENT_MAX_URL);
		goto out;
	}
	memcpy(c->url, url, strlen(url) + 1);
	if (url_check(c, err, errlen) < 0)
		goto out;
	if (token && client_config_token(c->token, sizeof(c->token), token,
					 reldir, err, errlen) < 0)
		goto out;
	ret = 0;
out:
	explicit_bzero(&cv, sizeof(cv));
	if (ret < 0)
		client_free(c);
	return ret;
}

void
client_free(struct client *c)
{
	explicit_bzero(c->token, sizeof(c->token));
	curl_global_cleanup();
}

/* ---- one call ------------------------------------------------------------ */

struct sink {
	struct client_response *rs;
	size_t cap;
	int too_big;
	const struct client_request *rq; /* its on_body, if any */
	CURL *h;			 /* for the status so far */
};

static size_t
body_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	struct client_response *rs = s->rs;
	size_t n = nmemb; /* size is 1 for body data */
	size_t want;
	char *p;

	(void)size;
	if (s->rq->on_body) {
		long status = 0;

		curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status);
		if (status == 200) {
			s->rq->on_body(s->rq->on_body_ctx, data, n);
			return n;
		}
	}
	if (n > CLIENT_MAX_RESPONSE - rs->len) {
		s->too_big = 1;
		return 0;
	}
	if (rs->len + n + 1 > s->cap) {
		want = s->cap ? s->cap : 4096;
		while (want < rs->len + n + 1)
			want *= 2;
		if ((p = realloc(rs->body, want)) == NULL)
			return 0;
		rs->body = p;
		s->cap = want;
	}
	memcpy(rs->body + rs->len, data, n);
	rs->len += n;
	rs->body[rs->len] = '\0';
	return n;
}

/* Keep the Fnhost-* headers and Content-Type of the final response (a
 * 100 Continue or other interim status line starts the list over). */
static size_t
header_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct client_response *rs = arg;
	struct client_header *h;
	size_t n = nmemb, namelen, vlen;
	const char *colon, *v, *end = data + n;

	(void)size;
	if (n >= 5 && !memcmp(data, "HTTP/", 5)) {
		rs->nheaders = 0;
		return n;
	}
	if ((n < 7 || strncasecmp(data, "Fnhost-", 7)) &&
	    (n < 13 || strncasecmp(data, "Content-Type:", 13)))
		return n;
	if (rs->nheaders == CLIENT_MAX_HEADERS)
		return n;
	if ((colon = memchr(data, ':', n)) == NULL)
		return n;
	namelen = (size_t)(colon - data);
	for (v = colon + 1; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' ||
			   end[-1] == ' ' || end[-1] == '\t'))
		end--;
	vlen = (size_t)(end - v);
	/* An oversized header is dropped, never cut: a cut value could
	 * pass for a different one. */
	if (namelen >= CLIENT_HEADER_NAME_MAX ||
	    vlen >= CLIENT_HEADER_VALUE_MAX || memchr(v, '\0', vlen))
		return n;
	h = &rs->headers[rs->nheaders++];
	memcpy(h->name, data, namelen);
	h->name[namelen] = '\0';
	memcpy(h->value, v, vlen);
	h->value[vlen] = '\0';
	return n;
}

const char *
client_header(const struct client_response *rs, const char *name)
{
	size_t i;

	for (i = 0; i < rs->nheaders; i++)
		if (!strcasecmp(rs->headers[i].name, name))
			return rs->headers[i].value;
	return NULL;
}

/* Multipart parts read from their fd with pread(), so a rewind (curl
 * may resend after an auth or connection retry) needs only an offset. */
struct part_src {
	int fd;
	uint64_t size, pos;
};

static size_t
part_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct part_src *p = arg;
	size_t want = size * nitems;
	ssize_t n;

	if (p->pos >= p->size)
		return 0;
	if (want > p->size - p->pos)
		want = (size_t)(p->size - p->pos);
	do
		n = pread(p->fd, buf, want, (off_t)p->pos);
	while (n < 0 && errno == EINTR);
	/* A file that shrank under us must fail the upload, not pad it. */
	if (n <= 0)
		return CURL_READFUNC_ABORT;
	p->pos += (uint64_t)n;
	return (size_t)n;
}

static int
part_seek(void *arg, curl_off_t offset, int origin)
{
	struct part_src *p = arg;

	if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > p->size)
		return CURL_SEEKFUNC_FAIL;
	p->pos = (uint64_t)offset;
	return CURL_SEEKFUNC_OK;
}

static curl_mime *
mime_build(CURL *h, const struct client_request *rq, struct part_src *src)
{
	curl_mime *mime = curl_mime_init(h);
	curl_mimepart *part;
	size_t i;

	if (!mime)
		return NULL;
	for (i = 0; i < rq->nparts; i++) {
		src[i].fd = rq->parts[i].fd;
		src[i].size = rq->parts[i].size;
		src[i].pos = 0;
		part = curl_mime_addpart(mime);
		if (!part || curl_mime_name(part, rq->parts[i].name) ||
		    curl_mime_filename(part, rq->parts[i].name) ||
		    curl_mime_type(part, "application/octet-stream") ||
		    curl_mime_data_cb(part, (curl_off_t)src[i].size, part_read,
				      part_seek, NULL, &src[i])) {
			curl_mime_free(mime);
			return NULL;
		}
	}
	return mime;
}

static struct curl_slist *
headers_build(const struct client *c, const struct client_request *rq)
{
	/* "Authorization: Bearer " + token, "Fnhost-Function-Checksum: " +
	 * a checksum of at most 128 bytes. */
	char line[CLIENT_MAX_TOKEN + 64];
	struct curl_slist *l = NULL, *t;
	int ok = 1;

#define ADD(text)                                                              \
	do {                                                                   \
		if (ok && (t = curl_slist_append(l, (text))) != NULL)          \
			l = t;                                                 \
		else                                                           \
			ok = 0;                                                \
	} while (0)
	/* No "Expect: 100-continue" round trip before uploads. */
	ADD("Expect:");
	if (rq->auth && c->token[0]) {
		snprintf(line, sizeof(line), "Authorization: Bearer %s",
			 c->token);
		ADD(line);
		explicit_bzero(line, sizeof(line));
	}
	if (rq->content_type && !rq->parts) {
		snprintf(line, sizeof(line), "Content-Type: %.200s",
			 rq->content_type);
		ADD(line);
	} else if (!rq->parts) {
		/* Else libcurl calls any POST body a urlencoded form. */
		ADD("Content-Type:");
	}
	if (rq->checksum) {
		snprintf(line, sizeof(line), "Fnhost-Function-Checksum: %.128s",
			 rq->checksum);
		ADD(line);
	}
#undef ADD
	if (!ok) {
		curl_slist_free_all(l);
		return NULL;
	}
	return l;
}

static void
transfer_error(const struct client *c, CURLcode rc, const struct sink *s,
	       const char *curlerr, char *err, size_t errlen)
{
	if (s->too_big || rc == CURLE_FILESIZE_EXCEEDED)
		snprintf(err, errlen,
			 "the answer from %s is larger than %u "
			 "MiB",
			 c->url, CLIENT_MAX_RESPONSE >> 20);
	else if (rc == CURLE_OPERATION_TIMEDOUT)
		snprintf(err, errlen, "no answer from %s in time (%s)", c->url,
			 curlerr[0] ? curlerr : curl_easy_strerror(rc));
	else if (rc == CURLE_ABORTED_BY_CALLBACK || rc == CURLE_READ_ERROR)
		snprintf(err, errlen,
			 "cannot send to %s: a file could not "
			 "be read (did it change?)",
			 c->url);
	else
		snprintf(err, errlen, "cannot talk to %s: %s", c->url,
			 curlerr[0] ? curlerr : curl_easy_strerror(rc));
}

int
client_call(const struct client *c, const struct client_request *rq,
	    struct client_response *rs, char *err, size_t errlen)
{
	char url[CLIENT_MAX_URL + 1024], curlerr[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	struct part_src *src = NULL;
	struct sink s = { .rs = rs, .rq = rq };
	curl_mime *mime = NULL;
	CURL *h = NULL;
	CURLcode rc;
	int ret = -1;

	memset(rs, 0, sizeof(*rs));
	if (rq->auth && c->token[0] && c->remote_http && !c->insecure) {
		snprintf(err, errlen,
			 "refusing to send a token in clear text "
			 "to %s (use https, or --insecure)",
			 c->url);
		goto out;
	}
	if ((size_t)snprintf(url, sizeof(url), "%s%s", c->url, rq->path) >=
	    sizeof(url)) {
		snprintf(err, errlen, "request path too long");
		goto out;
	}
	if ((h = curl_easy_init()) == NULL ||
	    (hdrs = headers_build(c, rq)) == NULL ||
	    (rq->nparts && ((src = calloc(rq->nparts, sizeof(*src))) == NULL ||
			    (mime = mime_build(h, rq, src)) == NULL))) {
		snprintf(err, errlen,
			 "cannot set up the request: out of "
			 "memory");
		goto out;
	}
	s.h = h;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FAILONERROR, 0L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			 CLIENT_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
			 (curl_off_t)CLIENT_MAX_RESPONSE);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curlerr);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "fnhost/" FNHOST_VERSION);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_write);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, rs);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	if (mime) {
		curl_easy_setopt(h, CURLOPT_MIMEPOST, mime);
	} else if (!strcmp(rq->method, "POST") || rq->body != NULL) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)rq->body_len);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS,
				 rq->body ? rq->body : "");
		/* A body with another method: PUT of an alias. */
		if (strcmp(rq->method, "POST") != 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
	} else if (strcmp(rq->method, "GET")) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
	}
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		transfer_error(c, rc, &s, curlerr, err, errlen);
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rs->status);
	ret = 0;
out:
	if (!rs->body)
		rs->body = calloc(1, 1);
	if (!rs->body && ret == 0) {
		snprintf(err, errlen, "out of memory");
		ret = -1;
	}
	curl_mime_free(mime);
	free(src);
	curl_slist_free_all(hdrs);
	if (h)
		curl_easy_cleanup(h);
	return ret;
}

void
client_response_free(struct client_response *rs)
{
	free(rs->body);
	rs->body = NULL;
	rs->len = 0;
}

/* ---- reading answers ----------------------------------------------------- */

json_object *
client_json(const struct client_response *rs, char *err, size_t errlen)
{
	struct json_tokener *tok;
	json_object *obj = NULL;
	size_t end;

	if (!rs->body || rs->len == 0) {
		snprintf(err, errlen,
			 "the host answered HTTP %ld with an "
			 "empty body, not JSON",
			 rs->status);
		return NULL;
	}
	if ((tok = json_tokener_new_ex(64)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	obj = json_tokener_parse_ex(tok, rs->body, (int)rs->len);
	end = json_tokener_get_parse_end(tok);
	if (obj && json_tokener_get_error(tok) == json_tokener_success &&
	    end + strspn(rs->body + end, " \t\r\n") == rs->len) {
		json_tokener_free(tok);
		return obj;
	}
	json_object_put(obj);
	snprintf(err, errlen,
		 "the host's answer (HTTP %ld) is not valid "
		 "JSON: %s",
		 rs->status,
		 json_tokener_error_desc(json_tokener_get_error(tok)));
	json_tokener_free(tok);
	return NULL;
}

static void
copy_bounded(char *dst, size_t cap, const char *src, size_t len)
{
	if (cap == 0)
		return;
	if (len >= cap)
		len = cap - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

void
client_error(const struct client_response *rs, char *code, size_t codelen,
	     char *message, size_t msglen)
{
	json_object *obj = NULL, *e, *m, *k;
	char err[16];

	if (codelen)
		code[0] = '\0';
	snprintf(message, msglen, "the host answered HTTP %ld", rs->status);
	if (rs->len == 0 || (obj = client_json(rs, err, sizeof(err))) == NULL)
		return;
	if (json_object_object_get_ex(obj, "error", &e) &&
	    json_object_is_type(e, json_type_object)) {
		if (json_object_object_get_ex(e, "code", &k) &&
		    json_object_is_type(k, json_type_string))
			copy_bounded(code, codelen, json_object_get_string(k),
				     (size_t)json_object_get_string_len(k));
		if (json_object_object_get_ex(e, "message", &m) &&
		    json_object_is_type(m, json_type_string) &&
		    json_object_get_string_len(m) > 0)
			copy_bounded(message, msglen, json_object_get_string(m),
				     (size_t)json_object_get_string_len(m));
		else if (codelen && code[0])
			snprintf(message, msglen,
				 "the host answered HTTP %ld "
				 "(%s)",
				 rs->status, code);
	}
	json_object_put(obj);
}

void
client_error_line(const struct client_response *rs, char *buf, size_t len)
{
	char code[64];

	client_error(rs, code, sizeof(code), buf, len < 301 ? len : 301);
	client_sanitize(buf);
}
