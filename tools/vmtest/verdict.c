// SPDX-License-Identifier: GPL-2.0
/*
 * verdict.c - judge the result rows of a vmtest run.
 *
 * usage: verdict ROWDIR...
 *
 * A row directory holds ktap.log and optionally name, status, wall, and,
 * for a guest row, console.log and dmesg.log. Results in ktap.log count as:
 *   - a top-level result with nested results (lines indented by exactly
 *     four spaces) counts its nested results, plus one failure when it is
 *     "not ok" although none of its nested results failed (the program
 *     crashed or timed out after its output);
 *   - a top-level result without nested results counts itself;
 *   - "# SKIP" makes a result skipped.
 * Guest rows (those with console.log or dmesg.log) get two more results:
 * "guest finished" and "dmesg clean"; a nested row's, whose L2 guests'
 * kernel logs are in dmesg-l2.log, a third: "L2 dmesg clean".
 *
 * verdict --kernel-clean ROWDIR only says, by its exit status (0 clean,
 * 1 not), whether the row's kernel logs hold none of the patterns of
 * "dmesg clean" below.
 *
 * Prints every failure with its evidence, a table of the rows, the
 * failures' headlines again (one line each) and, last, "N passed,
 * N failed".
 * Exits 1 if anything failed (a missing or unreadable row counts as a
 * failure), else 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define EVIDENCE_LINES	10	/* diagnostics shown before a failure */
#define CONSOLE_TAIL	20	/* console lines shown for an unfinished guest */
#define DMESG_CONTEXT	3	/* lines shown after an offending log line */

struct text {
	char **line;
	size_t n;
	char *buf;
};

struct row {
	const char *dir;
	const char *id;		/* basename of dir, used in messages */
	char name[256];
	char wall[32];
	unsigned int passed, failed, skipped;
};

/* Kernel log lines that mean the kernel is unhappy. */
static const char *const bad_patterns[] = {
	"WARNING:",
	"BUG:",
	"Oops",
	"Call Trace",
	"general protection",
	"Kernel panic",
	"possible recursive locking",
	"possible circular locking",
	"inconsistent lock state",
	/*
	 * Lockdep's other findings, and its giving up (after which nothing
	 * more is checked); not the bare word, which a lockdep kernel's boot
	 * says ("RCU lockdep checking is enabled").
	 */
	"lockdep is turned off",
	"turning off the locking correctness validator",
	"irq lock inversion",
	"bad unlock balance",
	"held lock freed",
	"lock held when returning to user space",
	"DEBUG_LOCKS_WARN_ON",
	"rcu.*stall",
	"detected stalls",
	"blocked for more than",
	/*
	 * The debug kernel's (tools/vmtest/debug-kernel/debug.config); most
	 * reports also start "BUG:" or "WARNING:", but each is named here so
	 * that none hangs on another's wording.
	 */
	"KASAN:",
	"UBSAN:",
	"KFENCE:",
	"KCSAN:",
	"kmemleak: [0-9]+ new suspected memory leaks",
	"unreferenced object 0x",
	"suspicious RCU usage",
	"sleeping function called from invalid context",
	"ODEBUG:",
	"list_add corruption",
	"list_del corruption",
	"using smp_processor_id\\(\\) in preemptible",
};
#define N_BAD_PATTERNS (sizeof(bad_patterns) / sizeof(bad_patterns[0]))

static regex_t bad_re[N_BAD_PATTERNS];

/*
 * The kernel's own reactions to its clocks: not failures of the row (a TCG
 * guest's TSC under load makes the clocksource watchdog give up on it),
 * but what a reader of the verdict must see rather than dig for.
 */
static const char *const notice_patterns[] = {
	"Marking clocksource '[^']*' as unstable",
	"Marking TSC unstable",
	"Override clocksource [^ ]* is unstable",
};
#define N_NOTICE_PATTERNS \
	(sizeof(notice_patterns) / sizeof(notice_patterns[0]))

static regex_t notice_re[N_NOTICE_PATTERNS];

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fprintf(stderr, "verdict: out of memory\n");
		exit(1);
	}
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fprintf(stderr, "verdict: out of memory\n");
		exit(1);
	}
	return p;
}

/*
 * Read a whole file as lines, without '\r' (the serial console writes
 * "\r\n") and with NUL bytes made visible. Returns false with errno set.
 */
