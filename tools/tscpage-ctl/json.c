// SPDX-License-Identifier: GPL-2.0
/*
 * tscpage-ctl: JSON output. Every string this tool prints is its own
 * (names, descriptions) or a path the user gave, so the escaping covers
 * what RFC 8259 requires: '"', '\\' and control characters.
 */
#include <stdio.h>

#include "json.h"

static void sep(struct ctl_json *j, const char *key)
{
	if (!j->first[j->depth])
		putchar(',');
	j->first[j->depth] = false;
	if (key) {
		putchar('"');
		fputs(key, stdout);
		fputs("\":", stdout);
	}
}

static void open_level(struct ctl_json *j, char open)
{
	putchar(open);
	if (j->depth < CTL_JSON_DEPTH - 1)
		j->depth++;
	j->first[j->depth] = true;
}

void ctl_json_begin(struct ctl_json *j)
{
	j->depth = -1;
	open_level(j, '{');
}

void ctl_json_end(struct ctl_json *j)
{
	ctl_json_close(j, '}');
	putchar('\n');
	fflush(stdout);
}

void ctl_json_object(struct ctl_json *j, const char *key)
{
	sep(j, key);
	open_level(j, '{');
}

void ctl_json_array(struct ctl_json *j, const char *key)
{
	sep(j, key);
	open_level(j, '[');
}

void ctl_json_close(struct ctl_json *j, char close)
{
	putchar(close);
	if (j->depth > 0)
		j->depth--;
}

void ctl_json_u64(struct ctl_json *j, const char *key, unsigned long long v)
{
	sep(j, key);
	printf("%llu", v);
}

void ctl_json_s64(struct ctl_json *j, const char *key, long long v)
{
	sep(j, key);
	printf("%lld", v);
}

void ctl_json_bool(struct ctl_json *j, const char *key, bool v)
{
	sep(j, key);
	fputs(v ? "true" : "false", stdout);
}

void ctl_json_str(struct ctl_json *j, const char *key, const char *s)
{
	sep(j, key);
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}
