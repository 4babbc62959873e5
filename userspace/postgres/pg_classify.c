/*
 * PostgreSQL statement classifier (libpg_query, PostgreSQL 15 grammar).
 *
 * Everything here comes from the parse tree; the SQL text is only sliced
 * (RawStmt stmt_location/stmt_len) to give each statement its own text.
 *
 * Decisions the policy layer relies on (keep in sync with the report and
 * tests/corpus/pg_corpus.jsonl):
 *  - An empty or comment-only string parses to ZERO statements: parse_ok is
 *    true and n_stmts is 0. There is nothing to run, so the policy layer may
 *    treat it as allowed-empty.
 *  - A parse error yields parse_ok=false, error=the parser message and one
 *    statement of class unknown, command "UNKNOWN", holding the whole input.
 *  - TRUNCATE is class write (it removes data; the schema is unchanged) with
 *    trait destructive and AccessExclusiveLock.
 *  - SELECT ... INTO is class write, trait select_into, command "SELECT"
 *    (the tag PostgreSQL reports), and the new table is an object.
 *  - A SELECT calling nextval()/setval() or assigning a transaction ID
 *    (txid_current(), pg_current_xact_id()) is class write.
 *  - Writable CTEs keep the outer statement's tag but make the class write.
 *  - EXPLAIN ANALYZE: class/objects/traits of the inner statement plus trait
 *    executes. Plain EXPLAIN: class read, the inner objects and locks
 *    (planning takes them) and function traits, but no execution traits
 *    (destructive, no_where, writable_cte, select_into, no_limit,
 *    locking_read). Command "EXPLAIN" either way.
 *  - PREPARE: the fields describe the inner statement, trait prepared,
 *    command "PREPARE", prepare_name set. EXECUTE: class unknown, command
 *    "EXECUTE", execute_name set; prepared.c resolves it. EXPLAIN ANALYZE
 *    EXECUTE and CREATE TABLE AS EXECUTE also set execute_name (they run
 *    the prepared statement).
 *  - COPY: TO STDOUT is read, FROM STDIN is write; a server file adds
 *    file_access; PROGRAM adds file_access and dangerous_function.
 *  - Transactions (BEGIN, COMMIT, SAVEPOINT, SET CONSTRAINTS, ...):
 *    transaction. PREPARE TRANSACTION, COMMIT/ROLLBACK PREPARED: two_phase
 *    (same tags). SET/RESET/SHOW/DISCARD/DEALLOCATE/LISTEN/UNLISTEN/CLOSE:
 *    session. NOTIFY, LOAD, LOCK, VACUUM, ANALYZE, CLUSTER, REINDEX,
 *    CHECKPOINT, ALTER SYSTEM: utility. FETCH/MOVE: read.
 *  - settings: every run-time setting SET, RESET, SET TRANSACTION, SET
 *    SESSION CHARACTERISTICS and BEGIN/START TRANSACTION modes change, by
 *    the name the server resolves (lower case, sort_mem -> work_mem), with
 *    the value rendered as the server receives it (flatten_set_variable_args)
 *    and judged by pg_settings.c; a change it refuses is unsafe_setting.
 *    RESET ALL and DISCARD ALL record none (they restore the DBA's values).
 *  - session_escalation: SET/RESET ROLE, SET/RESET SESSION AUTHORIZATION
 *    (DEFAULT and RESET forms too: a governed session never changes its
 *    identity), SET session_replication_role, SET search_path that lists
 *    pg_catalog after another schema (lets user functions shadow the
 *    builtins the allowlist trusts), set_config(), and ALTER SYSTEM
 *    (server-wide configuration; class utility).
 *  - sensitive_catalog: naming pg_authid, pg_settings, pg_stat_activity and
 *    the other relations pg_functions.c lists, calling the functions behind
 *    them, and SHOW ALL.
 *  - parameterized: a $n placeholder outside a PREPARE body (its value is
 *    bound at execution, not part of the text).
 *  - opaque_code: DO, CREATE FUNCTION/PROCEDURE (class procedural), CALL
 *    (procedural), CREATE TRIGGER, CREATE RULE, CREATE EVENT TRIGGER,
 *    CREATE LANGUAGE, CREATE/ALTER EXTENSION (class ddl).
 *  - GRANT/REVOKE, roles, ALTER DEFAULT PRIVILEGES, REASSIGN/DROP OWNED,
 *    SECURITY LABEL, OWNER TO, row-level-security policies and user
 *    mappings: privilege.
 *  - REFRESH MATERIALIZED VIEW: class write, rewrites_table (not CONCURRENTLY).
 *  - Objects are relations. Created relations and relations touched only in
 *    the catalog (GRANT ON TABLE, COMMENT) are listed; the lock is the
 *    table lock PostgreSQL takes (AccessShareLock where it takes none on
 *    the table itself). CREATE INDEX lists the table, not the new index.
 *    REINDEX TABLE takes ShareLock on the table (as PostgreSQL does; the
 *    indexes get AccessExclusiveLock); REINDEX INDEX AccessExclusiveLock.
 *  - Functions are recorded as parsed (unquoted names are lower-case),
 *    "schema.name" when written qualified; SQL-syntax forms such as
 *    EXTRACT(... FROM ...) are recorded unqualified. The denylist matches
 *    under any schema and any case; the allowlist only unqualified or
 *    pg_catalog names, exactly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <sys/mman.h>
#include <pg_query.h>
#include "pg_classify.h"
#include "pg_tree.h"
#include "impact.h"
#include "pg_functions.h"
#include "pg_read_facts.h"
#include "pg_settings.h"
#include "pg_walk.h"
#include "statement.h"
#include "util.h"

/* Short names for the lock modes (lock_mode.h) the tables below use. */
#define L_AS  SW_LOCK_ACCESS_SHARE
#define L_RE  SW_LOCK_ROW_EXCLUSIVE
#define L_SUE SW_LOCK_SHARE_UPDATE_EXCLUSIVE
#define L_SH  SW_LOCK_SHARE
#define L_SRE SW_LOCK_SHARE_ROW_EXCLUSIVE
#define L_EX  SW_LOCK_EXCLUSIVE
#define L_AE  SW_LOCK_ACCESS_EXCLUSIVE

#define NC(x) PG_QUERY__NODE__NODE_##x
#define OT(x) PG_QUERY__OBJECT_TYPE__OBJECT_##x
#define AT(x) PG_QUERY__ALTER_TABLE_TYPE__AT_##x

static void set_cmd(struct sw_stmt *st, enum sw_class cls, const char *tag)
{
	st->cls = cls;
	free(st->command);
	st->command = sw_xstrdup(tag);
}

