/*
 * The engine seam for what runs without a server: how each engine's SQL is
 * classified into the neutral model (statement.h) and what it adds to a
 * statement's report. `sqlward check`, reports and tests reach engines only
 * through these tables; the gates (bpf_gate.c + gate_events.c for PostgreSQL,
 * my_gate.c for MariaDB) feed the same neutral model to policy, ledger and
 * holds.
 */
#ifndef SQLWARD_ENGINE_H
#define SQLWARD_ENGINE_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>
#include "statement.h"

/* How a session lexes its SQL, as far as an engine needs to know. */
struct sw_engine_lex {
	unsigned my_sql_mode;       /* MariaDB: SW_MY_MODE_* (the session's sql_mode) */
	bool my_fk_checks_off;      /* MariaDB: foreign_key_checks = 0 (online DDL of foreign keys) */
};

struct sw_engine_ops {
	enum sw_engine id;
	const char *name;           /* as `--engine`, policy `engine:` and the ledger spell it */
	/* Classify a (multi-statement) string; never fails (unknown statements instead). */
	void (*analyze)(const char *sql, const struct sw_engine_lex *lex, struct sw_analysis *out);
	/* Members the engine adds to a statement's JSON (impact it alone knows); may be NULL. */
	void (*stmt_json_add)(json_t *o, const struct sw_stmt *st);
	/* Lines it adds to a statement's text report (indented); may be NULL. */
	void (*print_extra)(FILE *f, const struct sw_stmt *st);
};

/* "postgres" / "postgresql", "mysql" / "mariadb"; NULL when unknown. */
const struct sw_engine_ops *sw_engine_find(const char *name);
const struct sw_engine_ops *sw_engine_get(enum sw_engine id);

#endif
