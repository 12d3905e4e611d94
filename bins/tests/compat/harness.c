/* Test harness of the init project (ISC): reads one service file with the
 * original Pygos init's own line reader (libcfg, built from the reference
 * copy in a scratch folder) and prints what a service_t would hold. */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "libcfg.h"

struct svc {
	int type, target, limit, truncate, has_desc, has_tty;
	char *desc, *tty, *after, *before;
	int n_after, n_before;
	char *exec[256];
	int exec_argc[256];
	int n_exec;
};

static void put(const char *s, size_t n)
{
	for (size_t i = 0; i < n; ++i) {
		unsigned char c = s[i];
		if (c < 0x20 || c >= 0x7f || c == '\\' || c == '[' || c == ']')
			printf("\\x%02x", c);
		else
			putchar(c);
	}
}

static void put_list(const char *blob, int count)
{
	for (int i = 0; i < count; ++i) {
		printf(" [");
		put(blob, strlen(blob));
		printf("]");
		blob += strlen(blob) + 1;
	}
}

static int h_desc(void *o, char *arg, rdline_t *rd)
{
	struct svc *s = o;
	(void)rd;
	if (unescape(arg)) return -1;
	s->desc = strdup(arg);
	return 0;
}

static int h_tty(void *o, char *arg, rdline_t *rd)
{
	struct svc *s = o;
	(void)rd;
	if (strncmp(arg, "truncate", 8) == 0 && isspace((unsigned char)arg[8])) {
		s->truncate = 1;
		arg += 8;
		while (isspace((unsigned char)*arg)) ++arg;
	}
	if (unescape(arg)) return -1;
	s->tty = strdup(arg);
	return 0;
}

static int h_exec(void *o, char *arg, rdline_t *rd)
{
	struct svc *s = o;
	(void)rd;
	char *copy = strdup(arg);
	int n = pack_argv(copy);
	if (n < 0 || s->n_exec >= 256) return -1;
	s->exec[s->n_exec] = copy;
	s->exec_argc[s->n_exec++] = n;
	return 0;
}

static int deps(char **field, int *count, char *arg)
{
	if (*field != NULL) return -1;
	*field = strdup(arg);
	*count = pack_argv(*field);
	return *count < 0 ? -1 : 0;
}

static int h_after(void *o, char *arg, rdline_t *rd) { struct svc *s = o; (void)rd; return deps(&s->after, &s->n_after, arg); }
static int h_before(void *o, char *arg, rdline_t *rd) { struct svc *s = o; (void)rd; return deps(&s->before, &s->n_before, arg); }

static int h_type(void *o, char *arg, rdline_t *rd)
{
	struct svc *s = o;
	(void)rd;
	int count = pack_argv(arg);
	if (count < 1) return -1;
	if (!strcmp(arg, "once")) s->type = 0;
	else if (!strcmp(arg, "wait")) s->type = 1;
	else if (!strcmp(arg, "respawn")) s->type = 2;
	else return -1;
	if (count > 1) {
		arg += strlen(arg) + 1;
		if (s->type != 2 || strcmp(arg, "limit") != 0) return -1;
		arg += strlen(arg) + 1;
		if (count > 3 || !isdigit((unsigned char)*arg)) return -1;
		s->limit = atoi(arg);
	}
	return 0;
}

static int h_target(void *o, char *arg, rdline_t *rd)
{
	struct svc *s = o;
	(void)rd;
	if (unescape(arg)) return -1;
	if (!strcmp(arg, "boot")) s->target = 0;
	else if (!strcmp(arg, "shutdown")) s->target = 1;
	else if (!strcmp(arg, "reboot")) s->target = 2;
	else return -1;
	return 0;
}

static const cfg_param_t params[] = {
	{ "description", 0, h_desc }, { "exec", 1, h_exec },
	{ "type", 0, h_type }, { "target", 0, h_target },
	{ "tty", 0, h_tty }, { "before", 0, h_before }, { "after", 0, h_after },
};

int main(int argc, char **argv)
{
	/* argv[1]: the directory; argv[2]: the file name, NAME or NAME@ARG */
	static const char *types[] = { "once", "wait", "respawn" };
	static const char *targets[] = { "boot", "shutdown", "reboot" };
	const char *at, *args[1];
	struct svc s;
	rdline_t rd;
	int dir;

	if (argc != 3) return 2;
	dir = open(argv[1], O_RDONLY | O_DIRECTORY);
	at = strchr(argv[2], '@');
	if (at) args[0] = at + 1;
	memset(&s, 0, sizeof(s));
	if (rdline_init(&rd, dir, argv[2], at ? 1 : 0, args)) return 3;
	if (rdcfg(&s, &rd, params, sizeof(params) / sizeof(params[0]))) {
		printf("error %zu\n", rd.lineno);
		return 0;
	}
	printf("type %s\nlimit %d\ntarget %s\n", types[s.type], s.limit, targets[s.target]);
	printf("description ");
	if (s.desc) put(s.desc, strlen(s.desc));
	printf("\ntty ");
	if (s.tty) put(s.tty, strlen(s.tty));
	printf("\ntruncate %d\nafter", s.truncate);
	if (s.after) put_list(s.after, s.n_after);
	printf("\nbefore");
	if (s.before) put_list(s.before, s.n_before);
	printf("\n");
	for (int i = 0; i < s.n_exec; ++i) {
		printf("exec");
		put_list(s.exec[i], s.exec_argc[i]);
		printf("\n");
	}
	return 0;
}