static void set_cmdf(struct sw_stmt *st, enum sw_class cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_cmdf(struct sw_stmt *st, enum sw_class cls, const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	s = sw_xvasprintf(fmt, ap);
	va_end(ap);
	st->cls = cls;
	free(st->command);
	st->command = s;
}

static bool nonempty(const char *s)
{
	return s && *s;
}

/* Noun for an ObjectType as used in DROP/CREATE tags. */
static const char *obj_noun(PgQuery__ObjectType t)
{
	switch (t) {
	case OT(ACCESS_METHOD): return "ACCESS METHOD";
	case OT(AGGREGATE): return "AGGREGATE";
	case OT(CAST): return "CAST";
	case OT(COLLATION): return "COLLATION";
	case OT(CONVERSION): return "CONVERSION";
	case OT(DATABASE): return "DATABASE";
	case OT(DOMAIN): return "DOMAIN";
	case OT(EVENT_TRIGGER): return "EVENT TRIGGER";
	case OT(EXTENSION): return "EXTENSION";
	case OT(FDW): return "FOREIGN DATA WRAPPER";
	case OT(FOREIGN_SERVER): return "SERVER";
	case OT(FOREIGN_TABLE): return "FOREIGN TABLE";
	case OT(FUNCTION): return "FUNCTION";
	case OT(INDEX): return "INDEX";
	case OT(LANGUAGE): return "LANGUAGE";
	case OT(LARGEOBJECT): return "LARGE OBJECT";
	case OT(MATVIEW): return "MATERIALIZED VIEW";
	case OT(OPCLASS): return "OPERATOR CLASS";
	case OT(OPERATOR): return "OPERATOR";
	case OT(OPFAMILY): return "OPERATOR FAMILY";
	case OT(POLICY): return "POLICY";
	case OT(PROCEDURE): return "PROCEDURE";
	case OT(PUBLICATION): return "PUBLICATION";
	case OT(ROLE): return "ROLE";
	case OT(ROUTINE): return "ROUTINE";
	case OT(RULE): return "RULE";
	case OT(SCHEMA): return "SCHEMA";
	case OT(SEQUENCE): return "SEQUENCE";
	case OT(SUBSCRIPTION): return "SUBSCRIPTION";
	case OT(STATISTIC_EXT): return "STATISTICS";
	case OT(TABLE): return "TABLE";
	case OT(TABLESPACE): return "TABLESPACE";
	case OT(TRANSFORM): return "TRANSFORM";
	case OT(TRIGGER): return "TRIGGER";
	case OT(TSCONFIGURATION): return "TEXT SEARCH CONFIGURATION";
	case OT(TSDICTIONARY): return "TEXT SEARCH DICTIONARY";
	case OT(TSPARSER): return "TEXT SEARCH PARSER";
	case OT(TSTEMPLATE): return "TEXT SEARCH TEMPLATE";
	case OT(TYPE): return "TYPE";
	case OT(VIEW): return "VIEW";
	default: return NULL;
	}
}

/* As PostgreSQL's AlterObjectTypeCommandTag(). */
static const char *alter_noun(PgQuery__ObjectType t)
{
	switch (t) {
	case OT(ATTRIBUTE): return "TYPE";
	case OT(COLUMN): return "TABLE";
	case OT(TABCONSTRAINT): return "TABLE";
	case OT(DOMCONSTRAINT): return "DOMAIN";
	default: return obj_noun(t);
	}
}

static bool is_relation_type(PgQuery__ObjectType t)
{
	return t == OT(TABLE) || t == OT(VIEW) || t == OT(MATVIEW) || t == OT(INDEX) ||
	       t == OT(SEQUENCE) || t == OT(FOREIGN_TABLE);
}

/* Value of a DefElem used as a boolean option; anything unclear is true. */
static bool defelem_true(const PgQuery__DefElem *d)
{
	const PgQuery__Node *a = d->arg;
	if (!a)
		return true;
	switch (a->node_case) {
	case NC(STRING): {
		const char *s = a->string->sval;
		return !(strcasecmp(s, "false") == 0 || strcasecmp(s, "off") == 0 ||
			 strcasecmp(s, "no") == 0 || strcmp(s, "0") == 0);
	}
	case NC(INTEGER): return a->integer->ival != 0;
	case NC(BOOLEAN): return a->boolean->boolval;
	case NC(A_CONST):
		if (a->a_const->val_case == PG_QUERY__A__CONST__VAL_BOOLVAL)
			return a->a_const->boolval->boolval;
		if (a->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL)
			return a->a_const->ival->ival != 0;
		return true;
	default: return true;
	}
}

/*
 * The option named name in a DefElem list: NULL, or the DefElem. The LAST
 * one: PostgreSQL's option loops (EXPLAIN, VACUUM, REINDEX) let a repeated
 * option override the earlier one, so EXPLAIN (ANALYZE false, ANALYZE true)
 * does run the statement.
 */
static const PgQuery__DefElem *find_option(PgQuery__Node *const *v, size_t n, const char *name)
{
	const PgQuery__DefElem *found = NULL;
	for (size_t i = 0; i < n; i++)
		if (v[i]->node_case == NC(DEF_ELEM) && v[i]->def_elem->defname &&
		    strcmp(v[i]->def_elem->defname, name) == 0)
			found = v[i]->def_elem;
	return found;
}

static bool option_true(PgQuery__Node *const *v, size_t n, const char *name)
{
	const PgQuery__DefElem *d = find_option(v, n, name);
	return d && defelem_true(d);
}

/* ---- SELECT ---- */

static bool is_null_const(const PgQuery__Node *n)
{
	return n && n->node_case == NC(A_CONST) && n->a_const->isnull;
}

static bool aggregate_call(const PgQuery__Node *n)
{
	const PgQuery__FuncCall *fc;
	const struct sw_pg_func *f;
	const char *base, *schema;

	while (n && n->node_case == NC(TYPE_CAST))
		n = n->type_cast->arg;
	if (!n)
		return false;
	if (n->node_case == NC(A_CONST))
		return true;
	if (n->node_case != NC(FUNC_CALL))
		return false;
	fc = n->func_call;
	if (fc->over || fc->n_funcname == 0)
		return false;
	base = pgw_str(fc->funcname[fc->n_funcname - 1]);
	schema = fc->n_funcname >= 2 ? pgw_str(fc->funcname[fc->n_funcname - 2]) : NULL;
	f = sw_pg_func_lookup(schema, base);
	return f && (f->flags & PGF_AGG);
}

/* May this SELECT return an unbounded number of rows? */
static bool select_unbounded(const PgQuery__SelectStmt *s)
{
	if (!s)
		return false;
	if (s->limit_count && !is_null_const(s->limit_count))
		return false;
	if (s->op != PG_QUERY__SET_OPERATION__SETOP_NONE &&
	    s->op != PG_QUERY__SET_OPERATION__SET_OPERATION_UNDEFINED)
		return select_unbounded(s->larg) || select_unbounded(s->rarg);
	if (s->n_values_lists)
		return false; /* VALUES: the rows are written out */
	if (s->n_from_clause == 0)
		return false; /* one row */
	if (s->n_group_clause)
		return true;
	if (s->n_target_list == 0)
		return true;
	for (size_t i = 0; i < s->n_target_list; i++) {
		const PgQuery__Node *t = s->target_list[i];
		if (t->node_case != NC(RES_TARGET) || !aggregate_call(t->res_target->val))
			return true;
	}
	return false; /* aggregate-only: one row */
}

static void classify(struct pgw *w, const PgQuery__Node *n);

static void classify_select(struct pgw *w, const PgQuery__SelectStmt *s)
{
	struct sw_stmt *st = w->st;
	bool into = s->into_clause && s->into_clause->rel;

	w->top_dml = &s->base;
	set_cmd(st, SW_CLASS_READ, "SELECT");
	if (into)
		pgw_add_rangevar(w, s->into_clause->rel, L_AE);
	pgw_walk(w, &s->base);
	if (into && !w->plan_only) {
		char *nm = pgw_rangevar_name(s->into_clause->rel);
		st->traits |= SW_TRAIT_SELECT_INTO;
		st->cls = SW_CLASS_WRITE;
		pgw_reason(w, "SELECT INTO creates table %s", nm);
		free(nm);
	}
	if (w->nested_dml || w->write_func)
		st->cls = SW_CLASS_WRITE;
	if (!into && !w->plan_only && !w->deferred && select_unbounded(s)) {
		st->traits |= SW_TRAIT_NO_LIMIT;
		pgw_reason(w, "returns rows with no LIMIT");
	}
}

static void classify_dml(struct pgw *w, const ProtobufCMessage *m, const char *tag)
{
	w->top_dml = m;
	set_cmd(w->st, SW_CLASS_WRITE, tag);
	pgw_walk(w, m);
}

/* ---- EXPLAIN / PREPARE / EXECUTE ---- */

static void classify_execute(struct pgw *w, const PgQuery__ExecuteStmt *e, bool set_tag)
{
	struct sw_stmt *st = w->st;
	if (set_tag)
		set_cmd(st, SW_CLASS_UNKNOWN, "EXECUTE");
	free(st->execute_name);
	st->execute_name = sw_xstrdup(e->name ? e->name : "");
	pgw_walk_nodes(w, e->params, e->n_params);
	pgw_reason(w, "EXECUTE %s: resolved against the session's prepared statements", st->execute_name);
}

static void classify_explain(struct pgw *w, const PgQuery__ExplainStmt *e)
{
	struct sw_stmt *st = w->st;
	bool analyze = option_true(e->options, e->n_options, "analyze");

	if (!analyze)
		w->plan_only = true;
	classify(w, e->query);
	if (analyze) {
		st->traits |= SW_TRAIT_EXECUTES;
		pgw_reason(w, "EXPLAIN ANALYZE executes the statement");
	} else {
		st->cls = SW_CLASS_READ;
		free(st->execute_name);
		st->execute_name = NULL;
		pgw_reason(w, "EXPLAIN without ANALYZE plans the statement but does not run it");
	}
	set_cmd(st, st->cls, "EXPLAIN");
}

static void classify_prepare(struct pgw *w, const PgQuery__PrepareStmt *p)
{
	struct sw_stmt *st = w->st;
	w->in_prepare = true;
	classify(w, p->query);
	w->in_prepare = false;
	st->traits |= SW_TRAIT_PREPARED;
	set_cmd(st, st->cls, "PREPARE");
	free(st->prepare_name);
	st->prepare_name = sw_xstrdup(p->name ? p->name : "");
	pgw_reason(w, "PREPARE %s: judged as the statement it prepares", st->prepare_name);
}

/* ---- COPY ---- */

static void classify_copy(struct pgw *w, const PgQuery__CopyStmt *c)
{
	struct sw_stmt *st = w->st;
	bool file = nonempty(c->filename);

	set_cmd(st, SW_CLASS_READ, "COPY");
	if (c->query) {
		w->top_dml = &c->query->base;
		classify(w, c->query);
		set_cmd(st, w->dml_seen || st->cls == SW_CLASS_WRITE ? SW_CLASS_WRITE : SW_CLASS_READ, "COPY");
	} else if (c->relation) {
		pgw_add_rangevar(w, c->relation, c->is_from ? L_RE : L_AS);
		if (c->is_from)
			st->cls = SW_CLASS_WRITE;
	}
	for (size_t i = 0; i < c->n_attlist; i++) {
		const char *col = pgw_str(c->attlist[i]);
		if (col)
			sw_strv_push_unique(&st->columns, col);
	}
	pgw_walk_node(w, c->where_clause);
	if (c->is_program) {
		st->traits |= SW_TRAIT_FILE_ACCESS | SW_TRAIT_DANGEROUS_FUNCTION;
		pgw_reason(w, "COPY %s PROGRAM runs a shell command on the server", c->is_from ? "FROM" : "TO");
	} else if (file) {
		st->traits |= SW_TRAIT_FILE_ACCESS;
		pgw_reason(w, "COPY %s server file %s", c->is_from ? "reads" : "writes", c->filename);
	}
}

/* ---- DDL helpers ---- */

static void add_fk_targets(struct pgw *w, PgQuery__Node *const *cons, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (cons[i]->node_case == NC(CONSTRAINT) &&
		    cons[i]->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN)
			pgw_add_rangevar(w, cons[i]->constraint->pktable, L_SRE);
}

static void classify_create(struct pgw *w, const PgQuery__CreateStmt *c, const char *tag)
{
	struct sw_stmt *st = w->st;
	set_cmd(st, SW_CLASS_DDL, tag);
	pgw_add_rangevar(w, c->relation, L_AE);
	for (size_t i = 0; i < c->n_inh_relations; i++)
		if (c->inh_relations[i]->node_case == NC(RANGE_VAR))
			pgw_add_rangevar(w, c->inh_relations[i]->range_var, c->partbound ? L_AE : L_SUE);
	for (size_t i = 0; i < c->n_table_elts; i++) {
		const PgQuery__Node *e = c->table_elts[i];
		if (e->node_case == NC(COLUMN_DEF)) {
			if (nonempty(e->column_def->colname))
				sw_strv_push_unique(&st->columns, e->column_def->colname);
			add_fk_targets(w, e->column_def->constraints, e->column_def->n_constraints);
		}
	}
	add_fk_targets(w, c->table_elts, c->n_table_elts);
	add_fk_targets(w, c->constraints, c->n_constraints);
	pgw_walk(w, &c->base);
}

static bool serial_type(const PgQuery__TypeName *t)
{
	static const char *const serials[] = {
		"serial", "serial2", "serial4", "serial8", "smallserial", "bigserial",
	};
	const char *nm;
	if (!t || t->n_names == 0 || !(nm = pgw_str(t->names[t->n_names - 1])))
		return false;
	for (size_t i = 0; i < sizeof(serials) / sizeof(serials[0]); i++)
		if (strcmp(nm, serials[i]) == 0)
			return true;
	return false;
}

/* ADD COLUMN that fills every existing row (PostgreSQL 11+ rules). */
static const char *coldef_rewrite_why(const PgQuery__ColumnDef *cd)
{
	if (serial_type(cd->type_name))
		return "serial column fills every row from a sequence";
	if (cd->raw_default && pgw_expr_volatile(cd->raw_default))
		return "volatile DEFAULT is evaluated for every row";
	for (size_t i = 0; i < cd->n_constraints; i++) {
		const PgQuery__Node *n = cd->constraints[i];
		if (n->node_case != NC(CONSTRAINT))
			continue;
		switch (n->constraint->contype) {
		case PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT:
			if (pgw_expr_volatile(n->constraint->raw_expr))
				return "volatile DEFAULT is evaluated for every row";
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY:
			return "identity column fills every row";
		case PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED:
			return "stored generated column is computed for every row";
		default:
			break;
		}
	}
	return NULL;
}

static enum sw_lockmode alter_cmd_lock(const PgQuery__AlterTableCmd *cmd)
{
	switch (cmd->subtype) {
	case AT(SetStatistics): case AT(ClusterOn): case AT(DropCluster):
	case AT(SetOptions): case AT(ResetOptions):
	case AT(ValidateConstraint): case AT(ValidateConstraintRecurse):
	case AT(AttachPartition): case AT(DetachPartitionFinalize):
	case AT(CheckNotNull):
		return L_SUE;
	case AT(SetRelOptions): case AT(ResetRelOptions):
		/* Most reloptions (fillfactor, autovacuum_*) need only this. */
		return L_SUE;
	case AT(DetachPartition):
		if (cmd->def && cmd->def->node_case == NC(PARTITION_CMD) && cmd->def->partition_cmd->concurrent)
			return L_SUE;
		return L_AE;
	case AT(EnableTrig): case AT(EnableAlwaysTrig): case AT(EnableReplicaTrig):
	case AT(EnableTrigAll): case AT(EnableTrigUser): case AT(DisableTrig):
	case AT(DisableTrigAll): case AT(DisableTrigUser):
		return L_SRE;
	case AT(AddConstraint): case AT(AddConstraintRecurse):
		if (cmd->def && cmd->def->node_case == NC(CONSTRAINT) &&
		    cmd->def->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN)
			return L_SRE;
		return L_AE;
	default:
		return L_AE;
	}
}

static bool column_subcommand(PgQuery__AlterTableType t)
{
	switch (t) {
	case AT(ColumnDefault): case AT(DropNotNull): case AT(SetNotNull):
	case AT(DropExpression): case AT(SetStatistics): case AT(SetOptions):
	case AT(ResetOptions): case AT(SetStorage): case AT(SetCompression):
	case AT(DropColumn): case AT(DropColumnRecurse): case AT(AlterColumnType):
	case AT(AlterColumnGenericOptions): case AT(AddIdentity): case AT(SetIdentity):
	case AT(DropIdentity):
		return true;
	default:
		return false;
	}
}

static void classify_alter_table(struct pgw *w, const PgQuery__AlterTableStmt *a)
{
	struct sw_stmt *st = w->st;
	enum sw_lockmode lock = L_SUE;
	const char *noun = alter_noun(a->objtype);
	char *rel = a->relation ? pgw_rangevar_name(a->relation) : sw_xstrdup("?");

	set_cmdf(st, SW_CLASS_DDL, "ALTER %s", noun ? noun : "TABLE");
	for (size_t i = 0; i < a->n_cmds; i++) {
		if (a->cmds[i]->node_case != NC(ALTER_TABLE_CMD))
			continue;
		lock = sw_lock_stronger(lock, alter_cmd_lock(a->cmds[i]->alter_table_cmd));
	}
	pgw_add_rangevar(w, a->relation, lock);

	for (size_t i = 0; i < a->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd;
		const char *why;
		if (a->cmds[i]->node_case != NC(ALTER_TABLE_CMD))
			continue;
		cmd = a->cmds[i]->alter_table_cmd;
		if (column_subcommand(cmd->subtype) && nonempty(cmd->name))
			sw_strv_push_unique(&st->columns, cmd->name);
		switch (cmd->subtype) {
		case AT(AddColumn): case AT(AddColumnRecurse): case AT(AddColumnToView):
			if (cmd->def && cmd->def->node_case == NC(COLUMN_DEF)) {
				const PgQuery__ColumnDef *cd = cmd->def->column_def;
				if (nonempty(cd->colname))
					sw_strv_push_unique(&st->columns, cd->colname);
				add_fk_targets(w, cd->constraints, cd->n_constraints);
				if ((why = coldef_rewrite_why(cd))) {
					st->rewrites_table = true;
					pgw_reason(w, "ADD COLUMN %s rewrites %s: %s", cd->colname, rel, why);
				}
			}
			break;
		case AT(AddConstraint): case AT(AddConstraintRecurse):
			if (cmd->def && cmd->def->node_case == NC(CONSTRAINT) &&
			    cmd->def->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN)
				pgw_add_rangevar(w, cmd->def->constraint->pktable, L_SRE);
			break;
		case AT(DropColumn): case AT(DropColumnRecurse):
			st->traits |= SW_TRAIT_DESTRUCTIVE;
			pgw_reason(w, "ALTER %s %s DROP COLUMN %s", noun ? noun : "TABLE", rel, cmd->name);
			break;
		case AT(DropConstraint): case AT(DropConstraintRecurse):
			st->traits |= SW_TRAIT_DESTRUCTIVE;
			pgw_reason(w, "ALTER %s %s DROP CONSTRAINT %s", noun ? noun : "TABLE", rel, cmd->name);
			break;
		case AT(AlterColumnType):
			st->rewrites_table = true;
			pgw_reason(w, "ALTER COLUMN %s TYPE rewrites %s", cmd->name, rel);
			break;
		case AT(SetLogged): case AT(SetUnLogged):
			st->rewrites_table = true;
			pgw_reason(w, "SET LOGGED/UNLOGGED rewrites %s", rel);
			break;
		case AT(SetAccessMethod):
			st->rewrites_table = true;
			pgw_reason(w, "SET ACCESS METHOD rewrites %s", rel);
			break;
		case AT(SetTableSpace):
			st->rewrites_table = true;
			pgw_reason(w, "SET TABLESPACE copies %s", rel);
			break;
		case AT(ChangeOwner):
			st->cls = SW_CLASS_PRIVILEGE;
			pgw_reason(w, "OWNER TO changes who owns %s", rel);
			break;
		case AT(AttachPartition): case AT(DetachPartition):
			if (cmd->def && cmd->def->node_case == NC(PARTITION_CMD))
				pgw_add_rangevar(w, cmd->def->partition_cmd->name,
						 cmd->def->partition_cmd->concurrent ? L_SUE : L_AE);
			break;
		default:
			break;
		}
	}
	pgw_walk_nodes(w, a->cmds, a->n_cmds);
	free(rel);
}

static void classify_drop(struct pgw *w, const PgQuery__DropStmt *d)
{
	struct sw_stmt *st = w->st;
	const char *noun = obj_noun(d->remove_type);
	bool rel = is_relation_type(d->remove_type);
	bool on_table = d->remove_type == OT(TRIGGER) || d->remove_type == OT(RULE) ||
			d->remove_type == OT(POLICY);

	if (noun)
		set_cmdf(st, SW_CLASS_DDL, "DROP %s", noun);
	else
		set_cmd(st, SW_CLASS_DDL, "???");
	st->traits |= SW_TRAIT_DESTRUCTIVE;
	for (size_t i = 0; i < d->n_objects; i++) {
		const PgQuery__Node *o = d->objects[i];
		char *name = NULL;
		if (o->node_case == NC(LIST) && (rel || on_table)) {
			size_t n = o->list->n_items;
			if (on_table && n > 1)
				name = pgw_join_names(o->list->items, n - 1);
			else if (rel)
				name = pgw_join_names(o->list->items, n);
		} else if (o->node_case == NC(STRING) && rel) {
			name = sw_xstrdup(o->string->sval);
		}
		if (name && *name)
			sw_stmt_add_object(st, name,
					   d->concurrent && d->remove_type == OT(INDEX) ? L_SUE : L_AE);
		free(name);
	}
	pgw_reason(w, "DROP %s%s", noun ? noun : "object", d->behavior ==
		   PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE ? " ... CASCADE" : "");
}

/* ---- settings: SET, RESET, SET TRANSACTION, BEGIN ... READ WRITE ---- */

/*
 * quote_identifier (ruleutils.c) for a GUC_LIST_QUOTE item. Its keyword
 * check is left out: a keyword quoted or not splits back to the same name
 * (SplitIdentifierString), which is all the judgement reads.
 */
static void put_quoted_ident(FILE *out, const char *s)
{
	bool safe = (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_';

	for (const char *p = s; *p && safe; p++)
		safe = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_';
	if (safe) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			fputc('"', out);
		fputc(*p, out);
	}
	fputc('"', out);
}

/*
 * The value text the server receives for a SET (guc.c
 * flatten_set_variable_args): items joined with ", ", integers as %d,
 * numerics as written, strings and identifiers as written (quoted as
 * identifiers for GUC_LIST_QUOTE settings), SET TIME ZONE INTERVAL '...'
 * as INTERVAL '...' (not normalized: the time zone may take any value).
 * NULL when an item is not a constant (the server refuses those too).
 */
static char *set_value_text(const char *name, PgQuery__Node *const *args, size_t n)
{
	bool quote = sw_pg_setting_list_quoted(name), ok = true;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	if (!out)
		abort();
	for (size_t i = 0; i < n && ok; i++) {
		const PgQuery__Node *a = args[i];
		bool interval = false;

		if (i)
			fputs(", ", out);
		if (a->node_case == NC(TYPE_CAST)) {
			interval = true;
			a = a->type_cast->arg;
		}
		if (!a || a->node_case != NC(A_CONST) || a->a_const->isnull) {
			ok = false;
			break;
		}
		switch (a->a_const->val_case) {
		case PG_QUERY__A__CONST__VAL_IVAL:
			fprintf(out, "%d", a->a_const->ival->ival);
			break;
		case PG_QUERY__A__CONST__VAL_FVAL:
			fputs(a->a_const->fval->fval, out);
			break;
		case PG_QUERY__A__CONST__VAL_SVAL:
			if (interval)
				fprintf(out, "INTERVAL '%s'", a->a_const->sval->sval);
			else if (quote)
				put_quoted_ident(out, a->a_const->sval->sval);
			else
				fputs(a->a_const->sval->sval, out);
			break;
		default:
			ok = false;
			break;
		}
	}
	fclose(out);
	if (!ok) {
		free(buf);
		return NULL;
	}
	return buf;
}

enum set_how { SET_TO_VALUE, SET_TO_RESET, SET_FROM_CURRENT };

/*
 * Record one setting the statement changes and judge the change with the
 * shipped allowlist (pg_settings.c). verb is "SET" or "RESET"; mode (NULL
 * for a plain SET) is the transaction mode as written ("BEGIN READ WRITE"),
 * which the reasons quote. SET_TO_VALUE with value NULL: a value that is
 * not a constant.
 */
static void note_setting(struct pgw *w, const char *verb, const char *mode, const char *name,
			 enum set_how how, const char *value)
{
	struct sw_stmt *st = w->st;
	char *canon = sw_pg_setting_canonical(name);
	const char *esc = sw_pg_setting_escalation(name, how == SET_TO_VALUE ? value : NULL);
	char why[512];
	bool ok;

	sw_strv_push_unique(&st->settings, canon);
	if (how == SET_TO_VALUE && !value) {
		ok = false;
		snprintf(why, sizeof(why), "the value of %s is not a constant sqlward can read (the server "
			 "refuses it too); write it as a plain constant", canon);
	} else if (how == SET_FROM_CURRENT) {
		ok = sw_pg_setting_copy_allowed(name, why, sizeof(why));
	} else {
		ok = sw_pg_setting_allowed(name, how == SET_TO_VALUE ? value : NULL, NULL, why, sizeof(why));
	}
	if (!ok) {
		st->traits |= SW_TRAIT_UNSAFE_SETTING;
		pgw_reason(w, "%s%s%s", mode ? mode : "", mode ? ": " : "", why);
	}
	if (esc) {
		st->traits |= SW_TRAIT_SESSION_ESCALATION;
		pgw_reason(w, "%s %s %s", verb, canon, esc);
	}
	free(canon);
}

/* A transaction mode as SQL spells it (gram.y transaction_mode_item). */
static const char *mode_words(const char *defname, const char *value)
{
	bool on = value && strcmp(value, "0") != 0;

	if (strcmp(defname, "transaction_read_only") == 0)
		return on ? "READ ONLY" : "READ WRITE";
	if (strcmp(defname, "transaction_deferrable") == 0)
		return on ? "DEFERRABLE" : "NOT DEFERRABLE";
	return "ISOLATION LEVEL";
}

/*
 * Transaction modes (ISOLATION LEVEL, READ ONLY/WRITE, [NOT] DEFERRABLE) of
 * BEGIN, START TRANSACTION, SET TRANSACTION and, with prefix "default_",
 * SET SESSION CHARACTERISTICS: the grammar names each after its setting.
 */
static void note_transaction_modes(struct pgw *w, const char *verb, const char *prefix,
				   PgQuery__Node *const *opts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const PgQuery__DefElem *d;
		char *name, *value, *written;

		if (opts[i]->node_case != NC(DEF_ELEM) || !opts[i]->def_elem->defname)
			continue;
		d = opts[i]->def_elem;
		name = sw_xasprintf("%s%s", prefix, d->defname);
		value = d->arg ? set_value_text(name, &d->arg, 1) : NULL;
		written = sw_xasprintf("%s %s", verb, mode_words(d->defname, value));
		note_setting(w, "SET", written, name, SET_TO_VALUE, value);
		free(written);
		free(value);
		free(name);
	}
}

