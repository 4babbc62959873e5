/*
 * pq_fastpath: call one function through PostgreSQL's fastpath interface
 * (protocol message 'F', libpq PQfn), for sqlward's integration tests. A
 * fastpath call never reaches the SQL parser.
 *
 *   pq_fastpath CONNINFO SIGNATURE|OID [ARG...]
 *
 * SIGNATURE ("lo_creat(integer)") is resolved to its OID with one SQL query
 * first; a number is used as the OID as is. ARG: int4:N (binary int4),
 * int8:N (binary int8), text:S (text format), or null. Prints the result (an integer, or the
 * returned bytes as text) on stdout; on error prints the server's message on
 * stderr and exits 1; bad usage exits 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <libpq-fe.h>

#define MAX_ARGS 8

int main(int argc, char **argv)
{
	PQArgBlock args[MAX_ARGS];
	unsigned char int8buf[MAX_ARGS][8];
	int nargs = 0, result_len = 0, oid;
	int result_int = 0;
	char result_buf[8192];
	PGconn *conn;
	PGresult *res;
	char *end;

	if (argc < 3 || argc - 3 > MAX_ARGS) {
		fprintf(stderr, "usage: pq_fastpath CONNINFO SIGNATURE|OID [int4:N|int8:N|text:S|null]...\n");
		return 2;
	}
	for (int i = 3; i < argc; i++) {
		PQArgBlock *a = &args[nargs++];
		memset(a, 0, sizeof(*a));
		if (strncmp(argv[i], "int4:", 5) == 0) {
			a->isint = 1;
			a->len = 4;
			a->u.integer = (int)strtol(argv[i] + 5, NULL, 10);
		} else if (strncmp(argv[i], "int8:", 5) == 0) {
			long long v = strtoll(argv[i] + 5, NULL, 10);
			for (int b = 0; b < 8; b++)   /* network byte order, the binary format */
				int8buf[nargs - 1][b] = (unsigned char)((unsigned long long)v >> (56 - 8 * b));
			a->len = 8;
			a->u.ptr = (int *)int8buf[nargs - 1];
		} else if (strncmp(argv[i], "text:", 5) == 0) {
			a->len = (int)strlen(argv[i] + 5);
			a->u.ptr = (int *)(argv[i] + 5);
		} else if (strcmp(argv[i], "null") == 0) {
			a->len = -1;
		} else {
			fprintf(stderr, "pq_fastpath: bad argument %s (int4:N, int8:N, text:S or null)\n", argv[i]);
			return 2;
		}
	}
	conn = PQconnectdb(argv[1]);
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "connect: %s", PQerrorMessage(conn));
		PQfinish(conn);
		return 1;
	}
	oid = (int)strtol(argv[2], &end, 10);
	if (*end) {
		const char *p[1] = { argv[2] };
		res = PQexecParams(conn, "SELECT $1::regprocedure::oid", 1, NULL, p, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
			fprintf(stderr, "lookup: %s", PQresultErrorMessage(res));
			PQclear(res);
			PQfinish(conn);
			return 1;
		}
		oid = atoi(PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	/* Results come back as bytes (result_is_int = 0): as an integer, libpq would wait forever for
	 * a result that is not 2 or 4 bytes long (void, bool, ...). A 4-byte one is printed as int4. */
	res = PQfn(conn, oid, (int *)result_buf, &result_len, 0, args, nargs);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "fastpath: %s", PQresultErrorMessage(res)[0] ? PQresultErrorMessage(res)
										 : PQerrorMessage(conn));
		PQclear(res);
		PQfinish(conn);
		return 1;
	}
	if (result_len == 4) {
		uint32_t v;
		memcpy(&v, result_buf, sizeof(v));
		result_int = (int)ntohl(v);
		printf("%d\n", result_int);
	}
	else
		printf("(%d bytes)\n", result_len);
	PQclear(res);
	PQfinish(conn);
	return 0;
}
