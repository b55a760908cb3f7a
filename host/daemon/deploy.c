/*
 * deploy.c: the deploy use case (see deploy.h).
 *
 * A deploy owns its staging dir from deploy_begin() until the store
 * takes it in store_bundle_install(), so that exactly one place removes
 * it: deploy_abort(), which deploy_commit() and a refusal also end in.
 * Every step writes its reason into the handle, so that the first
 * refusal is kept and told again however many pieces follow it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "daemon/deploy.h"
#include "daemon/log.h"
#include "formats/bundle.h"

struct deploy {
	struct store *s;
	char staging[PATH_MAX]; /* "" once removed or handed to the store */
	int dirfd;		/* the staging dir, or -1 */
	int fd;			/* the file being written, or -1 */
	char name[BUNDLE_NAME_MAX + 1]; /* its name */
	uint64_t max_bytes, total;
	size_t nfiles;
	int refused;   /* 0, or the first refusal's negated kind */
	char why[512]; /* the reason of the last step that failed */
	struct deploy_recorder recorder; /* record NULL: the local store */
};

/* Close what is open and remove the staging dir, if it is still ours. */
static void
staging_drop(struct deploy *d)
{
	char err[512];

	if (d->fd >= 0)
		close(d->fd);
	if (d->dirfd >= 0)
		close(d->dirfd);
	d->fd = d->dirfd = -1;
	/* Nobody is left to tell of a failure here; the next store_open()
	 * removes what stays in tmp/, so the log is enough. */
	if (d->staging[0] != '\0' &&
	    store_staging_remove(d->s, d->staging, err, sizeof(err)) < 0)
		log_msg(LOG_LEVEL_WARN, "event=deploy_cleanup reason=\"%s\"",
			err);
	d->staging[0] = '\0';
}

/* The first refusal, if any, into err; 0 when there is none. */
static int
told(const struct deploy *d, char *err, size_t errlen)
{
	if (d->refused == 0)
		return 0;
	return err_set(err, errlen, err_kind_of(d->refused), "%s", d->why);
}

/* The file being written is whole: make it durable and close it. */
static int
file_close(struct deploy *d)
{
	int rc = 0;

	if (d->fd < 0)
		return 0;
	if (fsync(d->fd) < 0)
		rc = err_set(d->why, sizeof(d->why), ERR_IO,
			     "cannot write '%s': %s", d->name, strerror(errno));
	close(d->fd);
	d->fd = -1;
	return rc;
}

/* Start the file name: the last one is whole, and name is new. */
static int
file_open(struct deploy *d, const char *name)
{
	int rc;

	rc = file_close(d);
	if (rc < 0)
		return rc;
	/* MANIFEST and its signature come besides the files it names. */
	if (++d->nfiles > BUNDLE_MAX_FILES + 2)
		return err_set(d->why, sizeof(d->why), ERR_TOO_LARGE,
			       "a bundle holds at most %d files",
			       BUNDLE_MAX_FILES);
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->fd = openat(d->dirfd, name,
		       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		       0644);
	if (d->fd < 0 && errno == EEXIST)
		return err_set(d->why, sizeof(d->why), ERR_BAD_BUNDLE,
			       "file '%s' is sent twice", name);
	if (d->fd < 0)
		return err_set(d->why, sizeof(d->why), ERR_IO,
			       "cannot store '%s': %s", name, strerror(errno));
	return 0;
}