static void classify_set(struct pgw *w, const PgQuery__VariableSetStmt *v)
{
	struct sw_stmt *st = w->st;
	const char *name = v->name ? v->name : "";
	bool reset = v->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_RESET ||
		     v->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_RESET_ALL;
	char *value;

	set_cmd(st, SW_CLASS_SESSION, reset ? "RESET" : "SET");
	switch (v->kind) {
	case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_VALUE:
		value = set_value_text(name, v->args, v->n_args);
		note_setting(w, "SET", NULL, name, SET_TO_VALUE, value);
		free(value);
		break;
	case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_DEFAULT:
	case PG_QUERY__VARIABLE_SET_KIND__VAR_RESET:
		note_setting(w, reset ? "RESET" : "SET", NULL, name, SET_TO_RESET, NULL);
		break;
	case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_CURRENT:
		note_setting(w, "SET", NULL, name, SET_FROM_CURRENT, NULL);
		break;
	case PG_QUERY__VARIABLE_SET_KIND__VAR_RESET_ALL:
		/* Back to the DBA's values; role, session_authorization and the
		 * transaction_* settings are GUC_NO_RESET_ALL and stay as they are. */
		break;
	case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_MULTI:
		if (strcmp(name, "TRANSACTION") == 0)
			note_transaction_modes(w, "SET TRANSACTION", "", v->args, v->n_args);
		else if (strcmp(name, "SESSION CHARACTERISTICS") == 0)
			note_transaction_modes(w, "SET SESSION CHARACTERISTICS", "default_", v->args, v->n_args);
		else if (strcmp(name, "TRANSACTION SNAPSHOT") == 0)
			pgw_reason(w, "SET TRANSACTION SNAPSHOT makes this transaction see the data as another "
				   "transaction's exported snapshot saw it");
		break;
	default:
		set_cmd(st, SW_CLASS_UNKNOWN, "UNKNOWN");
		pgw_reason(w, "SET statement of a kind the classifier does not know");
		break;
	}
	pgw_walk_nodes(w, v->args, v->n_args);
}

