/*
 * Live context over libmariadb (see my_live.h). Every query is read-only
 * (START TRANSACTION READ ONLY ... ROLLBACK), bounded by max_statement_time
 * and lock_wait_timeout, and takes names as escaped string literals; the
 * statement text is only ever given to EXPLAIN.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <mysql.h>
#include "impact.h"
#include "live_facts.h"
#include "lock_mode.h"
#include "my_impact.h"
#include "my_live.h"
#include "util.h"

/* ---- the DSN ---------------------------------------------------------------------- */

void sw_my_dsn_free(struct sw_my_dsn *d)
{
	if (!d)
		return;
	free(d->host);
	free(d->user);
	free(d->password);
	free(d->database);
	free(d->socket);
	memset(d, 0, sizeof(*d));
}

static int dsn_fail(struct sw_my_dsn *out, char *err, size_t errlen, const char *fmt, const char *what)
{
	snprintf(err, errlen, fmt, what);
	sw_my_dsn_free(out);
	return -1;
}

static bool parse_uint(const char *s, unsigned max, unsigned *v)
{
	char *end;
	unsigned long n;
	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || *end || n > max)
		return false;
	*v = (unsigned)n;
	return true;
}

int sw_my_dsn_parse(const char *dsn, struct sw_my_dsn *out, char *err, size_t errlen)
{
	const char *p = dsn ? dsn : "";
	memset(out, 0, sizeof(*out));
	out->connect_timeout_s = 2;
	for (;;) {
		const char *k;
		size_t klen;
		struct sw_sbuf val = { 0 };
		char **slot = NULL;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			return 0;
		k = p;
		while (*p && *p != '=' && !isspace((unsigned char)*p))
			p++;
		klen = (size_t)(p - k);
		while (isspace((unsigned char)*p))
			p++;
		if (*p != '=') {
			char *key = sw_xstrndup(k, klen);
			int rc = dsn_fail(out, err, errlen, "DSN: \"%s\" has no value; write key=value pairs separated "
					  "by blanks (host=... port=... user=... password=... database=... socket=...)", key);
			free(key);
			return rc;
		}
		p++;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\'') {
			/* Quoted: blanks allowed, \' and \\ escape. */
			for (p++; *p && *p != '\''; p++) {
				if (*p == '\\' && p[1])
					p++;
				sw_sbuf_add(&val, p, 1);
			}
			if (*p != '\'') {
				free(val.s);
				return dsn_fail(out, err, errlen, "DSN: %s", "a quoted value has no closing quote (')");
			}
			p++;
		} else {
			for (; *p && !isspace((unsigned char)*p); p++) {
				if (*p == '\\' && p[1])
					p++;
				sw_sbuf_add(&val, p, 1);
			}
		}
		sw_sbuf_add(&val, "", 1);   /* NUL-terminated, also when empty */

#define KEY(name) (klen == strlen(name) && strncmp(k, name, klen) == 0)
		if (KEY("host"))
			slot = &out->host;
		else if (KEY("user"))
			slot = &out->user;
		else if (KEY("password"))
			slot = &out->password;
		else if (KEY("database") || KEY("dbname"))
			slot = &out->database;
		else if (KEY("socket"))
			slot = &out->socket;
		if (slot) {
			free(*slot);
			*slot = val.s;
			continue;
		}
		if (KEY("port") || KEY("connect_timeout")) {
			bool port = KEY("port");
			unsigned v = 0;
			bool ok = parse_uint(val.s, port ? 65535 : 3600, &v) && v > 0;
			free(val.s);
			if (!ok)
				return dsn_fail(out, err, errlen, "DSN: %s must be a positive number (port: 1-65535, "
						"connect_timeout: seconds up to 3600)", port ? "port" : "connect_timeout");
			if (port)
				out->port = v;
			else
				out->connect_timeout_s = v;
			continue;
		}
#undef KEY
		free(val.s);
		{
			char *key = sw_xstrndup(k, klen);
			int rc = dsn_fail(out, err, errlen, "DSN: unknown key \"%s\"; the keys are host, port, user, "
					  "password, database (or dbname), socket and connect_timeout", key);
			free(key);
			return rc;
		}
	}
}

