/*
 * pq_extended: run one SQL statement over PostgreSQL's extended query
 * protocol (Parse/Bind/Execute), for sqlward's integration tests.
 *
 *   pq_extended [--unnamed] [--repeat N] CONNINFO SQL [PARAM...]
 *   pq_extended --each CONNINFO SQL VALUE...
 *   pq_extended --steps CONNINFO STEP...
 *
 * Default: PQprepare (named statement "sw_stmt") then PQexecPrepared with the
 * PARAMs as text values ($1, $2, ...). --unnamed: PQexecParams (unnamed
 * statement: Parse/Bind/Execute in one round trip). --repeat N executes the
 * prepared statement N times (Bind/Execute only; no new Parse). A PARAM
 * spelled \N is sent as SQL NULL. --each prepares SQL (one parameter) once and
 * executes it once per VALUE, $1 = VALUE, printing "exec N: ok" or
 * "exec N: error: ..." per execution and going on after errors (until the
 * connection is gone); exit status 1 if any execution failed. --steps runs
 * each STEP in one session, in order, going on after errors: "Q:SQL" (simple
 * Query), "P:NAME:SQL" (protocol-level Parse of a named statement), "E:NAME:V"
 * (Bind/Execute of NAME with $1 = V, or no parameter when V is empty),
 * "F:NAME:LIMIT" (Bind of NAME, no parameters, to the unnamed portal, then
 * Execute with a row limit of LIMIT again and again until the portal is done,
 * then one Sync: a portal run in pieces, as JDBC's fetchSize does in a
 * transaction; written on the connection's socket, since libpq has no
 * Execute with a row limit; prints "piece K: R rows" per Execute and
 * "complete: TAG");
 * prints "step N: ok" or "step N: error" and exits 1 if any step failed.
 *
 * Rows go to stdout, tab-separated, one line each (NULL printed as \N).
 * On error the server's message goes to stderr and the exit status is 1;
 * bad usage exits 2.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libpq-fe.h>

static void usage(void)
{
	fprintf(stderr, "usage: pq_extended [--unnamed] [--repeat N] CONNINFO SQL [PARAM...]\n"
			"       pq_extended --each CONNINFO SQL VALUE...\n"
			"       pq_extended --steps CONNINFO Q:SQL|P:NAME:SQL|E:NAME:VALUE|F:NAME:LIMIT...\n");
}

static void print_rows(const PGresult *res)
{
	int nrows = PQntuples(res), ncols = PQnfields(res);
	for (int r = 0; r < nrows; r++) {
		for (int c = 0; c < ncols; c++) {
			if (c)
				putchar('\t');
			if (PQgetisnull(res, r, c))
				fputs("\\N", stdout);
			else
				fputs(PQgetvalue(res, r, c), stdout);
		}
		putchar('\n');
	}
	fflush(stdout);
}

/* 0 if res is a success; otherwise prints the error and returns 1. */
static int check(PGconn *conn, PGresult *res, const char *what)
{
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY)
		return 0;
	const char *msg = res ? PQresultErrorMessage(res) : "";
	if (!msg || !*msg)
		msg = PQerrorMessage(conn);
	fprintf(stderr, "%s: %s", what, msg && *msg ? msg : "unknown error\n");
	return 1;
}

/* ---- raw protocol messages, for what libpq cannot send (F: steps) ---- */

