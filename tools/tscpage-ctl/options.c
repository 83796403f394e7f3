// SPDX-License-Identifier: GPL-2.0
/*
 * tscpage-ctl: the command line.
 *
 * Two passes. The first walks argv: the first word that is not an option
 * is the command, options are looked up (global ones anywhere, a
 * command's own after it) and their values kept as strings. The second
 * turns every value into a number and checks it against its range (the
 * uapi header's limits, which the kernel enforces too), knowing the whole
 * command line: the range of fault --arg and --for-ms depends on the fault
 * named. Nothing is opened before both passes are done, so a bad value
 * never reaches the device.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "faults.h"
#include "options.h"

#define CTL_VERSION	"1.0"

enum flag_id {
	F_HELP,
	F_VERSION,
	F_JSON,
	F_DEVICE,
	F_TSCPAGE,
	F_BLACKOUT_MS,
	F_TSC_KHZ,
	F_TSC_OFFSET,
	F_CPU,
	F_NO_WAIT,
	F_WAIT_MS,
	F_FOR_MS,
	F_ARG,
	F_CYCLES,
	F_COUNT,
	F_TIMEOUT_MS,
	F_HZ,		/* rate's operand, checked like a flag's value */
	F_NR,
};

#define BIT(id)		(1U << (id))
#define GLOBAL_FLAGS	(BIT(F_HELP) | BIT(F_VERSION) | BIT(F_JSON) | \
			 BIT(F_DEVICE) | BIT(F_TSCPAGE))

static const struct flag {
	const char *name;
	bool value;		/* takes one */
} flags[F_NR] = {
	[F_HELP]	= { "--help", false },
	[F_VERSION]	= { "--version", false },
	[F_JSON]	= { "--json", false },
	[F_DEVICE]	= { "--device", true },
	[F_TSCPAGE]	= { "--tscpage", true },
	[F_BLACKOUT_MS]	= { "--blackout-ms", true },
	[F_TSC_KHZ]	= { "--tsc-khz", true },
	[F_TSC_OFFSET]	= { "--tsc-offset", true },
	[F_CPU]		= { "--cpu", true },
	[F_NO_WAIT]	= { "--no-wait", false },
	[F_WAIT_MS]	= { "--wait-ms", true },
	[F_FOR_MS]	= { "--for-ms", true },
	[F_ARG]		= { "--arg", true },
	[F_CYCLES]	= { "--cycles", true },
	[F_COUNT]	= { "--count", true },
	[F_TIMEOUT_MS]	= { "--timeout-ms", true },
	[F_HZ]		= { "HZ", true },
};

static const char global_usage[] =
"usage: tscpage-ctl [--json] [--device PATH] [--tscpage PATH] COMMAND [ARGS]\n"
"\n"
"Drive tscpage_hvsim, the hypervisor test double, through its control\n"
"device, and read tscpage's migration events. Needs root.\n"
"\n"
"Commands:\n"
"  status                  the simulator's state\n"
"  migrate [OPTIONS]       a simulated live migration; waits for tscpage's\n"
"                          acknowledgment and prints its latency\n"
"  fault NAME [OPTIONS]    inject a fault into the page\n"
"  fault list              the faults, one line each\n"
"  rate HZ                 page rewrites per second\n"
"  desync --cpu N --cycles C\n"
"                          move one CPU's TSC (destructive)\n"
"  events [OPTIONS]        print tscpage's migration events as they come\n"
"  help [COMMAND]          this text, or a command's\n"
"\n"
"Global options, before or after the command:\n"
"  --json          machine-readable: one JSON object per command (events:\n"
"                  one per line), field names those of the uapi structs\n"
"  --device PATH   tscpage_hvsim's control device (default " CTL_HVSIM_PATH ")\n"
"  --tscpage PATH  tscpage's device, for events (default " CTL_TSCPAGE_PATH ")\n"
"  -h, --help      help; after a command, that command's\n"
"  --version       the version\n"
"\n"
"Numbers are whole decimal numbers, '-' allowed where the range has\n"
"negatives; each is checked against its range before anything is opened.\n"
"\n"
"Exit status: 0 done; 1 the device is missing or refused (the message says\n"
"why), or a wait ran out; 2 bad usage.\n";

