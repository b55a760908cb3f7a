/*
 * static.h: the files of fnhost.conf's app_dir, served as GET /app/PATH
 * (api_static() in api.h; off while app_dir is unset: 404).
 *
 * The contract is what keeps a web page from becoming a way into the
 * host's files:
 *  - PATH is segments of [A-Za-z0-9_@.-] not starting with '.', so no
 *    "..", no hidden file, no encoded byte; at most STATIC_DEPTH_MAX deep.
 *  - Every segment is opened with openat(O_NOFOLLOW) from the one before,
 *    starting at app_dir: a symlink anywhere below app_dir is refused
 *    (404), so nothing outside it is ever read.  app_dir itself is the
 *    administrator's choice and may be one.
 *  - Only regular files of at most STATIC_FILE_MAX bytes, of a type from
 *    a fixed table by extension (html, js, mjs, css, json, svg, png, ico,
 *    txt, map); any other is 404.  A directory is served as its
 *    index.html when PATH ends in '/', else redirected (301) to PATH/.
 *  - Answers carry X-Content-Type-Options: nosniff, a Content-Security-
 *    Policy that allows scripts, styles and connections to this host
 *    only, and Cache-Control: no-cache.
 * A file is read whole per request; it is safe from any thread.
 */
#ifndef FNHOST_STATIC_H
#define FNHOST_STATIC_H

#define STATIC_FILE_MAX (1u << 20)
#define STATIC_DEPTH_MAX 16

#endif