/* ---- the connection ----------------------------------------------------------------- */

struct sw_my_live_conn {
	char *dsn_text;
	struct sw_my_dsn dsn;
	bool dsn_ok;
	MYSQL *m;
	char *database;  /* DATABASE() after connecting, NULL when the DSN names none */
	char *error;     /* why there is no connection */
};

static void set_err(char **dst, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(char **dst, const char *fmt, ...)
{
	va_list ap;
	char *m;
	va_start(ap, fmt);
	m = sw_xvasprintf(fmt, ap);
	va_end(ap);
	m[strcspn(m, "\n")] = 0;
	free(*dst);
	*dst = m;
}

struct sw_my_live_conn *sw_my_live_open(const char *dsn)
{
	struct sw_my_live_conn *lc = sw_xcalloc(1, sizeof(*lc));
	char err[512];
	lc->dsn_text = sw_xstrdup(dsn ? dsn : "");
	lc->dsn_ok = sw_my_dsn_parse(lc->dsn_text, &lc->dsn, err, sizeof(err)) == 0;
	if (!lc->dsn_ok)
		lc->error = sw_xstrdup(err);
	return lc;
}

static void disconnect(struct sw_my_live_conn *lc)
{
	if (lc->m)
		mysql_close(lc->m);
	lc->m = NULL;
	free(lc->database);
	lc->database = NULL;
}

void sw_my_live_close(struct sw_my_live_conn *lc)
{
	if (!lc)
		return;
	disconnect(lc);
	sw_my_dsn_free(&lc->dsn);
	free(lc->dsn_text);
	free(lc->error);
	free(lc);
}

/* Run sql; on failure the reason goes to *why (when it holds none yet). */
static bool run(MYSQL *m, const char *sql, char **why)
{
	if (mysql_real_query(m, sql, strlen(sql)) == 0) {
		MYSQL_RES *r = mysql_store_result(m);
		mysql_free_result(r);
		return true;
	}
	if (why && !*why)
		set_err(why, "live query failed: %s (MariaDB error %u)", mysql_error(m), mysql_errno(m));
	return false;
}

static bool ensure(struct sw_my_live_conn *lc)
{
	static const char *const session[] = {
		"SET SESSION max_statement_time=2",
		"SET SESSION lock_wait_timeout=2",
		"SET SESSION innodb_lock_wait_timeout=1",
	};
	const struct sw_my_dsn *d = &lc->dsn;
	unsigned io_timeout = 5;

	if (!lc->dsn_ok)
		return false;
	if (lc->m && mysql_ping(lc->m) == 0)
		return true;
	disconnect(lc);
	lc->m = mysql_init(NULL);
	if (!lc->m) {
		set_err(&lc->error, "cannot connect for live context: out of memory in mysql_init");
		return false;
	}
	mysql_options(lc->m, MYSQL_OPT_CONNECT_TIMEOUT, &d->connect_timeout_s);
	mysql_options(lc->m, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
	mysql_options(lc->m, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
	mysql_options(lc->m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (!mysql_real_connect(lc->m, d->host, d->user, d->password, d->database, d->port, d->socket, 0)) {
		set_err(&lc->error, "cannot connect for live context: %s (MariaDB error %u); check the DSN's "
			"host/port/socket, user and password", mysql_error(lc->m), mysql_errno(lc->m));
		disconnect(lc);
		return false;
	}
	for (size_t i = 0; i < sizeof(session) / sizeof(session[0]); i++) {
		char *why = NULL;
		if (!run(lc->m, session[i], &why)) {
			set_err(&lc->error, "cannot set up the live-context session (%s): %s", session[i], why);
			free(why);
			disconnect(lc);
			return false;
		}
	}
	if (mysql_real_query(lc->m, "SELECT DATABASE()", 17) == 0) {
		MYSQL_RES *r = mysql_store_result(lc->m);
		MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
		if (row && row[0])
			lc->database = sw_xstrdup(row[0]);
		mysql_free_result(r);
	}
	free(lc->error);
	lc->error = NULL;
	return true;
}

/* ---- queries ------------------------------------------------------------------------ */

/* s as a quoted string literal, escaped by the client library for the connection's charset
 * and sql_mode (NO_BACKSLASH_ESCAPES). */
static char *literal(MYSQL *m, const char *s, size_t n)
{
	char *buf = sw_xmalloc(2 * n + 3);
	unsigned long len = mysql_real_escape_string(m, buf + 1, s, (unsigned long)n);
	if (len == (unsigned long)-1)
		len = 0;   /* not escapable in the connection's charset: '' matches no table */
	buf[0] = '\'';
	buf[len + 1] = '\'';
	buf[len + 2] = 0;
	return buf;
}

static MYSQL_RES *query(MYSQL *m, struct sw_live *lv, const char *sql)
{
	MYSQL_RES *r;
	if (mysql_real_query(m, sql, strlen(sql)) != 0) {
		if (!lv->error)
			set_err(&lv->error, "live query failed: %s (MariaDB error %u)", mysql_error(m), mysql_errno(m));
		return NULL;
	}
	r = mysql_store_result(m);
	if (!r && !lv->error)
		set_err(&lv->error, "live query returned no result: %s", mysql_error(m));
	return r;
}

/* A table as the classifier names it ("t" or "db.t") -> schema and table literals (the
 * schema: the connection's database when the name has none). False when it has none. */
struct table_ref {
	char *schema_lit, *table_lit;
};

static bool table_ref(struct sw_my_live_conn *lc, struct sw_live *lv, const char *name, struct table_ref *t)
{
	const char *dot = strchr(name, '.');
	memset(t, 0, sizeof(*t));
	if (dot) {
		t->schema_lit = literal(lc->m, name, (size_t)(dot - name));
		t->table_lit = literal(lc->m, dot + 1, strlen(dot + 1));
		return true;
	}
	if (!lc->database) {
		if (!lv->error)
			set_err(&lv->error, "no database for table %s: the DSN names none (add database=...) and the "
				"statement does not qualify the table", name);
		return false;
	}
	t->schema_lit = literal(lc->m, lc->database, strlen(lc->database));
	t->table_lit = literal(lc->m, name, strlen(name));
	return true;
}

static void table_ref_free(struct table_ref *t)
{
	free(t->schema_lit);
	free(t->table_lit);
}

static char *lower_dup(const char *s)
{
	char *d = sw_xstrdup(s ? s : "");
	for (char *p = d; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

static long num_or_minus1(const char *s)
{
	return s ? strtol(s, NULL, 10) : -1;
}

/* TABLES: existence, size, rows, engine, row format. False when the query failed. */
static bool table_row(MYSQL *m, struct sw_live *lv, const struct table_ref *t, struct sw_live_rel *rel,
		      struct sw_my_table_facts *f)
{
	char *sql = sw_xasprintf("SELECT ENGINE, ROW_FORMAT, TABLE_ROWS, DATA_LENGTH + INDEX_LENGTH "
				 "FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s",
				 t->schema_lit, t->table_lit);
	MYSQL_RES *r = query(m, lv, sql);
	MYSQL_ROW row;
	free(sql);
	if (!r)
		return false;
	row = mysql_fetch_row(r);
	if (!row) {
		/* Not there (yet): the statement creates it, or fails. */
		rel->exists = false;
		rel->bytes = rel->rows = sw_fact_known(0);
	} else {
		rel->exists = true;
		/* A view has neither: unknown rather than 0. */
		rel->bytes = row[3] ? sw_fact_known(strtod(row[3], NULL)) : sw_fact_unknown;
		rel->rows = row[2] ? sw_fact_known(strtod(row[2], NULL)) : sw_fact_unknown;
		f->engine = row[0] ? lower_dup(row[0]) : NULL;
		f->row_format = row[1] ? lower_dup(row[1]) : NULL;
	}
	mysql_free_result(r);
	return true;
}

/* COLUMNS and STATISTICS: the definition sw_my_impact_refine decides from. */
static bool column_rows(MYSQL *m, struct sw_live *lv, const struct table_ref *t, struct sw_my_table_facts *f)
{
	char *sql = sw_xasprintf("SELECT COLUMN_NAME, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH, CHARACTER_OCTET_LENGTH, "
				 "COLUMN_TYPE, IS_NULLABLE = 'YES' FROM information_schema.COLUMNS "
				 "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION",
				 t->schema_lit, t->table_lit);
	MYSQL_RES *r = query(m, lv, sql);
	MYSQL_ROW row;
	free(sql);
	if (!r)
		return false;
	f->n_cols = 0;
	f->cols = sw_xcalloc(mysql_num_rows(r) + 1, sizeof(*f->cols));
	while ((row = mysql_fetch_row(r))) {
		struct sw_my_old_column *c = &f->cols[f->n_cols++];
		c->name = sw_xstrdup(row[0] ? row[0] : "");
		c->data_type = lower_dup(row[1]);
		c->char_max_len = num_or_minus1(row[2]);
		c->octet_max_len = num_or_minus1(row[3]);
		c->column_type = sw_xstrdup(row[4] ? row[4] : "");
		c->nullable = row[5] && strcmp(row[5], "1") == 0;
	}
	mysql_free_result(r);

	sql = sw_xasprintf("SELECT COLUMN_NAME, INDEX_TYPE FROM information_schema.STATISTICS "
			   "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s", t->schema_lit, t->table_lit);
	r = query(m, lv, sql);
	free(sql);
	if (!r)
		return false;
	while ((row = mysql_fetch_row(r))) {
		if (row[1] && strcasecmp(row[1], "FULLTEXT") == 0)
			f->has_fulltext = true;
		for (size_t i = 0; row[0] && i < f->n_cols; i++)
			if (strcasecmp(f->cols[i].name, row[0]) == 0)
				f->cols[i].indexed = true;
	}
	mysql_free_result(r);
	return true;
}

/*
 * Who holds a conflicting metadata lock on the table now, oldest transaction first.
 * Only visible with the metadata_lock_info plugin; without it the fact is unknown.
 * wants: the strongest mode the statement will ask for on it (an online ALTER's brief
 * MDL_EXCLUSIVE queues behind readers its MDL_SHARED_UPGRADABLE lets in).
 */
static void blocker(MYSQL *m, struct sw_live *lv, const struct table_ref *t, struct sw_live_rel *rel,
		    enum sw_lockmode wants)
{
	char *sql = sw_xasprintf("SELECT l.THREAD_ID, l.LOCK_MODE, "
				 "COALESCE(TIMESTAMPDIFF(SECOND, x.trx_started, NOW()), p.TIME, 0) "
				 "FROM information_schema.METADATA_LOCK_INFO l "
				 "LEFT JOIN information_schema.INNODB_TRX x ON x.trx_mysql_thread_id = l.THREAD_ID "
				 "LEFT JOIN information_schema.PROCESSLIST p ON p.ID = l.THREAD_ID "
				 "WHERE l.TABLE_SCHEMA = %s AND l.TABLE_NAME = %s AND l.THREAD_ID <> CONNECTION_ID() "
				 "ORDER BY 3 DESC", t->schema_lit, t->table_lit);
	MYSQL_RES *r;
	MYSQL_ROW row;

	rel->blocker_age_s = sw_fact_unknown;
	if (mysql_real_query(m, sql, strlen(sql)) != 0) {
		if (!lv->error)
			set_err(&lv->error, "who holds metadata locks on %s is not visible (%s); INSTALL SONAME "
				"'metadata_lock_info' on the server to see conflicting transactions", rel->name,
				mysql_error(m));
		free(sql);
		return;
	}
	free(sql);
	if (!(r = mysql_store_result(m)))
		return;
	rel->blocker_age_s = sw_fact_known(0);
	while ((row = mysql_fetch_row(r))) {
		enum sw_lockmode mode = sw_lock_parse(row[1] ? row[1] : "");
		if (!sw_lock_conflicts(wants, mode))
			continue;
		rel->blocker_age_s = sw_fact_known(row[2] ? strtod(row[2], NULL) : 0);
		rel->blocker_pid = row[0] ? atoi(row[0]) : 0;
		rel->blocker_mode = sw_xstrdup(row[1] ? row[1] : "?");
		rel->blocker_granted = true;   /* METADATA_LOCK_INFO lists granted locks only */
		break;
	}
	mysql_free_result(r);
}

/* EXPLAIN's row estimate: the largest `rows` of the plan (for a single-table UPDATE or DELETE,
 * its only line). */
static bool explain_rows(MYSQL *m, struct sw_live *lv, const char *text, double *rows)
{
	char *sql = sw_xasprintf("EXPLAIN %s", text);
	MYSQL_RES *r = query(m, lv, sql);
	MYSQL_ROW row;
	MYSQL_FIELD *fields;
	unsigned nf, col = ~0u;
	bool ok = false;

	free(sql);
	if (!r)
		return false;
	fields = mysql_fetch_fields(r);
	nf = mysql_num_fields(r);
	for (unsigned i = 0; i < nf; i++)
		if (strcasecmp(fields[i].name, "rows") == 0)
			col = i;
	*rows = 0;
	while (col != ~0u && (row = mysql_fetch_row(r))) {
		if (!row[col])
			continue;
		double v = strtod(row[col], NULL);
		if (!ok || v > *rows)
			*rows = v;
		ok = true;
	}
	if (!ok && !lv->error)
		set_err(&lv->error, "EXPLAIN gave no row estimate");
	mysql_free_result(r);
	return ok;
}

/*
 * EXPLAIN of the statement, never executed. MariaDB refuses EXPLAIN UPDATE/DELETE in a
 * READ ONLY transaction (error 1792, "Cannot execute statement in a READ ONLY
 * transaction"), so this one runs in an ordinary transaction that is always rolled back:
 * should the server ever execute rather than explain, nothing is kept. One statement
 * only: the connection has no CLIENT_MULTI_STATEMENTS.
 */
static bool explain_in_txn(MYSQL *m, struct sw_live *lv, const char *text, double *rows)
{
	bool ok;
	if (!run(m, "START TRANSACTION", &lv->error))
		return false;
	ok = explain_rows(m, lv, text, rows);
	run(m, "ROLLBACK", NULL);
	return ok;
}

/* ---- annotation ----------------------------------------------------------------------- */

static bool wants_live(const struct sw_stmt *st)
{
	return st->impact && st->cls != SW_CLASS_READ && st->cls != SW_CLASS_SESSION &&
	       st->cls != SW_CLASS_TRANSACTION && st->cls != SW_CLASS_TWO_PHASE;
}

static bool is_dml(const struct sw_stmt *st)
{
	return st->command && (strcmp(st->command, "UPDATE") == 0 || strcmp(st->command, "DELETE") == 0);
}

/* An ALTER-like statement: its table's real definition replaces the offline worst case. First, so
 * that the locks the relations are read for are the refined ones. */
static void refine_ddl(struct sw_my_live_conn *lc, struct sw_stmt *st, struct sw_live *lv)
{
	struct sw_my_ddl *ddl = sw_my_ddl_of(st);
	struct sw_my_table_facts f = { 0 };
	struct sw_live_rel scratch = { 0 };
	struct table_ref t;

	if (!ddl || !ddl->table || !table_ref(lc, lv, ddl->table, &t))
		return;
	if (table_row(lc->m, lv, &t, &scratch, &f) && scratch.exists && column_rows(lc->m, lv, &t, &f))
		sw_my_impact_refine(st, &f, ddl->fk_checks_off);
	sw_my_table_facts_clear(&f);
	table_ref_free(&t);
}

static enum sw_lockmode wanted_mode(const struct sw_my_ddl *ddl, const struct sw_lock_entry *e)
{
	if (ddl && ddl->table && strcmp(ddl->table, e->object) == 0)
		return sw_lock_stronger(e->mode, ddl->mdl_brief);
	return e->mode;
}

static void annotate_stmt(struct sw_my_live_conn *lc, struct sw_stmt *st, bool connected, char *const *created,
			  size_t n_created)
{
	struct sw_impact *im;
	struct sw_my_ddl *ddl = sw_my_ddl_of(st);
	struct sw_live *lv = sw_xcalloc(1, sizeof(*lv));
	bool all_new = true, any_named = false, in_txn = false;

	if (connected)
		in_txn = run(lc->m, "START TRANSACTION READ ONLY", &lv->error);
	if (in_txn && ddl && ddl->table && !sw_live_created_in(created, n_created, ddl->table))
		refine_ddl(lc, st, lv);
	im = st->impact;
	sw_live_free(im->live);
	im->live = lv;
	for (size_t i = 0; i < im->n_locks; i++) {
		const struct sw_lock_entry *e = &im->locks[i];
		struct sw_live_rel *r;
		struct table_ref t;
		struct sw_my_table_facts f = { 0 };

		if (e->via != SW_VIA_NAMED)
			continue;
		r = sw_live_rel_add(lv, e->object, (int)e->mode, created, n_created);
		any_named = true;
		if (r->created_here)
			continue;
		all_new = false;
		if (!in_txn || !table_ref(lc, lv, e->object, &t))
			continue;
		if (table_row(lc->m, lv, &t, r, &f)) {
			if (!r->exists)
				r->blocker_age_s = sw_fact_known(0);
			else
				blocker(lc->m, lv, &t, r, wanted_mode(ddl, e));
		}
		sw_my_table_facts_clear(&f);
		table_ref_free(&t);
	}
	all_new = all_new && any_named;
	if (in_txn)
		run(lc->m, "ROLLBACK", NULL);
	if (is_dml(st)) {
		double rows;
		lv->est_rows = sw_fact_unknown;
		if (all_new)
			lv->est_rows = sw_fact_known(0);   /* only tables this file creates: new and empty */
		else if (!in_txn)
			;
		else if (st->traits & (SW_TRAIT_UNKNOWN_FUNCTION | SW_TRAIT_DANGEROUS_FUNCTION | SW_TRAIT_PREPARED))
			set_err(&lv->error, "not EXPLAINed: the statement calls functions sqlward does not know "
				"(the optimizer may run them) or is a prepared statement");
		else if (explain_in_txn(lc->m, lv, st->text, &rows))
			lv->est_rows = sw_fact_known(rows);
	}
	if (!connected && !all_new && !lv->error)
		lv->error = sw_xstrdup(lc->error ? lc->error : "no connection for live context");
}

void sw_my_live_annotate(struct sw_my_live_conn *lc, struct sw_analysis *a)
{
	bool any = false, connected;
	char **created;
	size_t n_created = 0;

	for (size_t i = 0; i < a->n_stmts; i++)
		any |= wants_live(&a->stmts[i]);
	if (!any)
		return;
	connected = ensure(lc);
	/* Tables created so far in this analysis (a migration file): new and empty, not looked up. */
	created = sw_xcalloc(a->n_stmts ? a->n_stmts : 1, sizeof(*created));
	for (size_t i = 0; i < a->n_stmts; i++) {
		const struct sw_impact *im = a->stmts[i].impact;
		if (im && im->created_table)
			created[n_created++] = im->created_table;
		if (wants_live(&a->stmts[i]))
			annotate_stmt(lc, &a->stmts[i], connected, created, n_created);
	}
	free(created);
}
