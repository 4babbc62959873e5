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
 *        "K:N"          COM_STMT_CLOSE of the Nth kept statement
 *        "I:N"          print "ID <server statement id>" of the Nth kept statement
 *        "w:PATH"       wait until PATH exists (60 s at most)
 *        "u:USER:PASS"  COM_CHANGE_USER to another account
 *        "d:DB"         COM_INIT_DB (mysql_select_db)
 *        "c:N[:HEX]"    raw protocol command N (COM_SHUTDOWN 8, COM_PROCESS_KILL 12, ...) with
 *                       the payload HEX; its answer read as OK or ERR
 *        "b:SQL"        COM_STMT_BULK_EXECUTE: SQL with one int parameter, run for 2 and 3
 *        "C:SQL"        prepared with a read-only cursor: COM_STMT_EXECUTE, COM_STMT_FETCH
 *        "z:N:SQL"      (with -C) one compressed frame of N payload bytes holding two COM_QUERY
 *                       packets: a read padded by a comment, then SQL, so SQL's packet ends the
 *                       frame, near the end of the server's read buffer; each answer's OK or
 *                       ERR printed; the connection is not usable afterwards (the last command)
 * Options: -I SQL  an init command (MYSQL_INIT_COMMAND: runs at connect); -C  compressed protocol.
 * Output: one line per row (fields tab-separated), "OK <affected>" for a
 * statement without rows, "ERR <errno> <message>" for an error. Exit status:
 * 0 when every command succeeded, 1 when one failed (the rest still run).
 */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

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

/* A raw protocol command: "N" or "N:HEX" (the payload, two hex digits a byte). */
static int raw_command(MYSQL *c, const char *spec)
{
	char *end, payload[512];
	long cmd = strtol(spec, &end, 10);
	size_t n = 0;

	if (*end == ':')
		for (const char *h = end + 1; h[0] && h[1] && n < sizeof(payload); h += 2) {
			unsigned v;
			if (sscanf(h, "%2x", &v) != 1)
				break;
			payload[n++] = (char)v;
		}
	if (c->methods->db_command(c, (enum enum_server_command)cmd, payload, n, 0, NULL) != 0) {
		printf("ERR %u %s\n", mysql_errno(c), mysql_error(c));
		return 1;
	}
	printf("OK command %ld\n", cmd);
	return 0;
}

/* COM_STMT_BULK_EXECUTE (MariaDB's array binding): one int parameter, values 2 and 3. */
static int run_bulk(MYSQL *c, const char *sql)
{
	MYSQL_STMT *st = prepare(c, sql);
	int vals[2] = { 2, 3 };
	unsigned int rows = 2;
	MYSQL_BIND b;
	int rc = 0;

	if (!st)
		return 1;
	memset(&b, 0, sizeof(b));
	b.buffer_type = MYSQL_TYPE_LONG;
	b.buffer = vals;
	if (mysql_stmt_attr_set(st, STMT_ATTR_ARRAY_SIZE, &rows) || mysql_stmt_bind_param(st, &b) ||
	    mysql_stmt_execute(st)) {
		printf("ERR %u %s\n", mysql_stmt_errno(st), mysql_stmt_error(st));
		rc = 1;
	} else {
		printf("OK %llu\n", (unsigned long long)mysql_stmt_affected_rows(st));
	}
	mysql_stmt_close(st);
	return rc;
}

/* A read-only cursor: the execution opens it, COM_STMT_FETCH reads it. */
static int run_cursor(MYSQL *c, const char *sql)
{
	MYSQL_STMT *st = mysql_stmt_init(c);
	unsigned long type = CURSOR_TYPE_READ_ONLY, prefetch = 1;
	int rc;

	if (!st)
		return 1;
	mysql_stmt_attr_set(st, STMT_ATTR_CURSOR_TYPE, &type);
	mysql_stmt_attr_set(st, STMT_ATTR_PREFETCH_ROWS, &prefetch);
	if (mysql_stmt_prepare(st, sql, (unsigned long)strlen(sql)) != 0) {
		printf("ERR %u %s\n", mysql_stmt_errno(st), mysql_stmt_error(st));
		mysql_stmt_close(st);
		return 1;
	}
	rc = execute(st, 1);
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

static void put3(unsigned char *p, size_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
}

/* Reads the server's compressed frames for up to 20 s; prints each answer packet's OK or ERR until
 * `want` answers (ERR, OK, or a result set's end) were seen. */
static int read_answers(int fd, int want)
{
	static unsigned char raw[1 << 20], plain[1 << 20];
	size_t have = 0, plen = 0, at = 0;
	int seen = 0, errs = 0;
	bool in_rows = false;

	while (seen < want) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;
		if (poll(&p, 1, 20000) <= 0 || (n = read(fd, raw + have, sizeof(raw) - have)) <= 0) {
			printf("ERR 0 connection closed or silent after %d answers\n", seen);
			return 1;
		}
		have += (size_t)n;
		while (have >= 7) {   /* frames: [3 compressed length][1 seq][3 uncompressed length (0: stored)] */
			size_t clen = raw[0] | raw[1] << 8 | raw[2] << 16, ulen = raw[4] | raw[5] << 8 | raw[6] << 16;
			if (have < 7 + clen)
				break;
			if (ulen == 0) {
				memcpy(plain + plen, raw + 7, clen);
				plen += clen;
			} else {
				uLongf out = ulen;
				if (uncompress(plain + plen, &out, raw + 7, clen) != Z_OK)
					return printf("ERR 0 bad compressed frame\n"), 1;
				plen += out;
			}
			memmove(raw, raw + 7 + clen, have - 7 - clen);
			have -= 7 + clen;
		}
		while (plen - at >= 4 && seen < want) {   /* packets: [3 length][1 seq][payload] */
			size_t len = plain[at] | plain[at + 1] << 8 | plain[at + 2] << 16;
			const unsigned char *pl = plain + at + 4;
			if (plen - at < 4 + len)
				break;
			if (len && pl[0] == 0xff) {
				printf("ERR %u %.*s\n", pl[1] | pl[2] << 8, (int)(len > 9 ? len - 9 : 0), (const char *)pl + 9);
				seen++, errs++, in_rows = false;
			} else if (len && pl[0] == 0x00 && !in_rows) {
				printf("OK\n");
				seen++;
			} else if (len && pl[0] == 0xfe && len < 9) {
				/* EOF: after the column definitions, then after the rows */
				if (in_rows) {
					printf("OK rows\n");
					seen++, in_rows = false;
				} else {
					in_rows = true;
				}
			}
			at += 4 + len;
		}
	}
	return errs ? 1 : 0;
}