static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t n)
{
	char *p = buf;
	while (n) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* One frontend message: type byte, length, body. */
static int put_msg(int fd, char type, const void *body, uint32_t len)
{
	char head[5];
	uint32_t be = htonl(len + 4);
	head[0] = type;
	memcpy(head + 1, &be, 4);
	return write_all(fd, head, 5) || (len && write_all(fd, body, len)) ? -1 : 0;
}

/* One backend message into *body (malloc'd, NUL-terminated); returns its type, or -1. */
static int get_msg(int fd, char **body)
{
	char head[5];
	uint32_t len;
	if (read_all(fd, head, 5))
		return -1;
	memcpy(&len, head + 1, 4);
	len = ntohl(len);
	if (len < 4 || len > (64u << 20) || !(*body = malloc(len - 4 + 1)))
		return -1;
	if (read_all(fd, *body, len - 4)) {
		free(*body);
		return -1;
	}
	(*body)[len - 4] = 0;
	return (unsigned char)head[0];
}

/* Bind NAME (no parameters) to the unnamed portal and Execute it LIMIT rows at a time. */
static int fetch_in_pieces(PGconn *conn, const char *name, int limit)
{
	int fd = PQsocket(conn), flags = fcntl(fd, F_GETFL), rc = 0, piece = 0, rows = 0, done = 0, t;
	size_t nl = strlen(name);
	char bind[256], exec[5] = { 0 }, *body = NULL;
	uint32_t lim = htonl((uint32_t)limit);

	if (nl > 200 || limit < 1 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0)
		return 1;
	bind[0] = 0;                                     /* portal "" */
	memcpy(bind + 1, name, nl + 1);                  /* statement */
	memset(bind + 2 + nl, 0, 6);                     /* no formats, no parameters, no result formats */
	memcpy(exec + 1, &lim, 4);                       /* portal "", row limit */
	if (put_msg(fd, 'B', bind, (uint32_t)(nl + 8)) || put_msg(fd, 'E', exec, 5) || put_msg(fd, 'H', NULL, 0))
		rc = 1;
	while (!rc && (t = get_msg(fd, &body)) >= 0) {
		if (t == 'D') {
			rows++;
		} else if (t == 's') {                   /* PortalSuspended: the next piece */
			printf("piece %d: %d rows\n", ++piece, rows);
			rows = 0;
			if (put_msg(fd, 'E', exec, 5) || put_msg(fd, 'H', NULL, 0))
				rc = 1;
		} else if (t == 'C' || t == 'E') {
			if (t == 'C') {
				printf("piece %d: %d rows\ncomplete: %s\n", ++piece, rows, body);
			} else {
				fprintf(stderr, "fetch: error\n");
				rc = 1;
			}
			done = 1;
			if (put_msg(fd, 'S', NULL, 0))
				rc = 1;
		} else if (t == 'Z') {
			free(body);
			break;
		}
		free(body);
		body = NULL;
	}
	fflush(stdout);
	fcntl(fd, F_SETFL, flags);
	return rc || !done;
}

int main(int argc, char **argv)
{
	int unnamed = 0, each = 0, steps = 0;
	long repeat = 1;
	int i = 1;

	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--unnamed") == 0) {
			unnamed = 1;
		} else if (strcmp(argv[i], "--each") == 0) {
			each = 1;
		} else if (strcmp(argv[i], "--steps") == 0) {
			steps = 1;
		} else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
			char *end;
			errno = 0;
			repeat = strtol(argv[++i], &end, 10);
			if (errno || *end || repeat < 1 || repeat > 1000000) {
				usage();
				return 2;
			}
		} else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else {
			usage();
			return 2;
		}
	}
	if (argc - i < 2) {
		usage();
		return 2;
	}
	const char *conninfo = argv[i];
	const char *sql = argv[i + 1];
	int nparams = argc - i - 2;
	const char **params = NULL;
	if (nparams > 0) {
		params = calloc((size_t)nparams, sizeof(*params));
		if (!params) {
			perror("calloc");
			return 1;
		}
		for (int p = 0; p < nparams; p++) {
			const char *v = argv[i + 2 + p];
			params[p] = strcmp(v, "\\N") == 0 ? NULL : v;
		}
	}

	PGconn *conn = PQconnectdb(conninfo);
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "connect: %s", PQerrorMessage(conn));
		PQfinish(conn);
		free(params);
		return 1;
	}

	int rc = 0;
	if (steps) {
		/* argv[i + 1 ...]: the steps (the "SQL" argument is the first step). */
		for (int k = i + 1; k < argc && PQstatus(conn) == CONNECTION_OK; k++) {
			const char *st = argv[k];
			PGresult *res = NULL;
			char *copy = strdup(st), *name, *rest;
			if (!copy) {
				perror("strdup");
				return 1;
			}
			if (st[0] == 'Q' && st[1] == ':') {
				res = PQexec(conn, st + 2);
			} else if (st[0] == 'F' && st[1] == ':' && (rest = strchr(copy + 2, ':'))) {
				*rest++ = '\0';
				if (fetch_in_pieces(conn, copy + 2, atoi(rest)) == 0) {
					printf("step %d: ok\n", k - i);
				} else {
					printf("step %d: error\n", k - i);
					rc = 1;
				}
				fflush(stdout);
				free(copy);
				continue;
			} else if ((st[0] == 'P' || st[0] == 'E') && st[1] == ':' && (rest = strchr(copy + 2, ':'))) {
				name = copy + 2;
				*rest++ = '\0';
				if (st[0] == 'P') {
					res = PQprepare(conn, name, rest, 0, NULL);
				} else {
					const char *one[1] = { rest };
					res = PQexecPrepared(conn, name, *rest ? 1 : 0, *rest ? one : NULL, NULL, NULL, 0);
				}
			} else {
				fprintf(stderr, "pq_extended: bad step %s\n", st);
				free(copy);
				return 2;
			}
			if (check(conn, res, "step") == 0) {
				printf("step %d: ok\n", k - i);
				print_rows(res);
			} else {
				printf("step %d: error\n", k - i);
				rc = 1;
			}
			fflush(stdout);
			PQclear(res);
			free(copy);
		}
	} else if (each) {
		PGresult *res = PQprepare(conn, "sw_stmt", sql, 1, NULL);
		rc = check(conn, res, "prepare");
		PQclear(res);
		for (int n = 0; n < nparams && PQstatus(conn) == CONNECTION_OK && rc != 2; n++) {
			const char *one[1] = { params[n] };
			res = PQexecPrepared(conn, "sw_stmt", 1, one, NULL, NULL, 0);
			if (check(conn, res, "execute") == 0) {
				printf("exec %d: ok\n", n + 1);
				print_rows(res);
			} else {
				printf("exec %d: error\n", n + 1);
				rc = 1;
			}
			fflush(stdout);
			PQclear(res);
		}
	} else if (unnamed) {
		for (long n = 0; n < repeat && rc == 0; n++) {
			PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
			rc = check(conn, res, "execute");
			if (rc == 0)
				print_rows(res);
			PQclear(res);
		}
	} else {
		PGresult *res = PQprepare(conn, "sw_stmt", sql, 0, NULL);
		rc = check(conn, res, "prepare");
		PQclear(res);
		for (long n = 0; n < repeat && rc == 0; n++) {
			res = PQexecPrepared(conn, "sw_stmt", nparams, params, NULL, NULL, 0);
			rc = check(conn, res, "execute");
			if (rc == 0)
				print_rows(res);
			PQclear(res);
		}
	}

	PQfinish(conn);
	free(params);
	return rc;
}