static bool read_text(const char *path, struct text *t)
{
	size_t len = 0, cap = 65536, i, start;
	FILE *f;

	memset(t, 0, sizeof(*t));
	f = fopen(path, "r");
	if (!f)
		return false;
	t->buf = xmalloc(cap);
	for (;;) {
		size_t n = fread(t->buf + len, 1, cap - len - 1, f);

		len += n;
		if (len < cap - 1)
			break;
		cap *= 2;
		t->buf = xrealloc(t->buf, cap);
	}
	if (ferror(f)) {
		int e = errno;

		fclose(f);
		free(t->buf);
		t->buf = NULL;
		errno = e ? e : EIO;
		return false;
	}
	fclose(f);
	t->buf[len] = '\0';

	t->line = xmalloc(sizeof(char *) * (len / 2 + 2));
	for (i = 0, start = 0; i <= len; i++) {
		char c = t->buf[i];

		if (i < len && c == '\0') {
			t->buf[i] = '?';
		} else if (i == len || c == '\n') {
			size_t e = i;

			if (i == len && start == len)
				break;	/* no empty line after the last '\n' */
			t->buf[i] = '\0';
			while (e > start && t->buf[e - 1] == '\r')
				t->buf[--e] = '\0';
			t->line[t->n++] = t->buf + start;
			start = i + 1;
		}
	}
	/* Remaining '\r' inside lines come from console noise. */
	for (i = 0; i < len; i++)
		if (t->buf[i] == '\r')
			t->buf[i] = ' ';
	return true;
}

static void free_text(struct text *t)
{
	free(t->line);
	free(t->buf);
	memset(t, 0, sizeof(*t));
}

static void evidence(const char *line)
{
	printf("#     %s\n", line);
}

/*
 * Every failure's headline, printed again just above the table: the
 * evidence printed with each failure can run to hundreds of lines, and a
 * reader of a long log's tail (a CI summary) must still see what failed.
 */
#define HEADLINE_LEN	160

/*
 * With a headline, the first deeper failure in its evidence (a nested
 * program's "not ok" line, such as clock_warp's inside under_hammer's
 * output), which names the check that failed.
 */
struct headline {
	char text[HEADLINE_LEN];
	char cause[HEADLINE_LEN];
};

static struct headline *headlines;
static size_t n_headlines, cap_headlines;

static void fail(struct row *r, const char *fmt, ...)
{
	char line[HEADLINE_LEN * 4], *head;
	va_list ap;
	size_t len;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	printf("# %s: not ok %s\n", r->id, line);
	r->failed++;
	if (n_headlines == cap_headlines) {
		cap_headlines = cap_headlines ? 2 * cap_headlines : 16;
		headlines = xrealloc(headlines,
				     cap_headlines * sizeof(*headlines));
	}
	/* Truncated on purpose: the full line is above. */
	headlines[n_headlines].cause[0] = '\0';
	head = headlines[n_headlines++].text;
	len = (size_t)snprintf(head, HEADLINE_LEN, "%.40s: ", r->id);
	memcpy(head + len, line, HEADLINE_LEN - len - 1);
	head[HEADLINE_LEN - 1] = '\0';
}

/* ------------------------------------------------------------ KTAP */

struct ktap_result {
	bool ok;
	bool skip;
	const char *desc;	/* text after the number, directive included */
	int name_len;		/* length of desc without the directive */
};

/* "ok N ..." or "not ok N ...", at the start of s. */
static bool parse_result(const char *s, struct ktap_result *res)
{
	const char *p = s, *hash;

	if (!strncmp(p, "ok ", 3)) {
		res->ok = true;
		p += 3;
	} else if (!strncmp(p, "not ok ", 7)) {
		res->ok = false;
		p += 7;
	} else {
		return false;
	}
	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p && *p != ' ')
		return false;
	while (*p == ' ')
		p++;
	res->desc = p;
	res->name_len = (int)strlen(p);
	/* The directive follows the first '#' that starts a word. */
	res->skip = false;
	for (hash = p; (hash = strchr(hash, '#')); hash++) {
		if (hash != p && hash[-1] != ' ')
			continue;
		res->name_len = (int)(hash - p);
		while (res->name_len && p[res->name_len - 1] == ' ')
			res->name_len--;
		hash++;
		while (*hash == ' ')
			hash++;
		res->skip = !strncasecmp(hash, "SKIP", 4);
		break;
	}
	return true;
}

