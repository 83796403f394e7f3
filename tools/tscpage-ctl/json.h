/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tscpage-ctl: a writer of one JSON object on one line of stdout, with
 * nested objects and arrays. Keys are NULL inside arrays.
 */
#ifndef _TSCPAGE_CTL_JSON_H
#define _TSCPAGE_CTL_JSON_H

#include <stdbool.h>

#define CTL_JSON_DEPTH	8

struct ctl_json {
	int depth;
	bool first[CTL_JSON_DEPTH];
};

/* '{' of the top-level object. */
void ctl_json_begin(struct ctl_json *j);
/* Its '}', the newline, and a flush (for readers at the end of a pipe). */
void ctl_json_end(struct ctl_json *j);

void ctl_json_object(struct ctl_json *j, const char *key);
void ctl_json_array(struct ctl_json *j, const char *key);
/* Closes the innermost object or array; @close is '}' or ']'. */
void ctl_json_close(struct ctl_json *j, char close);

void ctl_json_u64(struct ctl_json *j, const char *key, unsigned long long v);
void ctl_json_s64(struct ctl_json *j, const char *key, long long v);
void ctl_json_bool(struct ctl_json *j, const char *key, bool v);
void ctl_json_str(struct ctl_json *j, const char *key, const char *s);

#endif /* _TSCPAGE_CTL_JSON_H */