static void usage_status(void)
{
	fputs("usage: tscpage-ctl status [--json]\n"
	      "\n"
	      "Print the simulator's state (TSCPAGE_HVSIM_IOC_STATUS): page format,\n"
	      "rewrite rate, declared TSC frequency, flags, the active fault,\n"
	      "migration, notification and acknowledgment counters, the last and\n"
	      "longest acknowledgment latency, the TSC offset so far and the\n"
	      "page's clock.\n", stdout);
}

static void usage_migrate(void)
{
	printf("usage: tscpage-ctl migrate [--blackout-ms N] [--tsc-khz K]\n"
	       "                           [--tsc-offset C] [--cpu N]\n"
	       "                           [--no-wait | --wait-ms N] [--json]\n"
	       "\n"
	       "Simulate a live migration (TSCPAGE_HVSIM_IOC_MIGRATE): hold every CPU,\n"
	       "publish the destination's page, notify tscpage. Then, unless\n"
	       "--no-wait, poll the status every 1 ms until the acknowledgment is\n"
	       "counted (acks or acks_dropped grows) and print its latency.\n"
	       "\n"
	       "  --blackout-ms N  0..%d: how long every CPU is held (default 0)\n"
	       "  --tsc-khz K      %d..%d: TSC frequency the destination\n"
	       "                   declares; 0 keeps it (default)\n"
	       "  --tsc-offset C   %lld..%lld: cycles the destination's TSC\n"
	       "                   is ahead (default 0; non-zero needs allow_tsc_writes=1)\n"
	       "  --cpu N          CPU the notification is delivered on; -1: the first\n"
	       "                   online one (default)\n"
	       "  --no-wait        return once the notification is sent\n"
	       "  --wait-ms N      1..600000: how long to wait for the acknowledgment\n"
	       "                   (default 2000); running out is exit status 1\n",
	       TSCPAGE_HVSIM_BLACKOUT_MS_MAX, TSCPAGE_HVSIM_TSC_KHZ_MIN,
	       TSCPAGE_HVSIM_TSC_KHZ_MAX, -TSCPAGE_HVSIM_TSC_OFFSET_MAX,
	       TSCPAGE_HVSIM_TSC_OFFSET_MAX);
}

static void usage_fault(void)
{
	printf("usage: tscpage-ctl fault NAME [--for-ms N] [--arg V] [--json]\n"
	       "       tscpage-ctl fault list [--json]\n"
	       "\n"
	       "Start a fault of the page (TSCPAGE_HVSIM_IOC_FAULT); 'fault none' ends\n"
	       "the active one now. 'fault list' prints the names, the formats each\n"
	       "applies to, and one line on each.\n"
	       "\n"
	       "  --for-ms N  1..%d: how long the fault lasts (default 1000);\n"
	       "              none: 0 only (the default)\n"
	       "  --arg V     backward, forward: the step in ns, 0..%lld\n"
	       "              (0: 1 ms back, 50 ms ahead); wrong_rate: ppm,\n"
	       "              %lld..%lld (0: +1000); no other fault takes one\n"
	       "\n"
	       "One fault at a time: a second one while another is active is refused.\n",
	       TSCPAGE_HVSIM_FOR_MS_MAX, CTL_FAULT_STEP_NS_MAX,
	       -CTL_FAULT_PPM_MAX, CTL_FAULT_PPM_MAX);
}

static void usage_rate(void)
{
	fputs("usage: tscpage-ctl rate HZ [--json]\n"
	      "\n"
	      "Set how many times a second the simulator rewrites its page\n"
	      "(TSCPAGE_HVSIM_IOC_RATE), 1..100000.\n", stdout);
}