/*
 * A ring of the last few lines seen, as evidence for a failure, and the
 * first of all lines seen that holds a deeper "not ok", which the ring
 * may have lost.
 */
struct ring {
	const char *line[EVIDENCE_LINES];
	unsigned int n;
	const char *cause;
};

static void ring_add(struct ring *g, const char *line)
{
	g->line[g->n++ % EVIDENCE_LINES] = line;
	if (!g->cause && strstr(line, "not ok "))
		g->cause = line;
}

/* Keeps @c as the cause of the failure just reported, unless it has one. */
static void headline_cause(const char *c)
{
	if (!c || !n_headlines || headlines[n_headlines - 1].cause[0])
		return;
	while (*c == ' ' || *c == '#')
		c++;
	snprintf(headlines[n_headlines - 1].cause, HEADLINE_LEN, "%s", c);
}

/*
 * Prints the ring as the evidence of the failure just reported, and
 * keeps its cause with that failure's headline.
 */
static void ring_print(const struct ring *g)
{
	unsigned int i = g->n > EVIDENCE_LINES ? g->n - EVIDENCE_LINES : 0;

	for (; i < g->n; i++)
		evidence(g->line[i % EVIDENCE_LINES]);
	headline_cause(g->cause);
}

/* A failed nested result waits for its parent's line to be named. */
struct nested_fail {
	const char *desc;
	struct ring diag;
};

static bool judge_ktap(struct row *r, const char *path, bool *done_seen)
{
	struct nested_fail *nf = NULL;
	size_t n_nf = 0, cap_nf = 0, i, j;
	struct ring top_diag = { 0 }, nest_diag = { 0 }, nest_all = { 0 };
	unsigned int n_nested = 0, nest_failed = 0, tops = 0;
	long planned = -1;
	struct text t;

	*done_seen = false;
	if (!read_text(path, &t)) {
		fail(r, "read %s: %s", path, strerror(errno));
		return false;
	}
	for (i = 0; i < t.n; i++) {
		const char *l = t.line[i];
		struct ktap_result res;

		if (!strncmp(l, "    ", 4)) {
			ring_add(&nest_all, l + 4);
			if (l[4] == ' ' || !parse_result(l + 4, &res)) {
				ring_add(&nest_diag, l + 4);
				continue;
			}
			n_nested++;
			if (res.skip) {
				r->skipped++;
			} else if (res.ok) {
				r->passed++;
			} else {
				if (n_nf == cap_nf) {
					cap_nf = cap_nf ? 2 * cap_nf : 16;
					nf = xrealloc(nf, cap_nf * sizeof(*nf));
				}
				nf[n_nf].desc = res.desc;
				nf[n_nf].diag = nest_diag;
				n_nf++;
				nest_failed++;
			}
			memset(&nest_diag, 0, sizeof(nest_diag));
			continue;
		}
		if (!strcmp(l, "# vmtest: done")) {
			*done_seen = true;
			continue;
		}
		if (!strncmp(l, "1..", 3)) {
			planned = strtol(l + 3, NULL, 10);
			continue;
		}
		if (!parse_result(l, &res)) {
			if (l[0] == '#')
				ring_add(&top_diag, l);
			continue;
		}
		tops++;
		for (j = 0; j < n_nf; j++) {
			fail(r, "%.*s: %s", res.name_len, res.desc,
			     nf[j].desc);
			ring_print(&nf[j].diag);
		}
		if (!n_nested) {
			if (res.skip) {
				r->skipped++;
			} else if (res.ok) {
				r->passed++;
			} else {
				/* Output that had no results of its own (a
				 * hang, a crash) is the evidence too. */
				fail(r, "%s", res.desc);
				ring_print(&top_diag);
				ring_print(&nest_all);
			}
		} else if (!res.ok && !res.skip && !nest_failed) {
			fail(r, "%s", res.desc);
			ring_print(&nest_all);
		}
		n_nf = 0;
		n_nested = nest_failed = 0;
		memset(&top_diag, 0, sizeof(top_diag));
		memset(&nest_diag, 0, sizeof(nest_diag));
		memset(&nest_all, 0, sizeof(nest_all));
	}
	/* Nested output whose parent never reported: the guest died. */
	for (j = 0; j < n_nf; j++) {
		fail(r, "(unfinished step): %s", nf[j].desc);
		ring_print(&nf[j].diag);
	}
	if (planned < 0 && !tops) {
		fail(r, "ktap.log: no KTAP results");
	} else if (planned >= 0 && tops != planned) {
		fail(r, "ktap.log: %u of %ld planned results", tops, planned);
		ring_print(&top_diag);
		ring_print(&nest_all);
	}
	free(nf);
	free_text(&t);
	return true;
}