static void classify_vacuum(struct pgw *w, const PgQuery__VacuumStmt *v)
{
	struct sw_stmt *st = w->st;
	bool full = v->is_vacuumcmd && option_true(v->options, v->n_options, "full");
	enum sw_lockmode lock = full ? L_AE : L_SUE;

	set_cmd(st, SW_CLASS_UTILITY, v->is_vacuumcmd ? "VACUUM" : "ANALYZE");
	if (full) {
		st->rewrites_table = true;
		pgw_reason(w, "VACUUM FULL rewrites the table under AccessExclusiveLock");
	}
	for (size_t i = 0; i < v->n_rels; i++) {
		const PgQuery__Node *r = v->rels[i];
		if (r->node_case != NC(VACUUM_RELATION))
			continue;
		pgw_add_rangevar(w, r->vacuum_relation->relation, lock);
		for (size_t k = 0; k < r->vacuum_relation->n_va_cols; k++) {
			const char *c = pgw_str(r->vacuum_relation->va_cols[k]);
			if (c)
				sw_strv_push_unique(&st->columns, c);
		}
	}
	if (v->n_rels == 0)
		pgw_reason(w, "%s of every table in the database", st->command);
}

static void classify_reindex(struct pgw *w, const PgQuery__ReindexStmt *r)
{
	struct sw_stmt *st = w->st;
	bool conc = option_true(r->params, r->n_params, "concurrently");

	set_cmd(st, SW_CLASS_UTILITY, "REINDEX");
	switch (r->kind) {
	case PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_TABLE:
		pgw_add_rangevar(w, r->relation, conc ? L_SUE : L_SH);
		break;
	case PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_INDEX:
		pgw_add_rangevar(w, r->relation, conc ? L_SUE : L_AE);
		break;
	default:
		pgw_reason(w, "REINDEX of every index in %s %s",
			   r->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SCHEMA ? "schema" : "database",
			   r->name ? r->name : "");
		break;
	}
}

static void opaque(struct pgw *w, const char *why)
{
	w->st->traits |= SW_TRAIT_OPAQUE_CODE;
	pgw_reason(w, "%s", why);
}

