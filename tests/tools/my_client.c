/*
 * A libmariadb client for the MariaDB gate's tests: sends each argument as
 * one command on ONE connection, so a string with several statements reaches
 * the server whole (the mariadb CLI splits on ';' and strips comments).
 *
 *   my_client [-h HOST] [-P PORT] [-S SOCKET] -u USER [-p PASS] [-D DB] CMD...
 *   CMD: "q:SQL"        COM_QUERY with multi-statements on; every result set printed
 *        "p:SQL"        server-side prepared statement: COM_STMT_PREPARE, then
 *                       COM_STMT_EXECUTE (no parameters), rows printed
 *        "x:SQL"        prepare once, execute twice
 *        "P:SQL"        COM_STMT_PREPARE only: the statement is kept (16 at most)
 *        "E:N"          COM_STMT_EXECUTE of the Nth kept statement (from 1)
 *        "w:PATH"       wait until PATH exists (60 s at most)
 *        "u:USER:PASS"  COM_CHANGE_USER to another account
 *        "d:DB"         COM_INIT_DB (mysql_select_db)
 * Output: one line per row (fields tab-separated), "OK <affected>" for a
 * statement without rows, "ERR <errno> <message>" for an error. Exit status:
 * 0 when every command succeeded, 1 when one failed (the rest still run).
 */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void print_result(MYSQL_RES *res)
{
	MYSQL_ROW row;
	unsigned n = mysql_num_fields(res);

	while ((row = mysql_fetch_row(res))) {
		for (unsigned i = 0; i < n; i++)
			printf("%s%s", i ? "\t" : "", row[i] ? row[i] : "NULL");
		printf("\n");
	}
}

static int run_query(MYSQL *c, const char *sql)
{
	int status;

	if (mysql_real_query(c, sql, (unsigned long)strlen(sql)) != 0) {
		printf("ERR %u %s\n", mysql_errno(c), mysql_error(c));
		return 1;
	}
	do {
		MYSQL_RES *res = mysql_store_result(c);
		if (res) {
			print_result(res);
			mysql_free_result(res);
		} else if (mysql_field_count(c) == 0) {
			printf("OK %llu\n", (unsigned long long)mysql_affected_rows(c));
		} else {
			/* Rows were due but could not be read: the statement failed on the way. */
			printf("ERR %u %s\n", mysql_errno(c), mysql_error(c));
			return 1;
		}
		status = mysql_next_result(c);
		if (status > 0) {
			printf("ERR %u %s\n", mysql_errno(c), mysql_error(c));
			return 1;
		}
	} while (status == 0);
	return 0;
}

/* COM_STMT_PREPARE alone: the statement, or NULL (the error printed). */
static MYSQL_STMT *prepare(MYSQL *c, const char *sql)
{
	MYSQL_STMT *st = mysql_stmt_init(c);

	if (!st || mysql_stmt_prepare(st, sql, (unsigned long)strlen(sql)) != 0) {
		printf("ERR %u %s\n", st ? mysql_stmt_errno(st) : mysql_errno(c), st ? mysql_stmt_error(st) : mysql_error(c));
		if (st)
			mysql_stmt_close(st);
		return NULL;
	}
	return st;
}

/* COM_STMT_EXECUTE TIMES times, rows printed. */
static int execute(MYSQL_STMT *st, int times)
{
	int rc = 0;

	for (int t = 0; t < times; t++) {
		MYSQL_RES *meta;
		if (mysql_stmt_execute(st) != 0) {
			printf("ERR %u %s\n", mysql_stmt_errno(st), mysql_stmt_error(st));
			rc = 1;
			continue;
		}
		meta = mysql_stmt_result_metadata(st);
		if (meta) {
			/* Rows come back as strings through a result bound per column. */
			unsigned n = mysql_num_fields(meta);
			MYSQL_BIND *b = calloc(n, sizeof(*b));
			char (*buf)[256] = calloc(n, sizeof(*buf));
			unsigned long *len = calloc(n, sizeof(*len));
			my_bool *isnull = calloc(n, sizeof(*isnull));
			for (unsigned i = 0; i < n; i++) {
				b[i].buffer_type = MYSQL_TYPE_STRING;
				b[i].buffer = buf[i];
				b[i].buffer_length = sizeof(buf[i]) - 1;
				b[i].length = &len[i];
				b[i].is_null = &isnull[i];
			}
			mysql_stmt_bind_result(st, b);
			while (mysql_stmt_fetch(st) == 0) {
				for (unsigned i = 0; i < n; i++) {
					buf[i][len[i] < sizeof(buf[i]) ? len[i] : sizeof(buf[i]) - 1] = 0;
					printf("%s%s", i ? "\t" : "", isnull[i] ? "NULL" : buf[i]);
				}
				printf("\n");
			}
			free(b);
			free(buf);
			free(len);
			free(isnull);
			mysql_free_result(meta);
		} else {
			printf("OK %llu\n", (unsigned long long)mysql_stmt_affected_rows(st));
		}
	}
	return rc;
}

