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
 * (Bind/Execute of NAME with $1 = V, or no parameter when V is empty);
 * prints "step N: ok" or "step N: error" and exits 1 if any step failed.
 *
 * Rows go to stdout, tab-separated, one line each (NULL printed as \N).
 * On error the server's message goes to stderr and the exit status is 1;
 * bad usage exits 2.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

static void usage(void)
{
	fprintf(stderr, "usage: pq_extended [--unnamed] [--repeat N] CONNINFO SQL [PARAM...]\n"
			"       pq_extended --each CONNINFO SQL VALUE...\n"
			"       pq_extended --steps CONNINFO Q:SQL|P:NAME:SQL|E:NAME:VALUE...\n");
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