static const char *transaction_tag(PgQuery__TransactionStmtKind k)
{
	switch (k) {
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN: return "BEGIN";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START: return "START TRANSACTION";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT: return "COMMIT";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_TO: return "ROLLBACK";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_SAVEPOINT: return "SAVEPOINT";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_RELEASE: return "RELEASE";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_PREPARE: return "PREPARE TRANSACTION";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT_PREPARED: return "COMMIT PREPARED";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_PREPARED: return "ROLLBACK PREPARED";
	default: return "???";
	}
}

static void classify_transaction(struct pgw *w, const PgQuery__TransactionStmt *t)
{
	struct sw_stmt *st = w->st;
	const char *tag = transaction_tag(t->kind);

	switch (t->kind) {
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_PREPARE:
		set_cmd(st, SW_CLASS_TWO_PHASE, tag);
		pgw_reason(w, "PREPARE TRANSACTION '%s' keeps the transaction, its locks and its changes in the "
			   "server after the session ends, until someone commits or rolls it back", t->gid ? t->gid : "");
		break;
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT_PREPARED:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_PREPARED:
		set_cmd(st, SW_CLASS_TWO_PHASE, tag);
		pgw_reason(w, "%s '%s' finishes a prepared transaction, which any session may have prepared",
			   tag, t->gid ? t->gid : "");
		break;
	default:
		set_cmd(st, SW_CLASS_TRANSACTION, tag);
		/* BEGIN / START TRANSACTION ISOLATION LEVEL ..., READ ONLY|WRITE, [NOT] DEFERRABLE */
		note_transaction_modes(w, tag, "", t->options, t->n_options);
		break;
	}
}

static const char *discard_tag(PgQuery__DiscardMode m)
{
	switch (m) {
	case PG_QUERY__DISCARD_MODE__DISCARD_ALL: return "DISCARD ALL";
	case PG_QUERY__DISCARD_MODE__DISCARD_PLANS: return "DISCARD PLANS";
	case PG_QUERY__DISCARD_MODE__DISCARD_SEQUENCES: return "DISCARD SEQUENCES";
	case PG_QUERY__DISCARD_MODE__DISCARD_TEMP: return "DISCARD TEMP";
	default: return "DISCARD";
	}
}

static const char *function_language(PgQuery__Node *const *opts, size_t n)
{
	const PgQuery__DefElem *d = find_option(opts, n, "language");
	const char *s = d ? pgw_str(d->arg) : NULL;
	return s ? s : "sql";
}

/* Generic DDL or privilege statement: tag, class, then walk everything. */
static void simple(struct pgw *w, const ProtobufCMessage *m, enum sw_class cls, const char *tag)
{
	set_cmd(w->st, cls, tag);
	pgw_walk(w, m);
}