static int run_prepared(MYSQL *c, const char *sql, int times)
{
	MYSQL_STMT *st = prepare(c, sql);
	int rc;

	if (!st)
		return 1;
	rc = execute(st, times);
	mysql_stmt_close(st);
	return rc;
}

/* Until PATH exists (60 s at most): lets a test act between two commands of one connection. */
static int wait_for(const char *path)
{
	for (int i = 0; i < 600; i++) {
		if (access(path, F_OK) == 0) {
			printf("OK waited\n");
			return 0;
		}
		usleep(100000);
	}
	printf("ERR 0 %s never appeared\n", path);
	return 1;
}

int main(int argc, char **argv)
{
	const char *host = NULL, *sock = NULL, *user = NULL, *pass = NULL, *db = NULL;
	unsigned port = 0;
	int opt, rc = 0;
	MYSQL *c;
	MYSQL_STMT *kept[16];
	int n_kept = 0;

	while ((opt = getopt(argc, argv, "h:P:S:u:p:D:")) != -1) {
		switch (opt) {
		case 'h': host = optarg; break;
		case 'P': port = (unsigned)atoi(optarg); break;
		case 'S': sock = optarg; break;
		case 'u': user = optarg; break;
		case 'p': pass = optarg; break;
		case 'D': db = optarg; break;
		default:
			fprintf(stderr, "usage: my_client [-h HOST] [-P PORT] [-S SOCKET] -u USER [-p PASS] [-D DB] "
				"q:SQL|p:SQL|x:SQL|u:USER:PASS|d:DB...\n");
			return 2;
		}
	}
	if (!user || optind >= argc) {
		fprintf(stderr, "my_client: need -u USER and at least one command (q:SQL, p:SQL or x:SQL)\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	c = mysql_init(NULL);
	if (!mysql_real_connect(c, host, user, pass, db, port, sock, CLIENT_MULTI_STATEMENTS | CLIENT_MULTI_RESULTS)) {
		printf("ERR %u %s\n", mysql_errno(c), mysql_error(c));
		return 1;
	}
	for (int i = optind; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "q:", 2) == 0)
			rc |= run_query(c, a + 2);
		else if (strncmp(a, "p:", 2) == 0)
			rc |= run_prepared(c, a + 2, 1);
		else if (strncmp(a, "x:", 2) == 0)
			rc |= run_prepared(c, a + 2, 2);
		else if (strncmp(a, "P:", 2) == 0 && n_kept < 16) {
			if ((kept[n_kept] = prepare(c, a + 2))) {
				printf("OK prepared %d\n", n_kept + 1);
				n_kept++;
			} else {
				rc = 1;
			}
		} else if (strncmp(a, "E:", 2) == 0 && atoi(a + 2) >= 1 && atoi(a + 2) <= n_kept)
			rc |= execute(kept[atoi(a + 2) - 1], 1);
		else if (strncmp(a, "w:", 2) == 0)
			rc |= wait_for(a + 2);
		else if (strncmp(a, "u:", 2) == 0 && strchr(a + 2, ':')) {
			char *u = strdup(a + 2), *pw = strchr(u, ':');
			*pw++ = 0;
			if (mysql_change_user(c, u, pw, db) != 0) {
				printf("ERR %u %s\n", mysql_errno(c), mysql_error(c));
				rc = 1;
			} else {
				printf("OK changed user\n");
			}
			free(u);
		} else if (strncmp(a, "d:", 2) == 0) {
			if (mysql_select_db(c, a + 2) != 0) {
				printf("ERR %u %s\n", mysql_errno(c), mysql_error(c));
				rc = 1;
			} else {
				printf("OK database\n");
			}
		}
		else {
			fprintf(stderr, "my_client: command \"%s\" must start with q:, p:, x:, P:, E:N (a kept statement), w:, u: or d:\n", a);
			rc = 1;
		}
	}
	for (int i = 0; i < n_kept; i++)
		mysql_stmt_close(kept[i]);
	mysql_close(c);
	return rc;
}
