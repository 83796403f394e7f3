// SPDX-License-Identifier: GPL-2.0
/*
 * sysinfo.c - read /proc/cpuinfo flags, the clocksource sysfs files and
 * /proc/cmdline, or their fixture copies; write fixture copies.
 */
#define _POSIX_C_SOURCE 200809L
#include "sysinfo.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define CS_DIR "/sys/devices/system/clocksource/clocksource0/"

static void trim(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t' ||
		     s[n - 1] == '\r'))
		s[--n] = '\0';
	n = strspn(s, " \t");
	if (n)
		memmove(s, s + n, strlen(s + n) + 1);
}

/*
 * Read a file's non-comment lines joined by spaces. Returns 1 when read,
 * 0 when absent (ENOENT) and allow_absent, -1 on any other error.
 * Live files have no comments, but none start with '#' either.
 */
static int read_joined(const char *path, char *dst, size_t len, bool allow_absent,
		       char *err, size_t errlen)
{
	char line[8192];
	FILE *f = fopen(path, "r");
	size_t used = 0;

	dst[0] = '\0';
	if (!f) {
		if (errno == ENOENT && allow_absent)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		size_t n;

		trim(line);
		if (line[0] == '#' || line[0] == '\0')
			continue;
		n = strlen(line);
		if (used + n + 2 > len)
			break;
		if (used)
			dst[used++] = ' ';
		memcpy(dst + used, line, n + 1);
		used += n;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		fclose(f);
		return -1;
	}
	fclose(f);
	return 1;
}

/*
 * Keep the kernel's parameters only: what follows a lone "--" is for init,
 * means nothing here and may hold things that do not belong in a report or
 * a recorded fixture.
 */
static void strip_init_args(char *cmd)
{
	for (char *p = cmd; (p = strstr(p, "--")); p += 2) {
		if ((p == cmd || p[-1] == ' ') && (p[2] == '\0' || p[2] == ' ')) {
			*p = '\0';
			trim(cmd);
			return;
		}
	}
}

static void live_flags(struct sys_facts *s)
{
	char line[8192];
	FILE *f = fopen("/proc/cpuinfo", "r");

	s->have_flags = false;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon;

		if (strncmp(line, "flags", 5) || !(colon = strchr(line, ':')))
			continue;
		snprintf(s->flags, sizeof(s->flags), "%s", colon + 1);
		trim(s->flags);
		s->have_flags = true;
		break;
	}
	fclose(f);
}

void sysinfo_live(struct sys_facts *s)
{
	char err[256];

	memset(s, 0, sizeof(*s));
	live_flags(s);
	s->have_available = read_joined(CS_DIR "available_clocksource", s->available,
					sizeof(s->available), true, err, sizeof(err)) > 0;
	s->have_current = read_joined(CS_DIR "current_clocksource", s->current,
				      sizeof(s->current), true, err, sizeof(err)) > 0;
	s->have_cmdline = read_joined("/proc/cmdline", s->cmdline, sizeof(s->cmdline),
				      true, err, sizeof(err)) > 0;
	strip_init_args(s->cmdline);
}

int sysinfo_load(struct sys_facts *s, const char *dir, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		size_t off_have, off_buf, len;
	} files[] = {
		{ SYS_FILE_FLAGS, offsetof(struct sys_facts, have_flags),
		  offsetof(struct sys_facts, flags), sizeof(((struct sys_facts *)0)->flags) },
		{ SYS_FILE_AVAILABLE, offsetof(struct sys_facts, have_available),
		  offsetof(struct sys_facts, available),
		  sizeof(((struct sys_facts *)0)->available) },
		{ SYS_FILE_CURRENT, offsetof(struct sys_facts, have_current),
		  offsetof(struct sys_facts, current), sizeof(((struct sys_facts *)0)->current) },
		{ SYS_FILE_CMDLINE, offsetof(struct sys_facts, have_cmdline),
		  offsetof(struct sys_facts, cmdline), sizeof(((struct sys_facts *)0)->cmdline) },
	};

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[4096];
		int rc;

		snprintf(path, sizeof(path), "%s/%s", dir, files[i].name);
		rc = read_joined(path, (char *)s + files[i].off_buf, files[i].len, true,
				 err, errlen);
		if (rc < 0)
			return -1;
		*(bool *)((char *)s + files[i].off_have) = rc > 0;
	}
	return 0;
}

static int save_one(const char *dir, const char *name, bool have, const char *val,
		    char *err, size_t errlen)
{
	char path[4096];
	FILE *f;

	if (!have)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(f, "# SPDX-License-Identifier: GPL-2.0\n%s\n", val);
	if (fclose(f)) {
		snprintf(err, errlen, "%s: write error", path);
		return -1;
	}
	return 0;
}

int sysinfo_save(const struct sys_facts *s, const char *dir, char *err, size_t errlen)
{
	if (save_one(dir, SYS_FILE_FLAGS, s->have_flags, s->flags, err, errlen) ||
	    save_one(dir, SYS_FILE_AVAILABLE, s->have_available, s->available, err, errlen) ||
	    save_one(dir, SYS_FILE_CURRENT, s->have_current, s->current, err, errlen) ||
	    save_one(dir, SYS_FILE_CMDLINE, s->have_cmdline, s->cmdline, err, errlen))
		return -1;
	return 0;
}

bool word_in(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n) {
		bool start = p == list || p[-1] == ' ' || p[-1] == '\t';
		bool end = p[n] == '\0' || p[n] == ' ' || p[n] == '\t';

		if (start && end)
			return true;
	}
	return false;
}

/* Call fn for each kernel parameter token; stops at "--". */
static const char *next_token(const char *p, size_t *len)
{
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return NULL;
	*len = strcspn(p, " \t");
	if (*len == 2 && p[0] == '-' && p[1] == '-')
		return NULL;
	return p;
}

bool cmdline_has(const char *cmdline, const char *param)
{
	size_t len, n = strlen(param);

	for (const char *p = cmdline; (p = next_token(p, &len)); p += len)
		if (len == n && !strncmp(p, param, n))
			return true;
	return false;
}

const char *cmdline_last(const char *cmdline, const char *key, char *buf, size_t blen)
{
	size_t len, n = strlen(key);
	const char *found = NULL;

	for (const char *p = cmdline; (p = next_token(p, &len)); p += len) {
		if (len >= n && !strncmp(p, key, n)) {
			size_t v = len - n;

			if (v >= blen)
				v = blen - 1;
			memcpy(buf, p + n, v);
			buf[v] = '\0';
			found = buf;
		}
	}
	return found;
}