static void classify(struct pgw *w, const PgQuery__Node *n)
{
	struct sw_stmt *st = w->st;

	if (!n) {
		set_cmd(st, SW_CLASS_UNKNOWN, "UNKNOWN");
		pgw_reason(w, "empty statement node");
		return;
	}
	switch (n->node_case) {
	case NC(SELECT_STMT):
		classify_select(w, n->select_stmt);
		break;
	case NC(INSERT_STMT):
		classify_dml(w, &n->insert_stmt->base, "INSERT");
		break;
	case NC(UPDATE_STMT):
		classify_dml(w, &n->update_stmt->base, "UPDATE");
		break;
	case NC(DELETE_STMT):
		classify_dml(w, &n->delete_stmt->base, "DELETE");
		break;
	case NC(MERGE_STMT):
		classify_dml(w, &n->merge_stmt->base, "MERGE");
		break;
	case NC(EXPLAIN_STMT):
		classify_explain(w, n->explain_stmt);
		break;
	case NC(PREPARE_STMT):
		classify_prepare(w, n->prepare_stmt);
		break;
	case NC(EXECUTE_STMT):
		classify_execute(w, n->execute_stmt, true);
		break;
	case NC(COPY_STMT):
		classify_copy(w, n->copy_stmt);
		break;
	case NC(DECLARE_CURSOR_STMT):
		classify(w, n->declare_cursor_stmt->query);
		st->traits &= ~SW_TRAIT_NO_LIMIT; /* rows are fetched in chunks */
		set_cmd(st, st->cls, "DECLARE CURSOR");
		break;
	case NC(FETCH_STMT):
		set_cmd(st, SW_CLASS_READ, n->fetch_stmt->ismove ? "MOVE" : "FETCH");
		pgw_reason(w, "reads from an open cursor");
		break;
	case NC(CLOSE_PORTAL_STMT):
		set_cmd(st, SW_CLASS_SESSION, nonempty(n->close_portal_stmt->portalname) ?
			"CLOSE CURSOR" : "CLOSE CURSOR ALL");
		break;

	case NC(CREATE_TABLE_AS_STMT): {
		const PgQuery__CreateTableAsStmt *c = n->create_table_as_stmt;
		if (c->objtype == OT(MATVIEW))
			set_cmd(st, SW_CLASS_DDL, "CREATE MATERIALIZED VIEW");
		else
			set_cmd(st, SW_CLASS_DDL, c->is_select_into ? "SELECT" : "CREATE TABLE AS");
		if (c->into)
			pgw_add_rangevar(w, c->into->rel, L_AE);
		if (c->query && c->query->node_case == NC(EXECUTE_STMT)) {
			classify_execute(w, c->query->execute_stmt, false);
		} else if (c->query) {
			w->top_dml = &c->query->base;
			pgw_walk_node(w, c->query);
		}
		break;
	}
	case NC(CREATE_STMT):
		classify_create(w, n->create_stmt, "CREATE TABLE");
		break;
	case NC(CREATE_FOREIGN_TABLE_STMT):
		if (n->create_foreign_table_stmt->base_stmt)
			classify_create(w, n->create_foreign_table_stmt->base_stmt, "CREATE FOREIGN TABLE");
		set_cmd(st, SW_CLASS_DDL, "CREATE FOREIGN TABLE");
		break;
	case NC(INDEX_STMT): {
		const PgQuery__IndexStmt *ix = n->index_stmt;
		set_cmd(st, SW_CLASS_DDL, "CREATE INDEX");
		pgw_add_rangevar(w, ix->relation, ix->concurrent ? L_SUE : L_SH);
		for (size_t i = 0; i < ix->n_index_params; i++)
			if (ix->index_params[i]->node_case == NC(INDEX_ELEM) &&
			    nonempty(ix->index_params[i]->index_elem->name))
				sw_strv_push_unique(&st->columns, ix->index_params[i]->index_elem->name);
		pgw_walk(w, &ix->base);
		break;
	}
	case NC(VIEW_STMT): {
		const PgQuery__ViewStmt *v = n->view_stmt;
		set_cmd(st, SW_CLASS_DDL, "CREATE VIEW");
		pgw_add_rangevar(w, v->view, L_AE);
		w->deferred = true;
		pgw_walk_node(w, v->query);
		w->deferred = false;
		break;
	}
	case NC(ALTER_TABLE_STMT):
		classify_alter_table(w, n->alter_table_stmt);
		break;
	case NC(DROP_STMT):
		classify_drop(w, n->drop_stmt);
		break;
	case NC(TRUNCATE_STMT): {
		const PgQuery__TruncateStmt *t = n->truncate_stmt;
		set_cmd(st, SW_CLASS_WRITE, "TRUNCATE TABLE");
		st->traits |= SW_TRAIT_DESTRUCTIVE;
		for (size_t i = 0; i < t->n_relations; i++)
			if (t->relations[i]->node_case == NC(RANGE_VAR)) {
				char *nm = pgw_rangevar_name(t->relations[i]->range_var);
				pgw_add_rangevar(w, t->relations[i]->range_var, L_AE);
				pgw_reason(w, "TRUNCATE removes every row of %s", nm);
				free(nm);
			}
		break;
	}
	case NC(RENAME_STMT): {
		const PgQuery__RenameStmt *r = n->rename_stmt;
		const char *noun = alter_noun(r->rename_type);
		set_cmdf(st, r->rename_type == OT(ROLE) ? SW_CLASS_PRIVILEGE : SW_CLASS_DDL,
			 "ALTER %s", noun ? noun : "???");
		pgw_add_rangevar(w, r->relation, L_AE);
		if (r->rename_type == OT(COLUMN) && nonempty(r->subname))
			sw_strv_push_unique(&st->columns, r->subname);
		break;
	}
	case NC(ALTER_OBJECT_SCHEMA_STMT): {
		const PgQuery__AlterObjectSchemaStmt *a = n->alter_object_schema_stmt;
		const char *noun = alter_noun(a->object_type);
		set_cmdf(st, SW_CLASS_DDL, "ALTER %s", noun ? noun : "???");
		pgw_add_rangevar(w, a->relation, L_AE);
		break;
	}
	case NC(ALTER_OWNER_STMT): {
		const PgQuery__AlterOwnerStmt *a = n->alter_owner_stmt;
		const char *noun = alter_noun(a->object_type);
		set_cmdf(st, SW_CLASS_PRIVILEGE, "ALTER %s", noun ? noun : "???");
		pgw_add_rangevar(w, a->relation, L_AE);
		pgw_reason(w, "OWNER TO changes ownership");
		break;
	}
	case NC(ALTER_OBJECT_DEPENDS_STMT): {
		const char *noun = alter_noun(n->alter_object_depends_stmt->object_type);
		set_cmdf(st, SW_CLASS_DDL, "ALTER %s", noun ? noun : "???");
		pgw_add_rangevar(w, n->alter_object_depends_stmt->relation, L_AE);
		break;
	}
	case NC(COMMENT_STMT):
		set_cmd(st, SW_CLASS_DDL, "COMMENT");
		if (is_relation_type(n->comment_stmt->objtype) && n->comment_stmt->object &&
		    n->comment_stmt->object->node_case == NC(LIST)) {
			char *nm = pgw_join_names(n->comment_stmt->object->list->items,
						  n->comment_stmt->object->list->n_items);
			if (*nm)
				sw_stmt_add_object(st, nm, L_AS);
			free(nm);
		}
		break;
	case NC(SEC_LABEL_STMT):
		set_cmd(st, SW_CLASS_PRIVILEGE, "SECURITY LABEL");
		break;
	case NC(CREATE_SEQ_STMT):
		set_cmd(st, SW_CLASS_DDL, "CREATE SEQUENCE");
		pgw_add_rangevar(w, n->create_seq_stmt->sequence, L_AE);
		break;
	case NC(ALTER_SEQ_STMT):
		set_cmd(st, SW_CLASS_DDL, "ALTER SEQUENCE");
		pgw_add_rangevar(w, n->alter_seq_stmt->sequence, L_SRE);
		break;
	case NC(CREATE_TRIG_STMT): {
		const PgQuery__CreateTrigStmt *t = n->create_trig_stmt;
		char *fn = pgw_join_names(t->funcname, t->n_funcname);
		set_cmd(st, SW_CLASS_DDL, "CREATE TRIGGER");
		pgw_add_rangevar(w, t->relation, L_SRE);
		pgw_function(w, t->funcname, t->n_funcname, false);
		pgw_walk_node(w, t->when_clause);
		pgw_add_rangevar(w, t->constrrel, L_AS);
		w->st->traits |= SW_TRAIT_OPAQUE_CODE;
		pgw_reason(w, "CREATE TRIGGER: %s will run opaque code on every matching change", fn);
		free(fn);
		break;
	}
	case NC(RULE_STMT): {
		const PgQuery__RuleStmt *r = n->rule_stmt;
		set_cmd(st, SW_CLASS_DDL, "CREATE RULE");
		pgw_add_rangevar(w, r->relation, L_AE);
		w->deferred = true;
		pgw_walk_node(w, r->where_clause);
		pgw_walk_nodes(w, r->actions, r->n_actions);
		w->deferred = false;
		opaque(w, "CREATE RULE rewrites future statements on the table");
		break;
	}
	case NC(CREATE_FUNCTION_STMT): {
		const PgQuery__CreateFunctionStmt *f = n->create_function_stmt;
		set_cmd(st, SW_CLASS_PROCEDURAL, f->is_procedure ? "CREATE PROCEDURE" : "CREATE FUNCTION");
		st->traits |= SW_TRAIT_OPAQUE_CODE;
		pgw_reason(w, "CREATE %s: opaque procedural code (LANGUAGE %s), not analysed",
			   f->is_procedure ? "PROCEDURE" : "FUNCTION",
			   function_language(f->options, f->n_options));
		break;
	}
	case NC(ALTER_FUNCTION_STMT): {
		const char *noun = obj_noun(n->alter_function_stmt->objtype);
		set_cmdf(st, SW_CLASS_DDL, "ALTER %s", noun ? noun : "FUNCTION");
		break;
	}
	case NC(DO_STMT):
		set_cmd(st, SW_CLASS_PROCEDURAL, "DO");
		opaque(w, "DO block: opaque procedural code");
		break;
	case NC(CALL_STMT): {
		const PgQuery__CallStmt *c = n->call_stmt;
		char *fn = c->funccall ? pgw_join_names(c->funccall->funcname, c->funccall->n_funcname)
				       : sw_xstrdup("?");
		set_cmd(st, SW_CLASS_PROCEDURAL, "CALL");
		st->traits |= SW_TRAIT_OPAQUE_CODE;
		pgw_reason(w, "CALL %s: opaque procedural code", fn);
		free(fn);
		if (c->funccall)
			pgw_walk(w, &c->funccall->base);
		break;
	}
	case NC(CREATE_EXTENSION_STMT):
		set_cmd(st, SW_CLASS_DDL, "CREATE EXTENSION");
		opaque(w, "CREATE EXTENSION runs the extension's install script");
		break;
	case NC(ALTER_EXTENSION_STMT):
		set_cmd(st, SW_CLASS_DDL, "ALTER EXTENSION");
		opaque(w, "ALTER EXTENSION UPDATE runs the extension's update script");
		break;
	case NC(ALTER_EXTENSION_CONTENTS_STMT):
		set_cmd(st, SW_CLASS_DDL, "ALTER EXTENSION");
		break;
	case NC(CREATE_PLANG_STMT):
		set_cmd(st, SW_CLASS_DDL, "CREATE LANGUAGE");
		opaque(w, "CREATE LANGUAGE installs a procedural language handler");
		break;
	case NC(CREATE_EVENT_TRIG_STMT):
		set_cmd(st, SW_CLASS_DDL, "CREATE EVENT TRIGGER");
		pgw_function(w, n->create_event_trig_stmt->funcname, n->create_event_trig_stmt->n_funcname, false);
		opaque(w, "CREATE EVENT TRIGGER runs opaque code on future DDL");
		break;
	case NC(ALTER_EVENT_TRIG_STMT):
		set_cmd(st, SW_CLASS_DDL, "ALTER EVENT TRIGGER");
		break;
	case NC(CREATE_SCHEMA_STMT):
		simple(w, &n->create_schema_stmt->base, SW_CLASS_DDL, "CREATE SCHEMA");
		break;
	case NC(CREATEDB_STMT):
		set_cmd(st, SW_CLASS_DDL, "CREATE DATABASE");
		break;
	case NC(DROPDB_STMT):
		set_cmd(st, SW_CLASS_DDL, "DROP DATABASE");
		st->traits |= SW_TRAIT_DESTRUCTIVE;
		pgw_reason(w, "DROP DATABASE %s", n->dropdb_stmt->dbname ? n->dropdb_stmt->dbname : "");
		break;
	case NC(ALTER_DATABASE_STMT):
	case NC(ALTER_DATABASE_SET_STMT):
	case NC(ALTER_DATABASE_REFRESH_COLL_STMT):
		set_cmd(st, SW_CLASS_DDL, "ALTER DATABASE");
		break;
	case NC(CREATE_DOMAIN_STMT):
		simple(w, &n->create_domain_stmt->base, SW_CLASS_DDL, "CREATE DOMAIN");
		break;
	case NC(ALTER_DOMAIN_STMT):
		simple(w, &n->alter_domain_stmt->base, SW_CLASS_DDL, "ALTER DOMAIN");
		break;
	case NC(DEFINE_STMT): {
		const char *noun = obj_noun(n->define_stmt->kind);
		set_cmdf(st, SW_CLASS_DDL, "CREATE %s", noun ? noun : "???");
		break;
	}
	case NC(COMPOSITE_TYPE_STMT):
	case NC(CREATE_ENUM_STMT):
	case NC(CREATE_RANGE_STMT):
		set_cmd(st, SW_CLASS_DDL, "CREATE TYPE");
		break;
	case NC(ALTER_ENUM_STMT):
	case NC(ALTER_TYPE_STMT):
		set_cmd(st, SW_CLASS_DDL, "ALTER TYPE");
		break;
	case NC(CREATE_CONVERSION_STMT): set_cmd(st, SW_CLASS_DDL, "CREATE CONVERSION"); break;
	case NC(CREATE_CAST_STMT): set_cmd(st, SW_CLASS_DDL, "CREATE CAST"); break;
	case NC(CREATE_OP_CLASS_STMT): set_cmd(st, SW_CLASS_DDL, "CREATE OPERATOR CLASS"); break;
	case NC(CREATE_OP_FAMILY_STMT): set_cmd(st, SW_CLASS_DDL, "CREATE OPERATOR FAMILY"); break;
	case NC(ALTER_OP_FAMILY_STMT): set_cmd(st, SW_CLASS_DDL, "ALTER OPERATOR FAMILY"); break;
	case NC(ALTER_OPERATOR_STMT): set_cmd(st, SW_CLASS_DDL, "ALTER OPERATOR"); break;
	case NC(ALTER_TSDICTIONARY_STMT): set_cmd(st, SW_CLASS_DDL, "ALTER TEXT SEARCH DICTIONARY"); break;
	case NC(ALTER_TSCONFIGURATION_STMT): set_cmd(st, SW_CLASS_DDL, "ALTER TEXT SEARCH CONFIGURATION"); break;
	case NC(CREATE_FDW_STMT): set_cmd(st, SW_CLASS_DDL, "CREATE FOREIGN DATA WRAPPER"); break;
	case NC(ALTER_FDW_STMT): set_cmd(st, SW_CLASS_DDL, "ALTER FOREIGN DATA WRAPPER"); break;
	case NC(CREATE_FOREIGN_SERVER_STMT): set_cmd(st, SW_CLASS_DDL, "CREATE SERVER"); break;
	case NC(ALTER_FOREIGN_SERVER_STMT): set_cmd(st, SW_CLASS_DDL, "ALTER SERVER"); break;
	case NC(CREATE_USER_MAPPING_STMT): set_cmd(st, SW_CLASS_PRIVILEGE, "CREATE USER MAPPING"); break;
	case NC(ALTER_USER_MAPPING_STMT): set_cmd(st, SW_CLASS_PRIVILEGE, "ALTER USER MAPPING"); break;
	case NC(DROP_USER_MAPPING_STMT):
		set_cmd(st, SW_CLASS_PRIVILEGE, "DROP USER MAPPING");
		st->traits |= SW_TRAIT_DESTRUCTIVE;
		break;
	case NC(IMPORT_FOREIGN_SCHEMA_STMT): set_cmd(st, SW_CLASS_DDL, "IMPORT FOREIGN SCHEMA"); break;
	case NC(CREATE_TABLE_SPACE_STMT):
		set_cmd(st, SW_CLASS_DDL, "CREATE TABLESPACE");
		st->traits |= SW_TRAIT_FILE_ACCESS;
		pgw_reason(w, "CREATE TABLESPACE points the server at directory %s",
			   n->create_table_space_stmt->location ? n->create_table_space_stmt->location : "");
		break;
	case NC(DROP_TABLE_SPACE_STMT):
		set_cmd(st, SW_CLASS_DDL, "DROP TABLESPACE");
		st->traits |= SW_TRAIT_DESTRUCTIVE;
		break;
	case NC(ALTER_TABLE_SPACE_OPTIONS_STMT): set_cmd(st, SW_CLASS_DDL, "ALTER TABLESPACE"); break;
	case NC(ALTER_TABLE_MOVE_ALL_STMT): {
		const char *noun = alter_noun(n->alter_table_move_all_stmt->objtype);
		set_cmdf(st, SW_CLASS_DDL, "ALTER %s", noun ? noun : "TABLE");
		st->rewrites_table = true;
		pgw_reason(w, "ALTER ... ALL IN TABLESPACE moves (copies) every matching relation");
		break;
	}
	case NC(CREATE_POLICY_STMT):
		set_cmd(st, SW_CLASS_PRIVILEGE, "CREATE POLICY");
		pgw_add_rangevar(w, n->create_policy_stmt->table, L_AE);
		pgw_walk_node(w, n->create_policy_stmt->qual);
		pgw_walk_node(w, n->create_policy_stmt->with_check);
		break;
	case NC(ALTER_POLICY_STMT):
		set_cmd(st, SW_CLASS_PRIVILEGE, "ALTER POLICY");
		pgw_add_rangevar(w, n->alter_policy_stmt->table, L_AE);
		pgw_walk_node(w, n->alter_policy_stmt->qual);
		pgw_walk_node(w, n->alter_policy_stmt->with_check);
		break;
	case NC(CREATE_TRANSFORM_STMT): set_cmd(st, SW_CLASS_DDL, "CREATE TRANSFORM"); break;
	case NC(CREATE_AM_STMT): set_cmd(st, SW_CLASS_DDL, "CREATE ACCESS METHOD"); break;
	case NC(CREATE_PUBLICATION_STMT):
		simple(w, &n->create_publication_stmt->base, SW_CLASS_DDL, "CREATE PUBLICATION");
		break;
	case NC(ALTER_PUBLICATION_STMT):
		simple(w, &n->alter_publication_stmt->base, SW_CLASS_DDL, "ALTER PUBLICATION");
		break;
	case NC(CREATE_SUBSCRIPTION_STMT):
		set_cmd(st, SW_CLASS_DDL, "CREATE SUBSCRIPTION");
		pgw_reason(w, "CREATE SUBSCRIPTION connects to another server");
		break;
	case NC(ALTER_SUBSCRIPTION_STMT): set_cmd(st, SW_CLASS_DDL, "ALTER SUBSCRIPTION"); break;
	case NC(DROP_SUBSCRIPTION_STMT):
		set_cmd(st, SW_CLASS_DDL, "DROP SUBSCRIPTION");
		st->traits |= SW_TRAIT_DESTRUCTIVE;
		break;
	case NC(CREATE_STATS_STMT): {
		const PgQuery__CreateStatsStmt *c = n->create_stats_stmt;
		set_cmd(st, SW_CLASS_DDL, "CREATE STATISTICS");
		for (size_t i = 0; i < c->n_relations; i++)
			if (c->relations[i]->node_case == NC(RANGE_VAR))
				pgw_add_rangevar(w, c->relations[i]->range_var, L_SUE);
		pgw_walk_nodes(w, c->exprs, c->n_exprs);
		break;
	}
	case NC(ALTER_STATS_STMT): set_cmd(st, SW_CLASS_DDL, "ALTER STATISTICS"); break;
	case NC(ALTER_COLLATION_STMT): set_cmd(st, SW_CLASS_DDL, "ALTER COLLATION"); break;

	/* privilege */
	case NC(GRANT_STMT):
		simple(w, &n->grant_stmt->base, SW_CLASS_PRIVILEGE, n->grant_stmt->is_grant ? "GRANT" : "REVOKE");
		break;
	case NC(GRANT_ROLE_STMT):
		set_cmd(st, SW_CLASS_PRIVILEGE, n->grant_role_stmt->is_grant ? "GRANT ROLE" : "REVOKE ROLE");
		break;
	case NC(ALTER_DEFAULT_PRIVILEGES_STMT):
		set_cmd(st, SW_CLASS_PRIVILEGE, "ALTER DEFAULT PRIVILEGES");
		break;
	case NC(CREATE_ROLE_STMT):
		set_cmd(st, SW_CLASS_PRIVILEGE, "CREATE ROLE");
		break;
	case NC(ALTER_ROLE_STMT):
	case NC(ALTER_ROLE_SET_STMT):
		set_cmd(st, SW_CLASS_PRIVILEGE, "ALTER ROLE");
		break;
	case NC(DROP_ROLE_STMT):
		set_cmd(st, SW_CLASS_PRIVILEGE, "DROP ROLE");
		st->traits |= SW_TRAIT_DESTRUCTIVE;
		pgw_reason(w, "DROP ROLE");
		break;
	case NC(REASSIGN_OWNED_STMT):
		set_cmd(st, SW_CLASS_PRIVILEGE, "REASSIGN OWNED");
		break;
	case NC(DROP_OWNED_STMT):
		set_cmd(st, SW_CLASS_PRIVILEGE, "DROP OWNED");
		st->traits |= SW_TRAIT_DESTRUCTIVE;
		pgw_reason(w, "DROP OWNED drops every object the roles own");
		break;

	/* transaction */
	case NC(TRANSACTION_STMT):
		classify_transaction(w, n->transaction_stmt);
		break;
	case NC(CONSTRAINTS_SET_STMT):
		set_cmd(st, SW_CLASS_TRANSACTION, "SET CONSTRAINTS");
		break;

	/* session */
	case NC(VARIABLE_SET_STMT):
		classify_set(w, n->variable_set_stmt);
		break;
	case NC(VARIABLE_SHOW_STMT):
		set_cmd(st, SW_CLASS_SESSION, "SHOW");
		/* GetPGVariable: SHOW ALL is every setting, as the pg_settings view. */
		if (n->variable_show_stmt->name && strcasecmp(n->variable_show_stmt->name, "all") == 0) {
			st->traits |= SW_TRAIT_SENSITIVE_CATALOG;
			pgw_reason(w, "SHOW ALL exposes every server setting");
		}
		break;
	case NC(DISCARD_STMT):
		set_cmd(st, SW_CLASS_SESSION, discard_tag(n->discard_stmt->target));
		break;
	case NC(DEALLOCATE_STMT):
		set_cmd(st, SW_CLASS_SESSION, nonempty(n->deallocate_stmt->name) ? "DEALLOCATE" : "DEALLOCATE ALL");
		break;
	case NC(LISTEN_STMT):
		set_cmd(st, SW_CLASS_SESSION, "LISTEN");
		break;
	case NC(UNLISTEN_STMT):
		set_cmd(st, SW_CLASS_SESSION, "UNLISTEN");
		break;

	/* utility */
	case NC(NOTIFY_STMT):
		set_cmd(st, SW_CLASS_UTILITY, "NOTIFY");
		break;
	case NC(LOAD_STMT):
		set_cmd(st, SW_CLASS_UTILITY, "LOAD");
		st->traits |= SW_TRAIT_FILE_ACCESS;
		pgw_reason(w, "LOAD loads shared library %s into the server",
			   n->load_stmt->filename ? n->load_stmt->filename : "");
		break;
	case NC(CHECK_POINT_STMT):
		set_cmd(st, SW_CLASS_UTILITY, "CHECKPOINT");
		break;
	case NC(LOCK_STMT): {
		const PgQuery__LockStmt *l = n->lock_stmt;
		/* LockStmt.mode is PostgreSQL's LOCKMODE number, which lock_mode.h's values are. */
		enum sw_lockmode mode = l->mode >= L_AS && l->mode <= L_AE ? (enum sw_lockmode)l->mode : L_AE;
		set_cmd(st, SW_CLASS_UTILITY, "LOCK TABLE");
		for (size_t i = 0; i < l->n_relations; i++)
			if (l->relations[i]->node_case == NC(RANGE_VAR))
				pgw_add_rangevar(w, l->relations[i]->range_var, mode);
		pgw_reason(w, "LOCK TABLE takes %s", sw_lock_name(mode));
		break;
	}
	case NC(VACUUM_STMT):
		classify_vacuum(w, n->vacuum_stmt);
		break;
	case NC(CLUSTER_STMT):
		set_cmd(st, SW_CLASS_UTILITY, "CLUSTER");
		st->rewrites_table = true;
		if (n->cluster_stmt->relation)
			pgw_add_rangevar(w, n->cluster_stmt->relation, L_AE);
		else
			pgw_reason(w, "CLUSTER of every previously clustered table");
		pgw_reason(w, "CLUSTER rewrites the table under AccessExclusiveLock");
		break;
	case NC(REINDEX_STMT):
		classify_reindex(w, n->reindex_stmt);
		break;
	case NC(REFRESH_MAT_VIEW_STMT): {
		const PgQuery__RefreshMatViewStmt *r = n->refresh_mat_view_stmt;
		set_cmd(st, SW_CLASS_WRITE, "REFRESH MATERIALIZED VIEW");
		pgw_add_rangevar(w, r->relation, r->concurrent ? L_EX : L_AE);
		/* matview.c: CONCURRENTLY applies a diff in place; otherwise new storage is swapped in. */
		st->rewrites_table = !r->concurrent;
		pgw_reason(w, r->concurrent ? "REFRESH MATERIALIZED VIEW CONCURRENTLY recomputes the view and applies the difference" :
			   "REFRESH MATERIALIZED VIEW recomputes and rewrites the view");
		break;
	}
	case NC(ALTER_SYSTEM_STMT):
		set_cmd(st, SW_CLASS_UTILITY, "ALTER SYSTEM");
		st->traits |= SW_TRAIT_SESSION_ESCALATION;
		pgw_reason(w, "ALTER SYSTEM changes server-wide configuration");
		break;

	default:
		set_cmd(st, SW_CLASS_UNKNOWN, "UNKNOWN");
		pgw_reason(w, "statement type not recognised by the classifier");
		break;
	}
}