static void usage_desync(void)
{
	printf("usage: tscpage-ctl desync --cpu N --cycles C [--json]\n"
	       "\n"
	       "DESTRUCTIVE: add C cycles to one CPU's TSC (TSCPAGE_HVSIM_IOC_DESYNC),\n"
	       "through IA32_TSC_ADJUST where the CPU has it, else IA32_TSC. The\n"
	       "kernel's own tsc clocksource and sched_clock see it too: expect the\n"
	       "TSC to be marked unstable. For a test guest only. Needs\n"
	       "tscpage_hvsim loaded with allow_tsc_writes=1.\n"
	       "\n"
	       "  --cpu N     the CPU whose TSC moves (required)\n"
	       "  --cycles C  %lld..%lld, not 0 (required)\n",
	       -TSCPAGE_HVSIM_TSC_OFFSET_MAX, TSCPAGE_HVSIM_TSC_OFFSET_MAX);
}

static void usage_events(void)
{
	fputs("usage: tscpage-ctl events [--count N] [--timeout-ms N] [--json]\n"
	      "\n"
	      "Print tscpage's migration events (struct tscpage_event, read from\n"
	      "/dev/tscpage, or --tscpage PATH) as they come, one line each: those\n"
	      "after the start only. A gap in seq (the reader fell behind the\n"
	      "kernel's ring) is reported on stderr.\n"
	      "\n"
	      "  --count N       1..1000000000: exit after N events (default: no limit)\n"
	      "  --timeout-ms N  1..86400000: exit after N ms (default: no limit);\n"
	      "                  with --count, fewer than N events by then is exit\n"
	      "                  status 1\n", stdout);
}

static const struct command {
	const char *name;
	enum ctl_command id;
	unsigned int flags;	/* its own, besides the global ones */
	unsigned int operands;	/* at most */
	void (*usage)(void);
} commands[] = {
	{ "status", CTL_CMD_STATUS, 0, 0, usage_status },
	{ "migrate", CTL_CMD_MIGRATE, BIT(F_BLACKOUT_MS) | BIT(F_TSC_KHZ) |
	  BIT(F_TSC_OFFSET) | BIT(F_CPU) | BIT(F_NO_WAIT) | BIT(F_WAIT_MS), 0,
	  usage_migrate },
	{ "fault", CTL_CMD_FAULT, BIT(F_FOR_MS) | BIT(F_ARG), 1, usage_fault },
	{ "rate", CTL_CMD_RATE, 0, 1, usage_rate },
	{ "desync", CTL_CMD_DESYNC, BIT(F_CPU) | BIT(F_CYCLES), 0,
	  usage_desync },
	{ "events", CTL_CMD_EVENTS, BIT(F_COUNT) | BIT(F_TIMEOUT_MS), 0,
	  usage_events },
};

#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

/* A value that was not given. */
static const char missing[] = "";

struct parse {
	const struct command *cmd;
	const char *value[F_NR];	/* NULL: not given; missing: no value */
	bool given[F_NR];
	const char *operand;		/* fault NAME, rate HZ */
	const struct ctl_fault *fault;	/* once NAME is known */
};

/* The accepted values of one number. */
struct range {
	long long min, max;
	bool zero_too;		/* 0 also, below min */
	bool not_zero;		/* 0 excluded from min..max */
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* "tscpage-ctl: " and the command's name, the start of every message. */
static void prefix(const struct parse *p)
{
	fprintf(stderr, "tscpage-ctl: %s%s", p->cmd ? p->cmd->name : "",
		p->cmd ? ": " : "");
}

/* The last CPU a --cpu may name: the configured ones (sysfs). */
static long long cpu_max(void)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);

	return n > 0 ? n - 1 : 8191;
}