/* ---------------------------------------------------------- guest */

static void print_tail(const struct text *t, size_t n)
{
	size_t i = t->n > n ? t->n - n : 0;

	for (; i < t->n; i++)
		evidence(t->line[i]);
}

static void check_finished(struct row *r, bool done_seen)
{
	char path[4096], status[64] = "";
	struct text t;
	FILE *f;

	snprintf(path, sizeof(path), "%s/status", r->dir);
	f = fopen(path, "r");
	if (f) {
		if (!fgets(status, sizeof(status), f))
			status[0] = '\0';
		status[strcspn(status, "\n")] = '\0';
		fclose(f);
	} else {
		snprintf(status, sizeof(status), "(no status file: %s)",
			 strerror(errno));
	}
	if (!strcmp(status, "done") && done_seen) {
		r->passed++;
		return;
	}
	fail(r, "guest finished # status: %s%s", status,
	     done_seen ? "" : ", no '# vmtest: done' in ktap.log");
	snprintf(path, sizeof(path), "%s/console.log", r->dir);
	if (!read_text(path, &t)) {
		printf("#     (read %s: %s)\n", path, strerror(errno));
		return;
	}
	printf("#     last %d lines of console.log:\n", CONSOLE_TAIL);
	print_tail(&t, CONSOLE_TAIL);
	free_text(&t);
}

/* The part of a log line after "<level>" and "[timestamp]", for dedup. */
static const char *log_key(const char *l)
{
	const char *p = l;

	if (*p == '<') {
		const char *q = strchr(p, '>');

		if (q)
			p = q + 1;
	}
	if (*p == '[') {
		const char *q = strchr(p, ']');

		if (q) {
			p = q + 1;
			while (*p == ' ')
				p++;
		}
	}
	return p;
}

struct seen {
	char **key;
	size_t n, cap;
};

static bool seen_add(struct seen *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->key[i], key))
			return false;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 32;
		s->key = xrealloc(s->key, s->cap * sizeof(*s->key));
	}
	s->key[s->n++] = strdup(key);
	if (!s->key[s->n - 1]) {
		fprintf(stderr, "verdict: out of memory\n");
		exit(1);
	}
	return true;
}

/*
 * The first line of a kernel log where code of ours is in the kernel: a
 * message of tscpage or tscpage_hvsim (the first load of either says
 * "loading out-of-tree module taints kernel" under its name), or the
 * guest's init loading one. A report above it comes from a kernel that
 * had run nothing of ours: the debug kernel's KASAN once reported a
 * wild-memory-access in an interrupt 7 ms into boot (handle_edge_irq,
 * during identify_cpu), seconds before any module loaded. Such a report
 * is shown as a notice, not judged: Debian's kernel or QEMU's, not ours.
 * Returns t->n when there is no such line (nothing of ours ran: every
 * report is shown, none judged).
 */
static regex_t ours_re;
#define OURS_PATTERN	"(^|[] ])tscpage(_hvsim)?: |load tscpage"

static size_t first_ours(const struct text *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!regexec(&ours_re, t->line[i], 0, NULL, 0))
			break;
	return i;
}

static bool is_bad_line(const char *l)
{
	for (size_t i = 0; i < N_BAD_PATTERNS; i++)
		if (!regexec(&bad_re[i], l, 0, NULL, 0))
			return true;
	return false;
}

/*
 * Prints line @i of @t and up to DMESG_CONTEXT lines after it, none at or
 * past @end; returns the first line not printed.
 */
static size_t print_context(const struct text *t, size_t i, size_t end)
{
	size_t k;

	for (k = i; k < end && k <= i + DMESG_CONTEXT; k++)
		evidence(t->line[k]);
	return k;
}

/*
 * Prints the offending lines of one log under the failed result @what;
 * returns how many were new. Those before first_ours() are printed as
 * notices of the row and not counted.
 */
static unsigned int scan_log(struct row *r, const char *file,
			     const char *what, struct seen *seen,
			     struct seen *notices, bool *header)
{
	char path[4096];
	unsigned int found = 0;
	size_t i, shown_to = 0;
	struct text t;
	size_t ours;

