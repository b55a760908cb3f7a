/*
 * cmd-bundle.c: `fnhost keygen`, `fnhost sign` and `fnhost verify`, the
 * publisher's side of bundles (formats in bundle.h and minisign.h).
 */
#define _GNU_SOURCE /* renameat2() */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "formats/bundle.h"
#include "cli/cli.h"
#include "formats/minisign.h"

#define KEYGEN_USAGE "keygen -p KEY.pub -s KEY.key [-f] [-P PASSFILE]"
#define SIGN_USAGE "sign -s KEY.key [-n NAME] [-v VERSION] [-P PASSFILE] DIR"
#define VERIFY_USAGE "verify -p KEY.pub [-p KEY.pub]... DIR"
/* How many -p a verify takes: a handful of publishers at most. */
#define VERIFY_MAX_KEYS 16

/*
 * Read a password from the first line of path (the trailing newline, and
 * a CR before it, are not part of it), so keygen and sign are scriptable
 * without a terminal.  Returns 0, or -1 after printing the reason.
 */
static int
password_read(const char *cmd, const char *path,
	      char pw[MINISIGN_PASSWORD_MAX + 2])
{
	size_t got = 0;
	ssize_t n;
	int fd, ret = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		cli_fail(cmd, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		n = read(fd, pw + got, MINISIGN_PASSWORD_MAX + 1 - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			cli_fail(cmd, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > MINISIGN_PASSWORD_MAX)
			break;
	}
	if (got > 0 && pw[got - 1] == '\n')
		got--;
	if (got > 0 && pw[got - 1] == '\r')
		got--;
	if (got > MINISIGN_PASSWORD_MAX || memchr(pw, '\n', got) != NULL) {
		cli_fail(cmd,
			 "%s: the password must be one line of at most "
			 "%d bytes",
			 path, MINISIGN_PASSWORD_MAX);
		goto out;
	}
	if (got == 0 || memchr(pw, '\0', got) != NULL) {
		cli_fail(cmd,
			 "%s: the password is empty or holds a NUL "
			 "byte",
			 path);
		goto out;
	}
	pw[got] = '\0';
	ret = 0;
out:
	close(fd);
	return ret;
}

/*
 * Write buf to path with the given mode through a temporary file in the
 * same directory, fsync()ed and renamed; unless force, never replace an
 * existing path (RENAME_NOREPLACE closes the race with a check).
 */
static int
file_write(const char *cmd, const char *path, const char *buf, size_t len,
	   mode_t mode, int force)
{
	char tmp[4096];
	size_t done = 0;
	ssize_t n;
	int fd, err = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path,
			     (long)getpid()) >= sizeof(tmp)) {
		cli_fail(cmd, "%s: path too long", path);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  mode);
	if (fd == -1) {
		cli_fail(cmd, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	while (done < len && err == 0) {
		n = write(fd, buf + done, len - done);
		if (n == -1 && errno != EINTR)
			err = errno;
		else if (n > 0)
			done += (size_t)n;
	}
	if (err == 0 && fsync(fd) == -1)
		err = errno;
	if (close(fd) == -1 && err == 0)
		err = errno;
	if (err == 0 && renameat2(AT_FDCWD, tmp, AT_FDCWD, path,
				  force ? 0 : RENAME_NOREPLACE) == -1)
		err = errno;
	if (err != 0) {
		unlink(tmp);
		if (err == EEXIST)
			cli_fail(cmd, "%s exists; use -f to overwrite it",
				 path);
		else
			cli_fail(cmd, "%s: %s", path, strerror(err));
		return -1;
	}
	return 0;
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int
cmd_keygen(int argc, char **argv)
{
	const char *pubpath = NULL, *secpath = NULL, *passpath = NULL;
	char pw[MINISIGN_PASSWORD_MAX + 2], err[256];
	char pubtext[256], id[MINISIGN_KEYID_HEX];
	struct minisign_seckey sk;
	struct minisign_pubkey pk;
	char *sectext = NULL;
	size_t seclen = 0;
	int c, force = 0, publen, ret = CLI_FAIL;

	memset(&sk, 0, sizeof(sk));
	optind = 1;
	while ((c = getopt(argc, argv, "hfp:s:P:")) != -1) {
		switch (c) {
		case 'h':
			return cli_usage(stdout, KEYGEN_USAGE);
		case 'f':
			force = 1;
			break;
		case 'p':
			pubpath = optarg;
			break;
		case 's':
			secpath = optarg;
			break;
		case 'P':
			passpath = optarg;
			break;
		default:
			return cli_usage(stderr, KEYGEN_USAGE);
		}
	}
	if (optind != argc || pubpath == NULL || secpath == NULL)
		return cli_usage(stderr, KEYGEN_USAGE);
	if (!force && (exists(pubpath) || exists(secpath)))
		return cli_fail(argv[0], "%s exists; use -f to overwrite it",
				exists(pubpath) ? pubpath : secpath);
	if (passpath != NULL && password_read(argv[0], passpath, pw) == -1)
		goto out;
	if (minisign_keygen(&sk, err, sizeof(err)) < 0 ||
	    minisign_seckey_format(&sk, passpath != NULL ? pw : NULL,
				   MINISIGN_OPSLIMIT_DEFAULT,
				   MINISIGN_MEMLIMIT_DEFAULT, &sectext, &seclen,
				   err, sizeof(err)) < 0) {
		cli_fail(argv[0], "%s", err);
		goto out;
	}
	minisign_seckey_public(&sk, &pk);
	publen = minisign_pubkey_format(&pk, pubtext, sizeof(pubtext));
	if (publen < 0) {
		cli_fail(argv[0], "cannot format the public key");
		goto out;
	}
	if (file_write(argv[0], secpath, sectext, seclen, 0600, force) == -1 ||
	    file_write(argv[0], pubpath, pubtext, (size_t)publen, 0644,
		       force) == -1)
		goto out;
	minisign_keyid_hex(pk.key_id, id);
	printf("key id %s\n", id);
	ret = CLI_OK;
out:
	if (sectext != NULL) {
		OPENSSL_cleanse(sectext, seclen);
		free(sectext);
	}
	OPENSSL_cleanse(pw, sizeof(pw));
	minisign_seckey_clear(&sk);
	return ret;
}

static int
dir_open(const char *cmd, const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd == -1)
		cli_fail(cmd, "%s: %s", path, strerror(errno));
	return fd;
}

/* The name and version the signature records when -n or -v leave them
 * out: the plugin's descriptor's, as the worker reports it (so the
 * template's 1.0.0 is what the host lists, not a made-up 0).  Loading
 * the .so runs its code, so it happens as `fnhost test` does it; with
 * both flags given nothing is loaded (a plugin built for another
 * machine can be signed). */
static int
descriptor_defaults(const char *cmd, const char *dir, const char **name,
		    const char **version, char dname[101], char dversion[101])
{
	char err[4200];

	if (*name != NULL && *version != NULL)
		return 0;
	if (cli_plugin_descriptor(dir, dname, dversion, err, sizeof(err)) < 0) {
		cli_fail(cmd,
			 "cannot read the plugin's name and version: %s "
			 "(or give both -n and -v)",
			 err);
		return -1;
	}
	if (*name == NULL)
		*name = dname;
	if (*version == NULL)
		*version = dversion;
	return 0;
}

int
cmd_sign(int argc, char **argv)
{
	const char *secpath = NULL, *passpath = NULL, *name = NULL;
	const char *version = NULL;
	char pw[MINISIGN_PASSWORD_MAX + 2], err[512], sum[65];
	char dname[101], dversion[101];
	struct minisign_seckey sk;
	int c, dirfd = -1, ret = CLI_FAIL;

	memset(&sk, 0, sizeof(sk));
	optind = 1;
	while ((c = getopt(argc, argv, "hs:n:v:P:")) != -1) {
		switch (c) {
		case 'h':
			return cli_usage(stdout, SIGN_USAGE);
		case 's':
			secpath = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'v':
			version = optarg;
			break;
		case 'P':
			passpath = optarg;
			break;
		default:
			return cli_usage(stderr, SIGN_USAGE);
		}
	}
	if (optind != argc - 1 || secpath == NULL)
		return cli_usage(stderr, SIGN_USAGE);
	if ((dirfd = dir_open(argv[0], argv[optind])) == -1)
		goto out;
	if (descriptor_defaults(argv[0], argv[optind], &name, &version, dname,
				dversion) < 0)
		goto out;
	if (passpath != NULL && password_read(argv[0], passpath, pw) == -1)
		goto out;
	if (minisign_seckey_load(secpath, passpath != NULL ? pw : NULL, &sk,
				 err, sizeof(err)) < 0 ||
	    bundle_sign(dirfd, &sk, name, version, sum, err, sizeof(err)) < 0) {
		cli_fail(argv[0], "%s", err);
		goto out;
	}
	printf("%s\n", sum);
	ret = CLI_OK;
out:
	if (dirfd != -1)
		close(dirfd);
	OPENSSL_cleanse(pw, sizeof(pw));
	minisign_seckey_clear(&sk);
	return ret;
}

int
cmd_verify(int argc, char **argv)
{
	struct minisign_pubkey keys[VERIFY_MAX_KEYS];
	struct bundle_info info;
	char err[512];
	size_t nkeys = 0;
	int c, dirfd = -1, ret = CLI_FAIL;

	optind = 1;
	while ((c = getopt(argc, argv, "hp:")) != -1) {
		switch (c) {
		case 'h':
			return cli_usage(stdout, VERIFY_USAGE);
		case 'p':
			if (nkeys == VERIFY_MAX_KEYS)
				return cli_fail(argv[0], "more than %d keys",
						VERIFY_MAX_KEYS);
			if (minisign_pubkey_load(optarg, &keys[nkeys], err,
						 sizeof(err)) < 0)
				return cli_fail(argv[0], "%s", err);
			nkeys++;
			break;
		default:
			return cli_usage(stderr, VERIFY_USAGE);
		}
	}
	if (optind != argc - 1 || nkeys == 0)
		return cli_usage(stderr, VERIFY_USAGE);
	if ((dirfd = dir_open(argv[0], argv[optind])) == -1)
		goto out;
	if (bundle_verify(dirfd, keys, nkeys, &info, err, sizeof(err)) < 0) {
		cli_fail(argv[0], "%s: %s", argv[optind], err);
		goto out;
	}
	printf("%s\nname=%s version=%s plugin=%s files=%zu\n", info.checksum,
	       info.name, info.version, info.plugin, info.nfiles);
	ret = CLI_OK;
out:
	if (dirfd != -1)
		close(dirfd);
	return ret;
}