static void range_of(const struct parse *p, enum flag_id id, struct range *r)
{
	bool none = p->fault && p->fault->id == TSCPAGE_HVSIM_FAULT_NONE;

	*r = (struct range) { 0, 0, false, false };
	switch (id) {
	case F_BLACKOUT_MS:
		r->max = TSCPAGE_HVSIM_BLACKOUT_MS_MAX;
		break;
	case F_TSC_KHZ:
		r->min = TSCPAGE_HVSIM_TSC_KHZ_MIN;
		r->max = TSCPAGE_HVSIM_TSC_KHZ_MAX;
		r->zero_too = true;
		break;
	case F_TSC_OFFSET:
		r->min = -TSCPAGE_HVSIM_TSC_OFFSET_MAX;
		r->max = TSCPAGE_HVSIM_TSC_OFFSET_MAX;
		break;
	case F_CYCLES:
		r->min = -TSCPAGE_HVSIM_TSC_OFFSET_MAX;
		r->max = TSCPAGE_HVSIM_TSC_OFFSET_MAX;
		r->not_zero = true;
		break;
	case F_CPU:
		r->min = p->cmd && p->cmd->id == CTL_CMD_MIGRATE ? -1 : 0;
		r->max = cpu_max();
		break;
	case F_WAIT_MS:
		r->min = 1;
		r->max = 600000;
		break;
	case F_FOR_MS:
		r->min = none ? 0 : 1;
		r->max = none ? 0 : TSCPAGE_HVSIM_FOR_MS_MAX;
		break;
	case F_ARG:
		if (p->fault)
			ctl_fault_arg_range(p->fault, &r->min, &r->max);
		break;
	case F_COUNT:
		r->min = 1;
		r->max = 1000000000;
		break;
	case F_TIMEOUT_MS:
		r->min = 1;
		r->max = 86400000;
		break;
	case F_HZ:
		r->min = 1;
		r->max = 100000;
		break;
	default:
		break;
	}
}

static void range_text(const struct range *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s%lld..%lld%s", r->zero_too ? "0 or " : "",
		 r->min, r->max, r->not_zero ? ", not 0" : "");
}

/* Strictly "[-]digits" that fit a long long. */
static bool parse_ll(const char *s, long long *out)
{
	const char *digits = s + (*s == '-');
	char *end;

	if (*digits < '0' || *digits > '9')
		return false;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return !errno && !*end;
}

static void bad_value(const struct parse *p, enum flag_id id, const char *s)
{
	struct range r;
	char text[96];

	range_of(p, id, &r);
	range_text(&r, text, sizeof(text));
	prefix(p);
	if (s == missing)
		fprintf(stderr, "%s needs a value: a whole number in %s\n",
			flags[id].name, text);
	else
		fprintf(stderr, "%s: '%s' is not a whole number in %s\n",
			flags[id].name, s, text);
}

static int required(const struct parse *p, enum flag_id id)
{
	struct range r;
	char text[96];

	range_of(p, id, &r);
	range_text(&r, text, sizeof(text));
	prefix(p);
	fprintf(stderr, "%s is required: a whole number in %s\n",
		flags[id].name, text);
	return -1;
}

/*
 * The value of @id as a number in its range into @out; @out stays as it
 * is when @id was not given. 0 or -1 (message printed).
 */
static int number(const struct parse *p, enum flag_id id, long long *out)
{
	const char *s = p->value[id];
	struct range r;
	long long v;

	if (!s)
		return 0;
	range_of(p, id, &r);
	if (s == missing || !parse_ll(s, &v))
		goto bad;
	if (r.zero_too && v == 0)
		goto ok;
	if (v < r.min || v > r.max || (r.not_zero && v == 0))
		goto bad;
ok:
	*out = v;
	return 0;
bad:
	bad_value(p, id, s);
	return -1;
}

static int usage_error(const struct parse *p, const char *fmt, const char *what)
{
	prefix(p);
	fprintf(stderr, fmt, what);
	fprintf(stderr, " (try 'tscpage-ctl%s%s --help')\n", p->cmd ? " " : "",
		p->cmd ? p->cmd->name : "");
	return -1;
}

static bool is_option(const char *arg)
{
	/* "-5" is a value or an operand; "-" alone an operand. */
	return arg[0] == '-' && arg[1] && (arg[1] < '0' || arg[1] > '9');
}

static int find_flag(const char *arg, size_t len)
{
	if (len == 2 && !strncmp(arg, "-h", 2))
		return F_HELP;
	for (int i = 0; i < F_HZ; i++)
		if (strlen(flags[i].name) == len && !strncmp(flags[i].name, arg, len))
			return i;
	return -1;
}

/*
 * Help anywhere (before a "--") wins over everything else on the line:
 * print the help of the command it follows, if any. "help [COMMAND]" is
 * the same. 1 printed, 0 not asked for, -1 "help" of no such command.
 */