	snprintf(path, sizeof(path), "%s/%s", r->dir, file);
	if (!read_text(path, &t)) {
		if (errno != ENOENT) {
			fail(r, "read %s: %s", path, strerror(errno));
			found++;
		}
		return found;
	}
	ours = first_ours(&t);
	for (i = 0; i < t.n; i++) {
		if (!is_bad_line(t.line[i]) || i < shown_to)
			continue;
		/*
		 * Notices are kept apart: the same report again after ours
		 * began is judged.
		 */
		if (i < ours) {
			if (!seen_add(notices, log_key(t.line[i])))
				continue;
			printf("# %s: notice: %s:%zu, before any tscpage module was loaded (the kernel's own, not judged):\n",
			       r->id, file, i + 1);
			/* Its context stops where ours begins. */
			shown_to = print_context(&t, i, ours);
			continue;
		}
		if (!seen_add(seen, log_key(t.line[i])))
			continue;
		if (!*header) {
			fail(r, "%s", what);
			/* The first report names what the kernel said. */
			headline_cause(log_key(t.line[i]));
			*header = true;
		}
		printf("#     %s:%zu:\n", file, i + 1);
		shown_to = print_context(&t, i, t.n);
		found++;
	}
	free_text(&t);
	return found;
}

/* Prints the kernel's clock reactions found in @file, once each. */
static void print_notices(struct row *r, const char *file)
{
	struct seen seen = { 0 };
	char path[4096];
	struct text t;
	size_t i, p;

	snprintf(path, sizeof(path), "%s/%s", r->dir, file);
	if (!read_text(path, &t))
		return;
	for (i = 0; i < t.n; i++)
		for (p = 0; p < N_NOTICE_PATTERNS; p++)
			if (!regexec(&notice_re[p], t.line[i], 0, NULL, 0) &&
			    seen_add(&seen, log_key(t.line[i])))
				printf("# %s: %s: %s\n", r->id,
				       strcmp(file, "dmesg.log") ? "L2 kernel" :
				       "kernel", log_key(t.line[i]));
	free_text(&t);
	for (i = 0; i < seen.n; i++)
		free(seen.key[i]);
	free(seen.key);
}

/*
 * verdict --kernel-clean ROWDIR: whether the row's kernel logs (dmesg.log,
 * console.log) hold none of bad_patterns, for vmtest to tell a guest that
 * vanished from one whose kernel said why. A log that is not there is
 * clean; one that cannot be read is not.
 */
static bool kernel_clean(const char *dir)
{
	static const char *const logs[] = { "dmesg.log", "console.log" };
	char path[4096];
	struct text t;
	bool clean = true;

	for (size_t f = 0; f < 2 && clean; f++) {
		snprintf(path, sizeof(path), "%s/%s", dir, logs[f]);
		if (!read_text(path, &t)) {
			clean = errno == ENOENT;
			continue;
		}
		for (size_t i = 0; i < t.n && clean; i++)
			clean = !is_bad_line(t.line[i]);
		free_text(&t);
	}
	return clean;
}

static bool exists(const char *dir, const char *file);

static void check_dmesg(struct row *r)
{
	struct seen seen = { 0 }, notices = { 0 };
	bool header = false;
	unsigned int found;

	/* dmesg.log first: it has the log levels and no console noise. */
	found = scan_log(r, "dmesg.log", "dmesg clean", &seen, &notices,
			 &header);
	found += scan_log(r, "console.log", "dmesg clean", &seen, &notices,
			  &header);
	if (!found)
		r->passed++;
	/*
	 * A nested row's L2 guests (tools/vmtest/nested): their kernel logs,
	 * judged the same way, as a result of their own.
	 */
	if (exists(r->dir, "dmesg-l2.log")) {
		header = false;
		if (!scan_log(r, "dmesg-l2.log", "L2 dmesg clean", &seen,
			      &notices, &header))
			r->passed++;
	}
	for (size_t i = 0; i < seen.n; i++)
		free(seen.key[i]);
	free(seen.key);
	for (size_t i = 0; i < notices.n; i++)
		free(notices.key[i]);
	free(notices.key);
}

/* ------------------------------------------------------------- rows */

static void read_small(const char *dir, const char *file, char *out,
		       size_t len, const char *dflt)
{
	char path[4096];
	FILE *f;

	snprintf(out, len, "%s", dflt);
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	if (!f)
		return;
	if (!fgets(out, (int)len, f))
		snprintf(out, len, "%s", dflt);
	out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

static bool exists(const char *dir, const char *file)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return !stat(path, &st);
}

