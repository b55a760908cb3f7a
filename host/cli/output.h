/*
 * output.h: how the client subcommands print what the host answered.
 *
 * -o json prints the host's JSON as it is, on one line; text prints it
 * for people.  Text that comes from the host goes out with its control
 * characters as '?', so an answer can not move the cursor or forge lines.  All
 * of it goes to stdout; errors are cli_fail()'s (cli.h).
 */
#ifndef FNHOST_OUTPUT_H
#define FNHOST_OUTPUT_H

#include <json-c/json.h>
#include <stdio.h>

/* obj as plain JSON on one line, slashes unescaped. */
void output_json(json_object *obj);

/* s with control bytes as '?': C0, DEL, and C1 in UTF-8 (U+0080 to
 * U+009F, two bytes for one '?'). */
void output_text(const char *s);

/* The same to f. */
void output_text_to(FILE *f, const char *s);

/* "label value" and a newline, value as output_text() shows it, "-" for
 * NULL. */
void output_line(const char *label, const char *value);

/* A JSON value as one human word: strings as they are, Unix times (the
 * members created, expires, exp, iat, issued) as UTC ISO 8601, missing
 * (NULL), null and "" as "-", true as the key's name ("revoked") and
 * false as "-", others as JSON.  No newline. */
void output_value(const char *key, json_object *v);

/* "key value" lines for every member of obj, nested objects as
 * "outer.inner", booleans as true and false; prefix is "" at the top. */
void output_object(const char *prefix, json_object *obj);

/* An answer in the mode asked: JSON, else an object as output_object()
 * prints it and any other value as one output_value() line. */
void output_answer(int json, json_object *obj);

#endif