/* ---- entry points ---- */

static char *slice(const char *sql, size_t total, int loc, int len)
{
	size_t a = loc > 0 ? (size_t)loc : 0;
	size_t b = len > 0 ? a + (size_t)len : total;
	if (a > total)
		a = total;
	if (b > total)
		b = total;
	while (a < b && (sql[a] == ' ' || sql[a] == '\t' || sql[a] == '\n' || sql[a] == '\r' || sql[a] == '\f'))
		a++;
	while (b > a && (sql[b - 1] == ' ' || sql[b - 1] == '\t' || sql[b - 1] == '\n' ||
			 sql[b - 1] == '\r' || sql[b - 1] == '\f'))
		b--;
	return sw_xstrndup(sql + a, b - a);
}

static void parse_failed(struct sw_analysis *out, const char *sql, const char *msg)
{
	struct sw_stmt *st;
	out->parse_ok = false;
	out->error = sw_xstrdup(msg ? msg : "parse error");
	out->stmts = sw_xcalloc(1, sizeof(*out->stmts));
	out->n_stmts = 1;
	st = &out->stmts[0];
	st->text = sw_xstrdup(sql);
	st->cls = SW_CLASS_UNKNOWN;
	st->command = sw_xstrdup("UNKNOWN");
	{
		char *r = sw_xasprintf("parse error: %s", out->error);
		sw_strv_push(&st->reasons, r);
		free(r);
	}
}