static int help_asked(int argc, char **argv)
{
	const struct command *cmd = NULL;
	const char *word = NULL;
	bool help = false, help_word = false;
	int i, id;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!is_option(argv[i])) {
			if (!word && !strcmp(argv[i], "help") && !help_word) {
				help_word = help = true;
			} else if (!word) {
				word = argv[i];
				cmd = find_command(word);
			}
			continue;
		}
		id = find_flag(argv[i], strcspn(argv[i], "="));
		if (id == F_HELP)
			help = true;
		else if (id >= 0 && flags[id].value && !strchr(argv[i], '='))
			i++;	/* its value */
	}
	if (!help)
		return 0;
	if (help_word && word && !cmd) {
		fprintf(stderr, "tscpage-ctl: help: no command '%s' (try 'tscpage-ctl --help')\n",
			word);
		return -1;
	}
	if (cmd)
		cmd->usage();
	else
		fputs(global_usage, stdout);
	return 1;
}

/* The first pass: the command, the options, their values as strings. */
static int walk(int argc, char **argv, struct parse *p)
{
	bool options_end = false;
	const char *arg, *eq;
	unsigned int allowed;
	int i, id;

	for (i = 1; i < argc; i++) {
		arg = argv[i];
		if (!options_end && !strcmp(arg, "--")) {
			options_end = true;
			continue;
		}
		if (options_end || !is_option(arg)) {
			if (!p->cmd) {
				p->cmd = find_command(arg);
				if (!p->cmd)
					return usage_error(p, "unknown command '%s'", arg);
			} else if (!p->operand && p->cmd->operands) {
				p->operand = arg;
			} else {
				return usage_error(p, "unexpected argument '%s'", arg);
			}
			continue;
		}
		eq = strchr(arg, '=');
		id = find_flag(arg, eq ? (size_t)(eq - arg) : strlen(arg));
		allowed = GLOBAL_FLAGS | (p->cmd ? p->cmd->flags : 0);
		if (id < 0 || !(allowed & BIT(id))) {
			if (id >= 0 && !p->cmd)
				return usage_error(p, "option '%s' comes after its command", flags[id].name);
			if (id >= 0)
				return usage_error(p, "option '%s' does not apply to this command",
						   flags[id].name);
			return usage_error(p, "unknown option '%s'", arg);
		}
		p->given[id] = true;
		if (!flags[id].value) {
			if (eq)
				return usage_error(p, "option '%s' takes no value", flags[id].name);
			continue;
		}
		if (eq)
			p->value[id] = eq + 1;
		else if (i + 1 < argc && strncmp(argv[i + 1], "--", 2))
			p->value[id] = argv[++i];
		else
			p->value[id] = missing;
	}
	return 0;
}

static int path(const struct parse *p, enum flag_id id, const char **out)
{
	const char *s = p->value[id];

	if (!s)
		return 0;
	if (s == missing || !*s) {
		prefix(p);
		fprintf(stderr, "%s needs a value: a path\n", flags[id].name);
		return -1;
	}
	*out = s;
	return 0;
}

static int build_migrate(const struct parse *p, struct ctl_options *o)
{
	long long blackout = 0, khz = 0, offset = 0, cpu = -1, wait = 2000;

	if (number(p, F_BLACKOUT_MS, &blackout) || number(p, F_TSC_KHZ, &khz) ||
	    number(p, F_TSC_OFFSET, &offset) || number(p, F_CPU, &cpu) ||
	    number(p, F_WAIT_MS, &wait))
		return -1;
	if (p->given[F_NO_WAIT] && p->given[F_WAIT_MS])
		return usage_error(p, "%s and --wait-ms exclude each other",
				   "--no-wait");
	o->migrate.blackout_ms = blackout;
	o->migrate.tsc_khz = khz;
	o->migrate.tsc_offset = offset;
	o->migrate.cpu = cpu;
	o->wait = !p->given[F_NO_WAIT];
	o->wait_ms = wait;
	return 0;
}