static int pipelined_frame(MYSQL *c, const char *arg)
{
	char *end;
	size_t total = strtoul(arg, &end, 10), l2, l1;
	const char *sql = *end == ':' ? end + 1 : NULL;
	unsigned char *f;
	size_t at = 0;
	int fd = (int)mysql_get_socket(c);

	if (!sql || !c->net.compress) {
		printf("ERR 0 z: needs -C and N:SQL\n");
		return 1;
	}
	l2 = 1 + strlen(sql);
	if (total < l2 + 4 + 4 + 32 || total > (1 << 20)) {
		printf("ERR 0 z: frame size %zu too small or large\n", total);
		return 1;
	}
	l1 = total - 4 - 4 - l2;   /* the first packet's payload: COM_QUERY, a SELECT 1 padded by a comment */
	f = calloc(1, 7 + total);
	put3(f, total);
	f[3] = 0;                  /* compressed sequence: a new command */
	put3(f + 4, 0);            /* stored, not compressed */
	at = 7;
	put3(f + at, l1);
	f[at + 3] = 0;
	f[at + 4] = 3;             /* COM_QUERY */
	memcpy(f + at + 5, "SELECT 1 /*", 11);
	memset(f + at + 16, 'x', l1 - 1 - 11 - 2);
	memcpy(f + at + 4 + l1 - 2, "*/", 2);
	at += 4 + l1;
	put3(f + at, l2);
	f[at + 3] = 0;
	f[at + 4] = 3;
	memcpy(f + at + 5, sql, l2 - 1);
	at += 4 + l2;
	if (send(fd, f, at, MSG_NOSIGNAL) != (ssize_t)at) {
		free(f);
		printf("ERR 0 z: cannot send the frame\n");
		return 1;
	}
	free(f);
	return read_answers(fd, 2);
}

int main(int argc, char **argv)
{
	const char *host = NULL, *sock = NULL, *user = NULL, *pass = NULL, *db = NULL;
	const char *init = NULL;
	unsigned port = 0;
	int opt, rc = 0, compress = 0;
	MYSQL *c;
	MYSQL_STMT *kept[16];
	int n_kept = 0;

	while ((opt = getopt(argc, argv, "h:P:S:u:p:D:I:C")) != -1) {
		switch (opt) {
		case 'I': init = optarg; break;
		case 'C': compress = 1; break;
		case 'h': host = optarg; break;
		case 'P': port = (unsigned)atoi(optarg); break;
		case 'S': sock = optarg; break;
		case 'u': user = optarg; break;
		case 'p': pass = optarg; break;
		case 'D': db = optarg; break;
		default:
			fprintf(stderr, "usage: my_client [-h HOST] [-P PORT] [-S SOCKET] -u USER [-p PASS] [-D DB] [-I SQL] [-C] "
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
	if (init)
		mysql_options(c, MYSQL_INIT_COMMAND, init);
	if (compress)
		mysql_options(c, MYSQL_OPT_COMPRESS, NULL);
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
		} else if (strncmp(a, "E:", 2) == 0 && atoi(a + 2) >= 1 && atoi(a + 2) <= n_kept &&
			   kept[atoi(a + 2) - 1])
			rc |= execute(kept[atoi(a + 2) - 1], 1);
		else if (strncmp(a, "K:", 2) == 0 && atoi(a + 2) >= 1 && atoi(a + 2) <= n_kept &&
			 kept[atoi(a + 2) - 1]) {
			mysql_stmt_close(kept[atoi(a + 2) - 1]);
			kept[atoi(a + 2) - 1] = NULL;
			printf("OK closed %d\n", atoi(a + 2));
		} else if (strncmp(a, "I:", 2) == 0 && atoi(a + 2) >= 1 && atoi(a + 2) <= n_kept &&
			   kept[atoi(a + 2) - 1])
			printf("ID %lu\n", kept[atoi(a + 2) - 1]->stmt_id);
		else if (strncmp(a, "c:", 2) == 0)
			rc |= raw_command(c, a + 2);
		else if (strncmp(a, "b:", 2) == 0)
			rc |= run_bulk(c, a + 2);
		else if (strncmp(a, "C:", 2) == 0)
			rc |= run_cursor(c, a + 2);
		else if (strncmp(a, "z:", 2) == 0)
			rc |= pipelined_frame(c, a + 2);
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
			fprintf(stderr, "my_client: command \"%s\" must start with q:, p:, x:, P:, E:N (a kept statement), w:, u:, d:, c:, b:, C: or z:\n", a);
			rc = 1;
		}
	}
	for (int i = 0; i < n_kept; i++)
		mysql_stmt_close(kept[i]);
	mysql_close(c);
	return rc;
}