struct analyze_ctx {
	const char *sql;
	size_t total;
	struct sw_analysis *out;
};

static void analyze_tree(const PgQuery__ParseResult *pr, void *arg)
{
	struct analyze_ctx *c = arg;
	struct sw_analysis *out = c->out;

	out->parse_ok = true;
	out->n_stmts = pr->n_stmts;
	out->stmts = pr->n_stmts ? sw_xcalloc(pr->n_stmts, sizeof(*out->stmts)) : NULL;
	for (size_t i = 0; i < pr->n_stmts; i++) {
		const PgQuery__RawStmt *raw = pr->stmts[i];
		struct sw_stmt *st = &out->stmts[i];
		struct pgw w;

		st->text = slice(c->sql, c->total, raw->stmt_location, raw->stmt_len);
		pgw_init(&w, st);
		classify(&w, raw->stmt);
		sw_pg_impact(raw->stmt, st);  /* impact.c: lock set, rewrite, scan, reversibility */
		sw_pg_read_facts(raw->stmt, st);  /* pg_read_facts.c: columns, scans, LIMIT (read_facts.h) */
		if (w.too_deep) {
			st->cls = SW_CLASS_UNKNOWN;
			pgw_reason(&w, "statement nests too deeply to analyse");
		}
		if (!st->command)
			st->command = sw_xstrdup("UNKNOWN");
		if (pr->n_stmts > 1) {
			st->traits |= SW_TRAIT_MULTI_STATEMENT;
			pgw_reason(&w, "the string holds %zu statements", pr->n_stmts);
		}
		pgw_fini(&w);
	}
}

static void analyze_here(const char *sql, struct sw_analysis *out)
{
	struct analyze_ctx c = { .sql = sql, .total = strlen(sql), .out = out };
	char *error;

	if (sw_pg_parse_tree(sql, analyze_tree, &c, &error) != 0) {
		parse_failed(out, sql, error);
		free(error);
	}
}

/*
 * libpg_query's parser output and protobuf-c's unpack recurse once per tree
 * level, and a left-deep expression ("SELECT 1+1+...+1") is as deep as it
 * is long: 40000 terms overflow an 8 MiB stack inside the library. So a
 * statement longer than SW_PG_INLINE_MAX is analysed on a thread with a
 * large, lazily committed stack, and one longer than SW_PG_MAX_SQL is not
 * analysed at all (class unknown, parse_ok false: fail closed).
 */
#define SW_PG_INLINE_MAX ((size_t)8 << 10)
#define SW_PG_MAX_SQL    ((size_t)2 << 20)
#define SW_PG_BIG_STACK  ((size_t)1 << 30)
#define SW_PG_GUARD      ((size_t)64 << 10)

struct analyze_job {
	const char *sql;
	struct sw_analysis *out;
	struct sw_pg_lex lex;      /* the caller's lexing settings (pg_tree.h), per thread */
};

static void *analyze_job_run(void *arg)
{
	struct analyze_job *j = arg;
	sw_pg_tree_set_lex(&j->lex);
	analyze_here(j->sql, j->out);
	return NULL;
}

static bool analyze_on_big_stack(const char *sql, struct sw_analysis *out)
{
	struct analyze_job job = { sql, out, sw_pg_tree_get_lex() };
	pthread_attr_t attr;
	pthread_t th;
	char *map;
	bool ok = false;

	map = mmap(NULL, SW_PG_BIG_STACK + SW_PG_GUARD, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (map == MAP_FAILED)
		return false;
	/* Guard below the stack: an overflow faults instead of corrupting memory. */
	if (mprotect(map, SW_PG_GUARD, PROT_NONE) == 0 && pthread_attr_init(&attr) == 0) {
		if (pthread_attr_setstack(&attr, map + SW_PG_GUARD, SW_PG_BIG_STACK) == 0 &&
		    pthread_create(&th, &attr, analyze_job_run, &job) == 0) {
			pthread_join(th, NULL);
			ok = true;
		}
		pthread_attr_destroy(&attr);
	}
	munmap(map, SW_PG_BIG_STACK + SW_PG_GUARD);
	return ok;
}

/*
 * CREATE FUNCTION ... LANGUAGE sql: the locks its validator takes parsing the
 * body (impact.c keeps the body in sql_function_body), found by analysing the
 * body once the outer parse is over. Parse analysis takes the named
 * relations' locks (AccessShareLock, RowExclusiveLock for write targets),
 * nothing the executor would add.
 */
static void body_locks(struct sw_stmt *st)
{
	struct sw_impact *im = st->impact;
	struct sw_analysis a;

	if (!im || !im->sql_function_body)
		return;
	sw_pg_analyze(im->sql_function_body, &a);
	for (size_t i = 0; a.parse_ok && i < a.n_stmts; i++) {
		const struct sw_impact *b = a.stmts[i].impact;
		for (size_t k = 0; b && k < b->n_locks; k++) {
			const struct sw_lock_entry *e = &b->locks[k];
			if (e->via == SW_VIA_NAMED && e->mode <= SW_LOCK_ROW_EXCLUSIVE)
				sw_impact_add_lock(im, e->object, SW_VIA_NAMED, NULL, e->mode,
						   "executor/functions.c fmgr_sql_validator (check_function_bodies)");
		}
	}
	sw_analysis_free(&a);
	free(im->sql_function_body);
	im->sql_function_body = NULL;
}

void sw_pg_analyze(const char *sql, struct sw_analysis *out)
{
	size_t len;

	memset(out, 0, sizeof(*out));
	out->engine = SW_ENGINE_POSTGRES;
	if (!sql)
		sql = "";
	len = strlen(sql);
	if (len <= SW_PG_INLINE_MAX) {
		analyze_here(sql, out);
	} else if (len > SW_PG_MAX_SQL) {
		char *msg = sw_xasprintf("statement too large to analyse (%zu bytes, limit %zu)", len, SW_PG_MAX_SQL);
		parse_failed(out, sql, msg);
		free(msg);
	} else if (!analyze_on_big_stack(sql, out)) {
		parse_failed(out, sql, "could not set up a stack to analyse the statement");
	}
	/* SQL function bodies are analysed now that this parse is over (the parser is not re-entrant). */
	for (size_t i = 0; i < out->n_stmts; i++)
		body_locks(&out->stmts[i]);
}

struct dealloc_ctx {
	bool found;
	char *name;
};

static void dealloc_tree(const PgQuery__ParseResult *pr, void *arg)
{
	struct dealloc_ctx *c = arg;

	if (pr->n_stmts == 1 && pr->stmts[0]->stmt && pr->stmts[0]->stmt->node_case == NC(DEALLOCATE_STMT)) {
		const char *nm = pr->stmts[0]->stmt->deallocate_stmt->name;
		c->found = true;
		c->name = nonempty(nm) ? sw_xstrdup(nm) : NULL;
	}
}

bool sw_pg_deallocate_target(const char *text, char **name)
{
	struct dealloc_ctx c = { 0 };
	char *error;

	if (sw_pg_parse_tree(text ? text : "", dealloc_tree, &c, &error) != 0) {
		free(error);
		*name = NULL;
		return false;
	}
	*name = c.name;
	return c.found;
}
