// SPDX-License-Identifier: GPL-2.0
/*
 * json-check - exit 0 if stdin is one valid JSON value (RFC 8259 syntax),
 * else print where it is not and exit 1. Used by test-fixtures so the
 * tests need no Python. Nesting is limited to 64 levels.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *buf, *p;
static const char *why;

static void ws(void)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
}

static int value(int depth);

static int string(void)
{
	if (*p++ != '"')
		return why = "expected string", -1;
	while (*p != '"') {
		unsigned char ch = (unsigned char)*p;

		if (!ch)
			return why = "unterminated string", -1;
		if (ch < 0x20)
			return why = "control character in string", -1;
		if (ch == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
						return why = "bad \\u escape", -1;
				p += 5;
				continue;
			}
			if (!*p || !strchr("\"\\/bfnrt", *p))
				return why = "bad escape", -1;
		}
		p++;
	}
	p++;
	return 0;
}

static int digits(void)
{
	if (*p < '0' || *p > '9')
		return why = "expected digit", -1;
	while (*p >= '0' && *p <= '9')
		p++;
	return 0;
}

static int number(void)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (digits())
		return -1;
	if (*p == '.') {
		p++;
		if (digits())
			return -1;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (digits())
			return -1;
	}
	return 0;
}

static int container(int depth, char close)
{
	p++;
	ws();
	if (*p == close) {
		p++;
		return 0;
	}
	for (;;) {
		ws();
		if (close == '}') {
			if (string())
				return -1;
			ws();
			if (*p++ != ':')
				return why = "expected ':'", -1;
		}
		if (value(depth + 1))
			return -1;
		ws();
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p++ == close)
			return 0;
		return why = close == '}' ? "expected ',' or '}'" : "expected ',' or ']'", -1;
	}
}

static int value(int depth)
{
	if (depth > 64)
		return why = "nested too deep", -1;
	ws();
	switch (*p) {
	case '{': return container(depth, '}');
	case '[': return container(depth, ']');
	case '"': return string();
	case 't': if (!strncmp(p, "true", 4)) return p += 4, 0; break;
	case 'f': if (!strncmp(p, "false", 5)) return p += 5, 0; break;
	case 'n': if (!strncmp(p, "null", 4)) return p += 4, 0; break;
	default:
		if (*p == '-' || (*p >= '0' && *p <= '9'))
			return number();
	}
	return why = "unexpected character", -1;
}

int main(void)
{
	size_t cap = 1 << 16, len = 0, n;
	char *b = malloc(cap);

	if (!b)
		return 2;
	while ((n = fread(b + len, 1, cap - len - 1, stdin)) > 0) {
		len += n;
		if (cap - len < 2) {
			char *nb = realloc(b, cap *= 2);

			if (!nb)
				return 2;
			b = nb;
		}
	}
	b[len] = '\0';
	if (strlen(b) != len) {
		fprintf(stderr, "json-check: NUL byte in input\n");
		return 1;
	}
	buf = p = b;
	if (value(0) == 0) {
		ws();
		if (!*p)
			return 0;
		why = "trailing data";
	}
	fprintf(stderr, "json-check: invalid JSON at byte %ld: %s\n", (long)(p - buf), why);
	return 1;
}