static int build_fault(struct parse *p, struct ctl_options *o)
{
	long long for_ms, arg = 0, min, max;

	if (!p->operand)
		return usage_error(p, "needs a fault %s; 'tscpage-ctl fault list' names them",
				   "NAME");
	if (!strcmp(p->operand, "list")) {
		if (p->given[F_FOR_MS] || p->given[F_ARG])
			return usage_error(p, "option '%s' does not apply to 'fault list'",
					   flags[p->given[F_FOR_MS] ? F_FOR_MS : F_ARG].name);
		o->command = CTL_CMD_FAULT_LIST;
		return 0;
	}
	p->fault = ctl_fault_by_name(p->operand);
	if (!p->fault)
		return usage_error(p, "unknown fault '%s'; 'tscpage-ctl fault list' names them",
				   p->operand);
	for_ms = p->fault->id == TSCPAGE_HVSIM_FAULT_NONE ? 0 : 1000;
	if (!for_ms && p->value[F_FOR_MS] && strcmp(p->value[F_FOR_MS], "0")) {
		fprintf(stderr, "tscpage-ctl: fault: --for-ms: fault none takes 0 only (it ends the active fault now)\n");
		return -1;
	}
	if (p->value[F_ARG] && !ctl_fault_arg_range(p->fault, &min, &max)) {
		fprintf(stderr, "tscpage-ctl: fault: --arg: fault '%s' takes none (only backward, forward and wrong_rate do)\n",
			p->fault->name);
		return -1;
	}
	if (number(p, F_FOR_MS, &for_ms) || number(p, F_ARG, &arg))
		return -1;
	o->fault.fault = p->fault->id;
	o->fault.for_ms = for_ms;
	o->fault.arg = arg;
	return 0;
}

static int build_rate(struct parse *p, struct ctl_options *o)
{
	long long hz = 0;

	if (!p->operand)
		return usage_error(p, "needs %s: page rewrites per second, 1..100000",
				   "HZ");
	p->value[F_HZ] = p->operand;
	if (number(p, F_HZ, &hz))
		return -1;
	o->rate_hz = hz;
	return 0;
}

static int build_desync(const struct parse *p, struct ctl_options *o)
{
	long long cpu = 0, cycles = 0;

	if (!p->given[F_CPU] || !p->given[F_CYCLES])
		return required(p, p->given[F_CPU] ? F_CYCLES : F_CPU);
	if (number(p, F_CPU, &cpu) || number(p, F_CYCLES, &cycles))
		return -1;
	o->desync.cpu = cpu;
	o->desync.cycles = cycles;
	return 0;
}

static int build_events(const struct parse *p, struct ctl_options *o)
{
	long long count = 0, timeout = 0;

	if (number(p, F_COUNT, &count) || number(p, F_TIMEOUT_MS, &timeout))
		return -1;
	o->count = count;
	o->timeout_ms = timeout;
	return 0;
}

int ctl_parse_options(int argc, char **argv, struct ctl_options *o)
{
	struct parse p = { 0 };
	int ret;

	*o = (struct ctl_options) {
		.device = CTL_HVSIM_PATH,
		.tscpage = CTL_TSCPAGE_PATH,
	};
	ret = help_asked(argc, argv);
	if (ret)
		return ret;
	if (walk(argc, argv, &p))
		return -1;
	if (p.given[F_VERSION]) {
		puts("tscpage-ctl " CTL_VERSION);
		return 1;
	}
	if (path(&p, F_DEVICE, &o->device) || path(&p, F_TSCPAGE, &o->tscpage))
		return -1;
	if (!p.cmd) {
		fputs("tscpage-ctl: no command (try 'tscpage-ctl --help')\n", stderr);
		return -1;
	}
	o->command = p.cmd->id;
	o->name = p.cmd->name;
	o->json = p.given[F_JSON];

	switch (p.cmd->id) {
	case CTL_CMD_MIGRATE:
		return build_migrate(&p, o);
	case CTL_CMD_FAULT:
		return build_fault(&p, o);
	case CTL_CMD_RATE:
		return build_rate(&p, o);
	case CTL_CMD_DESYNC:
		return build_desync(&p, o);
	case CTL_CMD_EVENTS:
		return build_events(&p, o);
	default:
		return 0;
	}
}
