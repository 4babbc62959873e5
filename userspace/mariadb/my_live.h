/*
 * Live context for MariaDB statements (`sqlward check --engine mysql --dsn`):
 * the MariaDB counterpart of live_context.h, over libmariadb.
 *
 * For every statement of an analysis that writes or changes schema it reads,
 * per table the statement locks by name, the table's definition and size from
 * information_schema (TABLES, COLUMNS, STATISTICS) and fills the same struct
 * sw_live PostgreSQL's live context fills (bytes = DATA_LENGTH +
 * INDEX_LENGTH, rows = TABLE_ROWS, InnoDB's estimate), so the policy keys
 * table_size / table_rows / est_rows mean the same for both engines. An
 * ALTER's online-DDL prediction is recomputed from the table's real
 * definition (sw_my_impact_refine), replacing the offline worst case.
 * UPDATE and DELETE get est_rows from EXPLAIN (never executed).
 *
 * Every query runs in START TRANSACTION READ ONLY ... ROLLBACK with
 * max_statement_time=2; names are passed as escaped string literals; the
 * statement text itself only ever goes to EXPLAIN, and not when it calls a
 * function sqlward does not know. A fact that cannot be read is unknown,
 * with the reason in sw_live.error; nothing here fails the check.
 */
#ifndef SQLWARD_MY_LIVE_H
#define SQLWARD_MY_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include "statement.h"

/* "host=h port=3306 user=u password='p w' database=d socket=/run/x.sock": libpq's
 * conninfo syntax (key=value separated by blanks; a value may be single-quoted, with
 * \' and \\ inside). Every key is optional; NULL/0 when not given. dbname is
 * accepted for database. */
struct sw_my_dsn {
	char *host, *user, *password, *database, *socket;
	unsigned port;
	unsigned connect_timeout_s;   /* connect_timeout=, default 2 */
};
/* 0 on success; -1 with err filled (what is wrong and how to write it) and *out empty. */
int sw_my_dsn_parse(const char *dsn, struct sw_my_dsn *out, char *err, size_t errlen);
void sw_my_dsn_free(struct sw_my_dsn *d);

/* A connection made lazily at the first annotation, remade when lost; never fails to open. */
struct sw_my_live_conn;
struct sw_my_live_conn *sw_my_live_open(const char *dsn);
void sw_my_live_close(struct sw_my_live_conn *lc);

/* Attach live facts (st->impact->live) and refine ALTER predictions for every statement of a
 * MariaDB analysis that writes or changes schema. */
void sw_my_live_annotate(struct sw_my_live_conn *lc, struct sw_analysis *a);

#endif
