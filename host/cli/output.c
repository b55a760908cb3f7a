/* output.c: the host's answers printed as text or JSON (see output.h). */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/output.h"

void
output_json(json_object *obj)
{
	puts(json_object_to_json_string_ext(
		obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

void
output_text_to(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++) {
		/* A C1 control (U+0080 to U+009F) is one to a terminal in
		 * UTF-8 too: U+009B alone begins an escape sequence. */
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			putc('?', f);
			p++;
			continue;
		}
		putc(*p < 0x20 || *p == 0x7f ? '?' : *p, f);
	}
}

void
output_text(const char *s)
{
	output_text_to(stdout, s);
}

void
output_line(const char *label, const char *value)
{
	printf("%s ", label);
	output_text(value ? value : "-");
	putchar('\n');
}

static int
is_time_key(const char *key)
{
	return !strcmp(key, "created") || !strcmp(key, "expires") ||
	       !strcmp(key, "exp") || !strcmp(key, "iat") ||
	       !strcmp(key, "issued");
}

void
output_value(const char *key, json_object *v)
{
	char buf[32];
	struct tm tm;
	time_t t;

	if (!v ||
	    (json_object_is_type(v, json_type_string) &&
	     json_object_get_string_len(v) == 0) ||
	    (json_object_is_type(v, json_type_boolean) &&
	     !json_object_get_boolean(v))) {
		fputs("-", stdout);
	} else if (json_object_is_type(v, json_type_boolean)) {
		output_text(key);
	} else if (json_object_is_type(v, json_type_string)) {
		output_text(json_object_get_string(v));
	} else if (json_object_is_type(v, json_type_int) && is_time_key(key)) {
		t = (time_t)json_object_get_int64(v);
		if (gmtime_r(&t, &tm) &&
		    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
			fputs(buf, stdout);
		else
			printf("%lld", (long long)json_object_get_int64(v));
	} else {
		output_text(json_object_to_json_string_ext(
			v, JSON_C_TO_STRING_PLAIN |
				   JSON_C_TO_STRING_NOSLASHESCAPE));
	}
}

void
output_object(const char *prefix, json_object *obj)
{
	char key[256];

	json_object_object_foreach(obj, k, v) {
		snprintf(key, sizeof(key), "%s%s%s", prefix, *prefix ? "." : "",
			 k);
		if (json_object_is_type(v, json_type_object)) {
			output_object(key, v);
			continue;
		}
		output_text(key);
		putchar(' ');
		if (json_object_is_type(v, json_type_boolean))
			fputs(json_object_get_boolean(v) ? "true" : "false",
			      stdout);
		else
			output_value(k, v);
		putchar('\n');
	}
}

void
output_answer(int json, json_object *obj)
{
	if (json) {
		output_json(obj);
	} else if (json_object_is_type(obj, json_type_object)) {
		output_object("", obj);
	} else {
		output_value("", obj);
		putchar('\n');
	}
}