static void judge_row(struct row *r)
{
	char path[4096];
	struct stat st;
	bool done_seen;
	const char *slash;
	size_t len = strlen(r->dir);

	/* The id is the last path component, ignoring trailing slashes. */
	while (len > 1 && r->dir[len - 1] == '/')
		len--;
	{
		char *d = strndup(r->dir, len);

		if (!d) {
			fprintf(stderr, "verdict: out of memory\n");
			exit(1);
		}
		slash = strrchr(d, '/');
		r->id = slash ? slash + 1 : d;
	}
	snprintf(r->wall, sizeof(r->wall), "-");
	if (stat(r->dir, &st)) {
		snprintf(r->name, sizeof(r->name), "%s", r->dir);
		fail(r, "row %s: %s", r->dir, strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(r->name, sizeof(r->name), "%s", r->dir);
		fail(r, "row %s: not a directory", r->dir);
		return;
	}
	read_small(r->dir, "name", r->name, sizeof(r->name), r->id);
	read_small(r->dir, "wall", r->wall, sizeof(r->wall), "-");

	snprintf(path, sizeof(path), "%s/ktap.log", r->dir);
	judge_ktap(r, path, &done_seen);
	if (exists(r->dir, "console.log") || exists(r->dir, "dmesg.log")) {
		check_finished(r, done_seen);
		check_dmesg(r);
		print_notices(r, "dmesg.log");
		print_notices(r, "dmesg-l2.log");
	}
}

int main(int argc, char **argv)
{
	unsigned int passed = 0, failed = 0;
	struct row *rows;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: verdict ROWDIR... | verdict --kernel-clean ROWDIR\n");
		return 2;
	}
	for (size_t p = 0; p < N_BAD_PATTERNS; p++) {
		int err = regcomp(&bad_re[p], bad_patterns[p],
				  REG_EXTENDED | REG_NOSUB);

		if (err) {
			fprintf(stderr, "verdict: bad pattern '%s'\n",
				bad_patterns[p]);
			return 2;
		}
	}
	if (regcomp(&ours_re, OURS_PATTERN, REG_EXTENDED | REG_NOSUB)) {
		fprintf(stderr, "verdict: bad pattern '%s'\n", OURS_PATTERN);
		return 2;
	}
	for (size_t p = 0; p < N_NOTICE_PATTERNS; p++) {
		if (regcomp(&notice_re[p], notice_patterns[p],
			    REG_EXTENDED | REG_NOSUB)) {
			fprintf(stderr, "verdict: bad pattern '%s'\n",
				notice_patterns[p]);
			return 2;
		}
	}
	if (!strcmp(argv[1], "--kernel-clean")) {
		if (argc != 3) {
			fprintf(stderr, "usage: verdict --kernel-clean ROWDIR\n");
			return 2;
		}
		return kernel_clean(argv[2]) ? 0 : 1;
	}
	rows = xmalloc(sizeof(*rows) * (size_t)argc);
	memset(rows, 0, sizeof(*rows) * (size_t)argc);
	for (i = 1; i < argc; i++) {
		rows[i].dir = argv[i];
		judge_row(&rows[i]);
	}

	printf("\n%-46s %7s %7s %8s %8s  %s\n", "row", "passed", "failed",
	       "skipped", "wall", "verdict");
	for (i = 1; i < argc; i++) {
		struct row *r = &rows[i];
		char wall[40];

		if (strcmp(r->wall, "-"))
			snprintf(wall, sizeof(wall), "%ss", r->wall);
		else
			snprintf(wall, sizeof(wall), "-");
		printf("%-46s %7u %7u %8u %8s  %s\n", r->name, r->passed,
		       r->failed, r->skipped, wall,
		       r->failed ? "FAIL" : "PASS");
		passed += r->passed;
		failed += r->failed;
	}
	/*
	 * Below the table, just above the last line: a CI summary that keeps
	 * only a log's tail shows what failed, not only how many.
	 */
	if (n_headlines) {
		printf("# failures (each with its evidence above):\n");
		for (size_t h = 0; h < n_headlines; h++) {
			printf("#   %s\n", headlines[h].text);
			if (headlines[h].cause[0])
				printf("#     inside: %s\n", headlines[h].cause);
		}
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