static int
file_write(struct deploy *d, uint64_t offset, const char *data, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = pwrite(d->fd, data, len, (off_t)offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return err_set(d->why, sizeof(d->why), ERR_IO,
				       "cannot store '%s': %s", d->name,
				       n < 0 ? strerror(errno) : "no room");
		data += n;
		offset += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

static int
put_piece(struct deploy *d, const char *name, uint64_t offset, const void *data,
	  size_t len)
{
	int rc;

	if (name == NULL)
		return err_set(d->why, sizeof(d->why), ERR_BAD_BUNDLE,
			       "a part has no file name");
	if (bundle_name_check(name, strlen(name), d->why, sizeof(d->why)) < 0)
		return -ERR_BAD_BUNDLE;
	if (offset == 0 || strcmp(name, d->name) != 0) {
		rc = file_open(d, name);
		if (rc < 0)
			return rc;
	}
	/* total never exceeds max_bytes, so this cannot wrap. */
	if (len > d->max_bytes - d->total)
		return err_set(d->why, sizeof(d->why), ERR_TOO_LARGE,
			       "the bundle is over the limit of %" PRIu64
			       " bytes",
			       d->max_bytes);
	d->total += len;
	return file_write(d, offset, data, len);
}

void
deploy_set_recorder(struct deploy *d, const struct deploy_recorder *rec)
{
	d->recorder = *rec;
}

int
deploy_begin(struct store *s, uint64_t max_bytes, struct deploy **out,
	     char *err, size_t errlen)
{
	struct deploy *d = calloc(1, sizeof(*d));
	int rc;

	if (d == NULL)
		return err_set(err, errlen, ERR_INTERNAL, "out of memory");
	d->s = s;
	d->max_bytes = max_bytes;
	d->fd = -1;
	rc = store_staging_create(s, d->staging, sizeof(d->staging), &d->dirfd,
				  err, errlen);
	if (rc < 0) {
		free(d);
		return rc;
	}
	*out = d;
	return 0;
}

int
deploy_put(struct deploy *d, const char *name, uint64_t offset,
	   const void *data, size_t len, char *err, size_t errlen)
{
	int rc;

	if (d->refused == 0) {
		rc = put_piece(d, name, offset, data, len);
		if (rc < 0) {
			d->refused = rc;
			staging_drop(d); /* nothing more is written */
		}
	}
	return told(d, err, errlen);
}

/* The record of a bundle that verified as info. */
static void
record_of(const struct bundle_info *info, struct store_function *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", info->name);
	snprintf(f->version, sizeof(f->version), "%s", info->version);
	memcpy(f->checksum, info->checksum, sizeof(f->checksum));
	snprintf(f->plugin, sizeof(f->plugin), "%s", info->plugin);
	memcpy(f->plugin_sha256, info->plugin_sha256, sizeof(f->plugin_sha256));
	f->created = time(NULL);
}

/*
 * Whether the plugin of the installed bundle of f is what the signature
 * says: the name and version its descriptor gives when it loads.  The
 * signer's word alone would let one bundle join another plugin's name,
 * and its versions then run code that is not that plugin.  Checked here,
 * once per deploy, not at each session: a bundle is content-addressed
 * and re-hashed at every session start, so the plugin loaded now is the
 * one every session loads; and functions deployed before this check (an
 * older fnhost sign wrote the .so's name and version 0) keep running.
 */
static int
check_descriptor(struct deploy *d, const struct deploy_probe *probe,
		 const struct store_function *f)
{
	char path[PATH_MAX], name[101] = "", version[101] = "";
	int fd, rc;

	rc = store_bundle_open(d->s, f->checksum, &fd, path, sizeof(path),
			       d->why, sizeof(d->why));
	if (rc < 0)
		return rc;
	rc = probe->descriptor(probe->ctx, f, fd, path, name, version, d->why,
			       sizeof(d->why));
	close(fd);
	if (rc == -ERR_REFUSED) {
		log_msg(LOG_LEVEL_WARN,
			"event=deploy_unchecked name=%s version=%s "
			"checksum=%s msg=\"the plugin does not load, so its "
			"descriptor was not checked: %s\"",
			f->name, f->version, f->checksum, d->why);
		return 0;
	}
	if (rc < 0)
		return rc;
	if (strcmp(name, f->name) || strcmp(version, f->version))
		return err_set(d->why, sizeof(d->why), ERR_BAD_BUNDLE,
			       "the signature names %s version %s but the "
			       "plugin's descriptor %.100s version %.100s: sign "
			       "with the descriptor's (fnhost sign without -n "
			       "and -v)",
			       f->name, f->version, name, version);
	return 0;
}

int
deploy_commit(struct deploy *d, const struct minisign_pubkey *keys,
	      size_t nkeys, const struct deploy_probe *probe,
	      struct store_function *out, char *err, size_t errlen)
{
	struct store_function f;
	struct bundle_info info;
	bool added;
	int rc = d->refused;

	if (rc == 0)
		rc = file_close(d);
	if (rc == 0)
		rc = bundle_verify(d->dirfd, keys, nkeys, &info, d->why,
				   sizeof(d->why));
	if (rc == 0) {
		rc = store_bundle_install(d->s, d->staging, &info, d->why,
					  sizeof(d->why));
		/* Installed, or removed by the store: not ours any more. */
		d->staging[0] = '\0';
	}
	if (rc == 0)
		record_of(&info, &f);
	if (rc == 0 && probe)
		rc = check_descriptor(d, probe, &f);
	if (rc == 0 && d->recorder.record)
		rc = d->recorder.record(d->recorder.ctx, d->s, &f, d->why,
					sizeof(d->why));
	else if (rc == 0)
		rc = store_version_add(d->s, &f, &added, d->why,
				       sizeof(d->why));
	if (rc == 0)
		*out = f;
	else
		err_set(err, errlen, err_kind_of(rc), "%s", d->why);
	deploy_abort(d);
	return rc;
}

void
deploy_abort(struct deploy *d)
{
	if (d == NULL)
		return;
	staging_drop(d);
	free(d);
}
