/*
 * Impact analysis of one PostgreSQL statement (see impact.h).
 *
 * The lock table follows PostgreSQL 15's own source; every lock carries the
 * function that takes it (REL_15_STABLE paths below src/backend/). The
 * relations a statement names come from the classifier (st->objects, whose
 * modes pg_classify.c derives from the same sources, e.g. ALTER TABLE's
 * strongest mode over its subcommands, tablecmds.c AlterTableGetLockLevel);
 * this file adds the relations PostgreSQL locks without the statement naming
 * them, and the rewrite/scan/transaction-block/reversibility facts.
 *
 * tests/corpus/pg_locks_corpus.sql is checked against a real PostgreSQL 15
 * by `sqlward check --verify` (tests/integration/test_impact_verify.sh).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include "impact.h"
#include "live_facts.h"
#include "pg_lock_table.h"
#include "pg_walk.h"
#include "util.h"

#define NC(x) PG_QUERY__NODE__NODE_##x
#define OT(x) PG_QUERY__OBJECT_TYPE__OBJECT_##x
#define AT(x) PG_QUERY__ALTER_TABLE_TYPE__AT_##x
#define CT(x) PG_QUERY__CONSTR_TYPE__CONSTR_##x

/* Sources, cited once. */
#define SRC_PARSE_READ   "parser/parse_relation.c addRangeTableEntry (AccessShareLock for read relations)"
#define SRC_PARSE_TARGET "parser/parse_clause.c setTargetTable (RowExclusiveLock on the DML target)"
#define SRC_ROWMARK      "parser/parse_relation.c addRangeTableEntry (RowShareLock for FOR UPDATE/SHARE)"
#define SRC_ALTER_TABLE  "commands/tablecmds.c AlterTableGetLockLevel (strongest over the subcommands)"
#define SRC_ADD_FK       "commands/tablecmds.c ATAddForeignKeyConstraint (ShareRowExclusiveLock on the referenced table)"
#define SRC_CREATE_TABLE "commands/tablecmds.c DefineRelation (new relation AccessExclusiveLock; parent ShareUpdateExclusiveLock, AccessExclusiveLock for PARTITION OF)"
#define SRC_DEFAULT_PART "commands/tablecmds.c DefineRelation / ATExecAttachPartition / ATExecDetachPartition (default partition AccessExclusiveLock)"
#define SRC_ATTACH       "commands/tablecmds.c ATExecAttachPartition (attached table AccessExclusiveLock)"
#define SRC_DETACH       "commands/tablecmds.c ATExecDetachPartition (partition AccessExclusiveLock, ShareUpdateExclusiveLock when CONCURRENTLY)"
#define SRC_DROP_REL     "commands/tablecmds.c RemoveRelations / RangeVarCallbackForDropRelation (AccessExclusiveLock; DROP INDEX locks the table first, ShareUpdateExclusiveLock when CONCURRENTLY)"
#define SRC_DROP_FK      "catalog/pg_constraint.c RemoveConstraintById and commands/trigger.c RemoveTriggerById (AccessExclusiveLock on the other table of a foreign key)"
#define SRC_DROP_DEPS    "catalog/dependency.c performDeletion -> view.c / rewriteRemove.c (dependent views dropped by CASCADE: AccessExclusiveLock)"
#define SRC_TRUNCATE     "commands/tablecmds.c ExecuteTruncate (AccessExclusiveLock on every table, including CASCADE's heap_truncate_find_FKs)"
#define SRC_INDEX        "commands/indexcmds.c DefineIndex (ShareLock, ShareUpdateExclusiveLock when CONCURRENTLY)"
#define SRC_REINDEX      "commands/indexcmds.c ReindexIndex/ReindexTable and catalog/index.c reindex_index (table ShareLock, index AccessExclusiveLock; ShareUpdateExclusiveLock when CONCURRENTLY)"
#define SRC_TRIGGER      "commands/trigger.c CreateTrigger (ShareRowExclusiveLock; constraint FROM table AccessShareLock)"
#define SRC_DROP_ON_TBL  "commands/dropcmds.c RemoveObjects -> catalog/objectaddress.c get_object_address (table of a trigger/rule/policy AccessExclusiveLock)"
#define SRC_MATVIEW      "commands/matview.c ExecRefreshMatView (AccessExclusiveLock, ExclusiveLock when CONCURRENTLY)"
#define SRC_VACUUM       "commands/vacuum.c vacuum_rel / commands/analyze.c analyze_rel (ShareUpdateExclusiveLock, AccessExclusiveLock for FULL)"
#define SRC_CLUSTER      "commands/cluster.c cluster_rel (AccessExclusiveLock)"
#define SRC_COPY         "commands/copy.c DoCopy (RowExclusiveLock for COPY FROM, AccessShareLock for COPY TO)"
#define SRC_CLUSTER_ALL  "commands/cluster.c cluster -> get_tables_to_cluster (every clustered table the user owns) -> cluster_rel (AccessExclusiveLock)"
#define SRC_VACUUM_TRUNC "access/heap/vacuumlazy.c lazy_truncate_heap (ConditionalLockRelation AccessExclusiveLock)"
#define WHY_VACUUM_TRUNC "the truncation phase asks for AccessExclusiveLock only when the table ends in empty pages, " \
	"and only conditionally: it gives up at once if anyone else holds a lock (vacuum_truncate = off skips it)"
#define SRC_DOMAIN       "commands/typecmds.c validateDomainConstraint / AlterDomainNotNull -> get_rels_with_domain (ShareLock on every relation with a column of the domain)"
#define SRC_SEQFUNC      "commands/sequence.c nextval_internal / do_setval / currval_oid -> init_sequence -> lock_and_open_sequence (RowExclusiveLock)"
#define SRC_COMMENT_SUB  "commands/comment.c CommentObject -> catalog/objectaddress.c get_object_address_relobject (table of a constraint/trigger/rule/policy: AccessShareLock)"
#define SRC_LOCK         "commands/lockcmds.c LockTableCommand (the mode written)"
#define SRC_COMMENT      "commands/comment.c CommentObject -> get_object_address (ShareUpdateExclusiveLock)"
#define SRC_RENAME       "commands/tablecmds.c RenameRelation / renameatt / RenameConstraint (AccessExclusiveLock; ShareUpdateExclusiveLock for ALTER INDEX RENAME)"
#define SRC_POLICY       "commands/policy.c CreatePolicy/AlterPolicy (AccessExclusiveLock)"
#define SRC_STATS        "commands/statscmds.c CreateStatistics (ShareUpdateExclusiveLock)"
#define SRC_SEQUENCE     "commands/sequence.c AlterSequence (ShareRowExclusiveLock)"
#define SRC_RULE         "rewrite/rewriteDefine.c DefineQueryRewrite (AccessExclusiveLock)"
#define SRC_SCHEMA       "commands/tablecmds.c AlterTableNamespace / ATExecChangeOwner (AccessExclusiveLock)"
#define SRC_VIEW         "commands/view.c DefineView (new view AccessExclusiveLock; OR REPLACE locks the old one)"
#define SRC_CHILDREN     "optimizer/util/inherit.c expand_inherited_rtentry / commands/tablecmds.c find_all_inheritors callers (partitions and children get the parent's mode)"
#define SRC_VIEW_BASE    "rewrite/rewriteHandler.c ApplyRetrieveRule / AcquireRewriteLocks (a view's relations are read with AccessShareLock)"
#define SRC_DROP_PART    "catalog/heap.c heap_drop_with_catalog (dropping a partition locks its parent and the default partition AccessExclusiveLock)"
#define SRC_INHERIT      "commands/tablecmds.c ATExecAddInherit (parent ShareUpdateExclusiveLock)"
#define SRC_VALIDATE_FK  "commands/tablecmds.c ATExecValidateConstraint (referenced table RowShareLock when the constraint is a foreign key)"

/* PreventInTransactionBlock() callers (PostgreSQL 15). */
#define TXB_CIC      "tcop/utility.c ProcessUtilitySlow: PreventInTransactionBlock(\"CREATE INDEX CONCURRENTLY\")"
#define TXB_DIC      "tcop/utility.c ExecDropStmt: PreventInTransactionBlock(\"DROP INDEX CONCURRENTLY\")"
#define TXB_REINDEX  "commands/indexcmds.c ExecReindex: PreventInTransactionBlock(\"REINDEX CONCURRENTLY\" / REINDEX SCHEMA|SYSTEM|DATABASE)"
#define TXB_DETACH   "commands/tablecmds.c ATPrepCmd: PreventInTransactionBlock(\"ALTER TABLE ... DETACH CONCURRENTLY\")"
#define TXB_VACUUM   "commands/vacuum.c vacuum: PreventInTransactionBlock(\"VACUUM\")"
#define TXB_CLUSTER  "commands/cluster.c cluster: PreventInTransactionBlock(\"CLUSTER\") (CLUSTER without a table name)"
#define TXB_DB       "tcop/utility.c standard_ProcessUtility: PreventInTransactionBlock(\"CREATE/DROP DATABASE\", \"CREATE/DROP TABLESPACE\", \"ALTER SYSTEM\")"

static const char *const via_names[] = {
	"named", "table_of_index", "indexes_of", "fk_referenced", "fk_referencing",
	"default_partition", "dependent_views", "fk_of_constraint", "children", "view_base",
	"parent", "parent_default", "matview_base", "domain_tables", "clustered_tables", "sequence",
};

const char *sw_via_name(enum sw_via v)
{
	return (unsigned)v < sizeof(via_names) / sizeof(via_names[0]) ? via_names[v] : "?";
}

static const char *const rev_names[] = { "none_needed", "reversible", "backup_only", "unknown" };

const char *sw_reversibility_name(enum sw_reversibility r)
{
	return (unsigned)r < 4 ? rev_names[r] : "unknown";
}

bool sw_reversibility_parse(const char *name, enum sw_reversibility *out)
{
	for (unsigned i = 0; i < 4; i++)
		if (strcmp(name, rev_names[i]) == 0) {
			*out = (enum sw_reversibility)i;
			return true;
		}
	return false;
}

void sw_impact_add_lock(struct sw_impact *im, const char *object, enum sw_via via,
			const char *detail, enum sw_lockmode mode, const char *source)
{
	for (size_t i = 0; i < im->n_locks; i++) {
		struct sw_lock_entry *e = &im->locks[i];
		if (e->via == via && strcmp(e->object, object) == 0 &&
		    ((!e->detail && !detail) || (e->detail && detail && strcmp(e->detail, detail) == 0))) {
			if (mode > e->mode) {
				e->mode = mode;
				e->source = source;
			}
			goto done;
		}
	}
	im->locks = sw_xrealloc(im->locks, (im->n_locks + 1) * sizeof(*im->locks));
	im->locks[im->n_locks] = (struct sw_lock_entry){
		.object = sw_xstrdup(object), .via = via, .detail = detail ? sw_xstrdup(detail) : NULL,
		.mode = mode, .source = source,
	};
	im->n_locks++;
	if (via != SW_VIA_NAMED)
		im->lock_set_partial = true;
done:
	if (mode > im->strongest)
		im->strongest = mode;
}

/* Replace the mode of a named relation (or add it): for the statements whose
 * table lock differs from the classifier's `locks` convention. */
static void set_named(struct sw_impact *im, const char *object, enum sw_lockmode mode, const char *source)
{
	for (size_t i = 0; i < im->n_locks; i++)
		if (im->locks[i].via == SW_VIA_NAMED && strcmp(im->locks[i].object, object) == 0) {
			im->locks[i].mode = mode;
			im->locks[i].source = source;
			return;
		}
	sw_impact_add_lock(im, object, SW_VIA_NAMED, NULL, mode, source);
}

/* Add a lock PostgreSQL may take in a weaker mode or not at all: the
 * prediction is an upper bound, and says why. */
static void add_conservative(struct sw_impact *im, const char *object, enum sw_via via, const char *detail,
			     enum sw_lockmode mode, const char *source, const char *why)
{
	sw_impact_add_lock(im, object, via, detail, mode, source);
	for (size_t i = 0; i < im->n_locks; i++)
		if (im->locks[i].via == via && strcmp(im->locks[i].object, object) == 0 &&
		    ((!detail && !im->locks[i].detail) ||
		     (detail && im->locks[i].detail && strcmp(detail, im->locks[i].detail) == 0)))
			im->locks[i].conservative = why;
	if (!im->conservative)
		im->conservative = why;
}

static void drop_lock(struct sw_impact *im, size_t i)
{
	free(im->locks[i].object);
	free(im->locks[i].detail);
	memmove(&im->locks[i], &im->locks[i + 1], (im->n_locks - i - 1) * sizeof(im->locks[0]));
	im->n_locks--;
}

/* Utility statements read no rows: the view/children entries added for
 * the relations a query reads (dml_secondaries) do not apply. */
static void drop_query_secondaries(struct sw_impact *im)
{
	for (size_t i = im->n_locks; i-- > 0;)
		if (im->locks[i].via == SW_VIA_CHILDREN || im->locks[i].via == SW_VIA_VIEW_BASE)
			drop_lock(im, i);
}

/* Marks the entry (object, via) as taken only when rows are written. */
static void set_if_rows(struct sw_impact *im, const char *object, enum sw_via via)
{
	for (size_t i = 0; i < im->n_locks; i++)
		if (im->locks[i].via == via && strcmp(im->locks[i].object, object) == 0)
			im->locks[i].if_rows = true;
}

static void recompute_strongest(struct sw_impact *im)
{
	im->strongest = SW_LOCK_NONE;
	for (size_t i = 0; i < im->n_locks; i++)
		if (im->locks[i].mode > im->strongest)
			im->strongest = im->locks[i].mode;
}

void sw_impact_free(struct sw_impact *im)
{
	if (!im)
		return;
	for (size_t i = 0; i < im->n_locks; i++) {
		free(im->locks[i].object);
		free(im->locks[i].detail);
	}
	free(im->locks);
	free(im->rewrite_why);
	free(im->scan_why);
	free(im->no_tx_source);
	free(im->rollback);
	free(im->safer);
	free(im->not_null_table);
	free(im->not_null_column);
	free(im->created_table);
	free(im->sql_function_body);
	free(im->type_table);
	free(im->type_column);
	free(im->type_new);
	free(im->fails_if);
	sw_live_free(im->live);
	free(im);
}

static char *dup0(const char *s)
{
	return s ? sw_xstrdup(s) : NULL;
}

struct sw_impact *sw_impact_dup(const struct sw_impact *im)
{
	struct sw_impact *d;
	if (!im)
		return NULL;
	d = sw_xcalloc(1, sizeof(*d));
	*d = *im;
	d->locks = im->n_locks ? sw_xcalloc(im->n_locks, sizeof(*d->locks)) : NULL;
	for (size_t i = 0; i < im->n_locks; i++) {
		d->locks[i] = im->locks[i];
		d->locks[i].object = sw_xstrdup(im->locks[i].object);
		d->locks[i].detail = dup0(im->locks[i].detail);
	}
	d->rewrite_why = dup0(im->rewrite_why);
	d->scan_why = dup0(im->scan_why);
	d->no_tx_source = dup0(im->no_tx_source);
	d->rollback = dup0(im->rollback);
	d->safer = dup0(im->safer);
	d->not_null_table = dup0(im->not_null_table);
	d->not_null_column = dup0(im->not_null_column);
	d->created_table = dup0(im->created_table);
	d->sql_function_body = dup0(im->sql_function_body);
	d->type_table = dup0(im->type_table);
	d->type_column = dup0(im->type_column);
	d->type_new = dup0(im->type_new);
	d->fails_if = dup0(im->fails_if);
	d->live = sw_live_dup(im->live);
	return d;
}

void sw_stmt_attach_impact(struct sw_stmt *st, struct sw_impact *im)
{
	static const struct sw_impact_ops ops = { sw_impact_free, sw_impact_dup };

	sw_impact_free(st->impact);
	st->impact = im;
	st->impact_ops = &ops;
}

enum sw_lockmode sw_stmt_strongest_lock(const struct sw_stmt *st)
{
	enum sw_lockmode m = SW_LOCK_NONE;
	if (st->impact)
		return st->impact->strongest;
	for (size_t i = 0; i < st->n_objects; i++)
		m = sw_lock_stronger(m, st->objects[i].lock);
	return m;
}

/* ---- helpers ---- */

static void set_str(char **dst, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_str(char **dst, const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	s = sw_xvasprintf(fmt, ap);
	va_end(ap);
	free(*dst);
	*dst = s;
}

static void add_rewrite(struct sw_impact *im, const char *why)
{
	im->rewrite = im->new_storage = true;
	if (!im->rewrite_why)
		im->rewrite_why = sw_xstrdup(why);
}

static void add_scan(struct sw_impact *im, const char *why)
{
	im->scan = true;
	if (!im->scan_why)
		im->scan_why = sw_xstrdup(why);
}

static void no_tx(struct sw_impact *im, const char *source)
{
	im->no_transaction_block = true;
	if (!im->no_tx_source)
		im->no_tx_source = sw_xstrdup(source);
}

static void safer(struct sw_impact *im, const char *text)
{
	if (!im->safer)
		im->safer = sw_xstrdup(text);
}

/* Advice to use a CONCURRENTLY variant: moot for a table created earlier in the same transaction. */
static void safer_concurrently(struct sw_impact *im, const char *text)
{
	if (!im->safer)
		im->safer_concurrently = true;
	safer(im, text);
}

static bool nonempty(const char *s)
{
	return s && *s;
}

/* An identifier as SQL: quoted unless it is a plain lower-case name. */
static void append_ident(char **buf, size_t *len, const char *id)
{
	bool plain = id[0] && (islower((unsigned char)id[0]) || id[0] == '_');
	size_t n = strlen(id);
	for (const char *p = id; *p && plain; p++)
		plain = islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_' || *p == '$';
	*buf = sw_xrealloc(*buf, *len + 2 * n + 3);
	if (plain) {
		memcpy(*buf + *len, id, n);
		*len += n;
	} else {
		(*buf)[(*len)++] = '"';
		for (const char *p = id; *p; p++) {
			if (*p == '"')
				(*buf)[(*len)++] = '"';
			(*buf)[(*len)++] = *p;
		}
		(*buf)[(*len)++] = '"';
	}
	(*buf)[*len] = 0;
}

static char *qident(const char *id)
{
	char *buf = NULL;
	size_t len = 0;
	append_ident(&buf, &len, id ? id : "");
	return buf;
}

static char *qrangevar(const PgQuery__RangeVar *rv)
{
	char *buf = NULL;
	size_t len = 0;
	if (!rv || !nonempty(rv->relname))
		return sw_xstrdup("?");
	if (nonempty(rv->schemaname)) {
		append_ident(&buf, &len, rv->schemaname);
		buf = sw_xrealloc(buf, len + 2);
		buf[len++] = '.';
		buf[len] = 0;
	}
	append_ident(&buf, &len, rv->relname);
	return buf;
}

/* A qualified name given as a List of Strings (DROP objects), quoted. */
static char *qlist(PgQuery__Node *const *v, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		const char *s = pgw_str(v[i]);
		if (!s)
			continue;
		if (len) {
			buf = sw_xrealloc(buf, len + 2);
			buf[len++] = '.';
			buf[len] = 0;
		}
		append_ident(&buf, &len, s);
	}
	return buf ? buf : sw_xstrdup("?");
}

static bool defelem_named_true(PgQuery__Node *const *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		const PgQuery__DefElem *d;
		if (v[i]->node_case != NC(DEF_ELEM))
			continue;
		d = v[i]->def_elem;
		if (!d->defname || strcmp(d->defname, name) != 0)
			continue;
		if (!d->arg)
			return true;
		if (d->arg->node_case == NC(BOOLEAN))
			return d->arg->boolean->boolval;
		if (d->arg->node_case == NC(INTEGER))
			return d->arg->integer->ival != 0;
		if (d->arg->node_case == NC(STRING))
			return !(strcasecmp(d->arg->string->sval, "false") == 0 ||
				 strcasecmp(d->arg->string->sval, "off") == 0 || strcmp(d->arg->string->sval, "0") == 0);
		return true;
	}
	return false;
}

/* Build the rollback statement from pieces, newest last; reversibility is
 * the worst over the pieces. */
struct undo {
	enum sw_reversibility rev;
	char *text;       /* concatenated undo statements (in reverse order of the subcommands) */
};

static void undo_worse(struct undo *u, enum sw_reversibility r)
{
	/* unknown < backup_only in how bad it is? backup_only is a certain loss; keep it. */
	static const int rank[] = { [SW_REV_NONE_NEEDED] = 0, [SW_REV_REVERSIBLE] = 1,
				    [SW_REV_UNKNOWN] = 2, [SW_REV_BACKUP_ONLY] = 3 };
	if (rank[r] > rank[u->rev])
		u->rev = r;
}

static void undo_prepend(struct undo *u, const char *stmt)
{
	char *n = sw_xasprintf("%s%s%s", stmt, u->text ? " " : "", u->text ? u->text : "");
	free(u->text);
	u->text = n;
}

/* ---- per statement ---- */

static void fk_constraints(struct sw_impact *im, PgQuery__Node *const *cons, size_t n, const char *table)
{
	for (size_t i = 0; i < n; i++) {
		const PgQuery__Constraint *c;
		if (cons[i]->node_case != NC(CONSTRAINT))
			continue;
		c = cons[i]->constraint;
		if (c->contype == CT(FOREIGN) && c->pktable) {
			char *nm = pgw_rangevar_name(c->pktable);
			set_named(im, nm, SW_LOCK_SHARE_ROW_EXCLUSIVE, SRC_ADD_FK);
			free(nm);
			if (!c->skip_validation && table)
				add_scan(im, "a new FOREIGN KEY is validated by reading every row of the table "
					 "(tablecmds.c validateForeignKeyConstraint)");
		}
	}
}

static void impact_create(struct sw_impact *im, const PgQuery__CreateStmt *c, struct undo *u)
{
	char *nm = pgw_rangevar_name(c->relation);
	char *q = qrangevar(c->relation);
	char *stmt;

	set_named(im, nm, SW_LOCK_ACCESS_EXCLUSIVE, SRC_CREATE_TABLE);
	/* IF NOT EXISTS may keep an existing table with its rows: not new. */
	if (!c->if_not_exists && nm)
		im->created_table = sw_xstrdup(nm);
	for (size_t i = 0; i < c->n_inh_relations; i++) {
		char *parent;
		if (c->inh_relations[i]->node_case != NC(RANGE_VAR))
			continue;
		parent = pgw_rangevar_name(c->inh_relations[i]->range_var);
		if (c->partbound) {
			set_named(im, parent, SW_LOCK_ACCESS_EXCLUSIVE, SRC_CREATE_TABLE);
			if (!c->partbound->is_default) {
				sw_impact_add_lock(im, parent, SW_VIA_DEFAULT_PARTITION, NULL,
						   SW_LOCK_ACCESS_EXCLUSIVE, SRC_DEFAULT_PART);
				add_scan(im, "if the parent has a default partition, it is scanned for rows "
					 "that belong to the new partition (partbounds.c check_default_partition_contents)");
			}
		} else {
			set_named(im, parent, SW_LOCK_SHARE_UPDATE_EXCLUSIVE, SRC_CREATE_TABLE);
		}
		free(parent);
	}
	for (size_t i = 0; i < c->n_table_elts; i++)
		if (c->table_elts[i]->node_case == NC(COLUMN_DEF))
			fk_constraints(im, c->table_elts[i]->column_def->constraints,
				       c->table_elts[i]->column_def->n_constraints, NULL);
	fk_constraints(im, c->table_elts, c->n_table_elts, NULL);
	fk_constraints(im, c->constraints, c->n_constraints, NULL);
	stmt = sw_xasprintf("DROP TABLE %s;", q);
	undo_worse(u, SW_REV_REVERSIBLE);
	undo_prepend(u, stmt);
	free(stmt);
	free(q);
	free(nm);
}

static void impact_index(struct sw_impact *im, const PgQuery__IndexStmt *ix, struct undo *u)
{
	char *nm = pgw_rangevar_name(ix->relation);
	set_named(im, nm, ix->concurrent ? SW_LOCK_SHARE_UPDATE_EXCLUSIVE : SW_LOCK_SHARE, SRC_INDEX);
	if (ix->relation && ix->relation->inh)
		sw_impact_add_lock(im, nm, SW_VIA_CHILDREN, NULL, SW_LOCK_SHARE, SRC_INDEX);
	add_scan(im, "CREATE INDEX reads every row of the table to build the index");
	if (ix->concurrent) {
		im->concurrently = true;
		no_tx(im, TXB_CIC);
	} else {
		safer_concurrently(im, "CREATE INDEX CONCURRENTLY (outside a transaction block) takes ShareUpdateExclusiveLock, "
		      "so writes continue while the index is built; check for an INVALID index if it fails");
	}
	undo_worse(u, SW_REV_REVERSIBLE);
	if (nonempty(ix->idxname)) {
		char *idx = qident(ix->idxname);
		char *stmt = sw_xasprintf("DROP INDEX %s%s%s%s;", ix->concurrent ? "CONCURRENTLY " : "",
					  nonempty(ix->relation->schemaname) ? ix->relation->schemaname : "",
					  nonempty(ix->relation->schemaname) ? "." : "", idx);
		undo_prepend(u, stmt);
		free(stmt);
		free(idx);
	} else {
		undo_prepend(u, "DROP INDEX <the generated index name>;");
	}
	free(nm);
}

static void impact_drop(struct sw_impact *im, const PgQuery__DropStmt *d, struct undo *u)
{
	bool cascade = d->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE;
	PgQuery__ObjectType t = d->remove_type;

	for (size_t i = 0; i < d->n_objects; i++) {
		const PgQuery__Node *o = d->objects[i];
		char *name = NULL, *q = NULL;
		if (o->node_case != NC(LIST))
			continue;
		if (t == OT(TRIGGER) || t == OT(RULE) || t == OT(POLICY)) {
			if (o->list->n_items > 1) {
				name = pgw_join_names(o->list->items, o->list->n_items - 1);
				set_named(im, name, SW_LOCK_ACCESS_EXCLUSIVE, SRC_DROP_ON_TBL);
			}
			undo_worse(u, SW_REV_UNKNOWN);
			free(name);
			continue;
		}
		name = pgw_join_names(o->list->items, o->list->n_items);
		q = qlist(o->list->items, o->list->n_items);
		switch (t) {
		case OT(INDEX):
			set_named(im, name, SW_LOCK_ACCESS_EXCLUSIVE, SRC_DROP_REL);
			sw_impact_add_lock(im, name, SW_VIA_TABLE_OF_INDEX, NULL,
					   d->concurrent ? SW_LOCK_SHARE_UPDATE_EXCLUSIVE : SW_LOCK_ACCESS_EXCLUSIVE,
					   SRC_DROP_REL);
			if (d->concurrent) {
				im->concurrently = true;
				set_named(im, name, SW_LOCK_SHARE_UPDATE_EXCLUSIVE, SRC_DROP_REL);
				no_tx(im, TXB_DIC);
			} else {
				safer_concurrently(im, "DROP INDEX CONCURRENTLY (outside a transaction block) waits for running "
				      "queries instead of blocking reads and writes of the table");
			}
			undo_worse(u, SW_REV_REVERSIBLE);
			{
				char *s = sw_xasprintf("-- recreate %s from pg_get_indexdef('%s'::regclass), saved before the DROP",
						       q, q);
				undo_prepend(u, s);
				free(s);
			}
			break;
		case OT(TABLE): case OT(MATVIEW): case OT(FOREIGN_TABLE):
			set_named(im, name, SW_LOCK_ACCESS_EXCLUSIVE, SRC_DROP_REL);
			if (t == OT(TABLE) || t == OT(FOREIGN_TABLE)) {
				sw_impact_add_lock(im, name, SW_VIA_CHILDREN, NULL, SW_LOCK_ACCESS_EXCLUSIVE, SRC_DROP_REL);
				sw_impact_add_lock(im, name, SW_VIA_PARENT, NULL, SW_LOCK_ACCESS_EXCLUSIVE, SRC_DROP_PART);
				sw_impact_add_lock(im, name, SW_VIA_PARENT_DEFAULT, NULL, SW_LOCK_ACCESS_EXCLUSIVE,
						   SRC_DROP_PART);
			}
			if (t == OT(TABLE)) {
				sw_impact_add_lock(im, name, SW_VIA_FK_REFERENCED, NULL,
						   SW_LOCK_ACCESS_EXCLUSIVE, SRC_DROP_FK);
				if (cascade)
					sw_impact_add_lock(im, name, SW_VIA_FK_REFERENCING, NULL,
							   SW_LOCK_ACCESS_EXCLUSIVE, SRC_DROP_FK);
			}
			if (cascade)
				sw_impact_add_lock(im, name, SW_VIA_DEPENDENT_VIEWS, NULL,
						   SW_LOCK_ACCESS_EXCLUSIVE, SRC_DROP_DEPS);
			undo_worse(u, t == OT(FOREIGN_TABLE) ? SW_REV_UNKNOWN : SW_REV_BACKUP_ONLY);
			break;
		case OT(VIEW):
			set_named(im, name, SW_LOCK_ACCESS_EXCLUSIVE, SRC_DROP_REL);
			if (cascade)
				sw_impact_add_lock(im, name, SW_VIA_DEPENDENT_VIEWS, NULL,
						   SW_LOCK_ACCESS_EXCLUSIVE, SRC_DROP_DEPS);
			undo_worse(u, cascade ? SW_REV_UNKNOWN : SW_REV_REVERSIBLE);
			{
				char *s = sw_xasprintf("-- recreate %s from pg_get_viewdef('%s'::regclass), saved before the DROP",
						       q, q);
				undo_prepend(u, s);
				free(s);
			}
			break;
		case OT(SEQUENCE):
			set_named(im, name, SW_LOCK_ACCESS_EXCLUSIVE, SRC_DROP_REL);
			undo_worse(u, SW_REV_BACKUP_ONLY);
			break;
		default:
			undo_worse(u, SW_REV_UNKNOWN);
			break;
		}
		free(name);
		free(q);
	}
}

static void impact_truncate(struct sw_impact *im, const PgQuery__TruncateStmt *t, struct undo *u)
{
	bool cascade = t->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE;
	for (size_t i = 0; i < t->n_relations; i++) {
		char *nm;
		if (t->relations[i]->node_case != NC(RANGE_VAR))
			continue;
		nm = pgw_rangevar_name(t->relations[i]->range_var);
		set_named(im, nm, SW_LOCK_ACCESS_EXCLUSIVE, SRC_TRUNCATE);
		if (t->relations[i]->range_var->inh)
			sw_impact_add_lock(im, nm, SW_VIA_CHILDREN, NULL, SW_LOCK_ACCESS_EXCLUSIVE, SRC_TRUNCATE);
		if (cascade)
			sw_impact_add_lock(im, nm, SW_VIA_FK_REFERENCING, NULL, SW_LOCK_ACCESS_EXCLUSIVE, SRC_TRUNCATE);
		free(nm);
	}
	im->new_storage = true;
	undo_worse(u, SW_REV_BACKUP_ONLY);
	safer(im, "DELETE in batches keeps the table readable and writable, but only a backup undoes either");
}

/* ALTER TABLE: one subcommand. */
static void impact_alter_cmd(struct sw_impact *im, const char *table, const char *qtable,
			     PgQuery__ObjectType objtype, const PgQuery__AlterTableCmd *cmd, struct undo *u,
			     const struct sw_stmt *st)
{
	const char *col = cmd->name;
	char *qcol = nonempty(col) ? qident(col) : NULL;
	char *s = NULL;
	const char *kw = objtype == OT(INDEX) ? "INDEX" : objtype == OT(MATVIEW) ? "MATERIALIZED VIEW" :
			 objtype == OT(VIEW) ? "VIEW" : objtype == OT(FOREIGN_TABLE) ? "FOREIGN TABLE" :
			 objtype == OT(SEQUENCE) ? "SEQUENCE" : "TABLE";

	switch (cmd->subtype) {
	case AT(AddColumn): case AT(AddColumnRecurse): case AT(AddColumnToView):
		if (cmd->def && cmd->def->node_case == NC(COLUMN_DEF)) {
			const PgQuery__ColumnDef *cd = cmd->def->column_def;
			char *qc = qident(cd->colname ? cd->colname : "?");
			fk_constraints(im, cd->constraints, cd->n_constraints, table);
			for (size_t i = 0; i < cd->n_constraints; i++)
				if (cd->constraints[i]->node_case == NC(CONSTRAINT)) {
					PgQuery__ConstrType ct = cd->constraints[i]->constraint->contype;
					if (ct == CT(PRIMARY) || ct == CT(UNIQUE))
						add_scan(im, "a new PRIMARY KEY/UNIQUE column builds an index over every row");
					else if (ct == CT(CHECK) && !cd->constraints[i]->constraint->skip_validation)
						add_scan(im, "a CHECK on the new column is checked against every row");
				}
			{
				bool notnull = false, filled = false;
				for (size_t i = 0; i < cd->n_constraints; i++)
					if (cd->constraints[i]->node_case == NC(CONSTRAINT)) {
						PgQuery__ConstrType ct = cd->constraints[i]->constraint->contype;
						notnull |= ct == CT(NOTNULL) || ct == CT(PRIMARY);
						filled |= ct == CT(DEFAULT) || ct == CT(IDENTITY) || ct == CT(GENERATED);
					}
				filled |= cd->raw_default != NULL || (cd->identity && cd->identity[0]) ||
					  (cd->generated && cd->generated[0]);
				if (notnull && !filled && !im->fails_if)
					im->fails_if = sw_xasprintf("the table has rows: ADD COLUMN %s NOT NULL without a DEFAULT "
								    "fills existing rows with NULL and PostgreSQL refuses "
								    "(tablecmds.c ATRewriteTable: column contains null values)", qc);
			}
			if (st->rewrites_table)
				add_rewrite(im, "ADD COLUMN fills every existing row (volatile default, serial, identity "
					    "or stored generated column: tablecmds.c ATExecAddColumn sets AT_REWRITE_DEFAULT_VAL)");
			s = sw_xasprintf("ALTER %s %s DROP COLUMN %s;", kw, qtable, qc);
			undo_worse(u, SW_REV_REVERSIBLE);
			undo_prepend(u, s);
			free(qc);
		}
		break;
	case AT(DropColumn): case AT(DropColumnRecurse):
		undo_worse(u, SW_REV_BACKUP_ONLY);
		safer(im, "stop reading and writing the column first (deploy the code), then drop it; "
		      "only a backup brings its data back");
		break;
	case AT(AlterColumnType): {
		const PgQuery__ColumnDef *cd = cmd->def && cmd->def->node_case == NC(COLUMN_DEF) ?
					       cmd->def->column_def : NULL;
		add_rewrite(im, "ALTER COLUMN TYPE rewrites the table and rebuilds its indexes unless the old type is "
			    "binary-coercible to the new one (tablecmds.c ATColumnChangeRequiresRewrite); "
			    "check --dsn knows the old type");
		undo_worse(u, cd && cd->raw_default ? SW_REV_BACKUP_ONLY : SW_REV_UNKNOWN);
		safer(im, "add a new column, backfill it in batches, switch readers and writers, then drop the old column");
		break;
	}
	case AT(SetNotNull):
		if (!im->not_null_table && table && nonempty(col)) {
			im->not_null_table = sw_xstrdup(table);
			im->not_null_column = sw_xstrdup(col);
		}
		add_scan(im, "SET NOT NULL reads every row under AccessExclusiveLock unless a validated "
			 "CHECK (col IS NOT NULL) already proves it (tablecmds.c NotNullImpliedByRelConstraints)");
		safer(im, "ADD CONSTRAINT ... CHECK (col IS NOT NULL) NOT VALID, then VALIDATE CONSTRAINT "
		      "(ShareUpdateExclusiveLock), then SET NOT NULL skips the scan");
		s = sw_xasprintf("ALTER %s %s ALTER COLUMN %s DROP NOT NULL;", kw, qtable, qcol ? qcol : "?");
		undo_worse(u, SW_REV_REVERSIBLE);
		undo_prepend(u, s);
		break;
	case AT(DropNotNull):
		s = sw_xasprintf("ALTER %s %s ALTER COLUMN %s SET NOT NULL;", kw, qtable, qcol ? qcol : "?");
		undo_worse(u, SW_REV_REVERSIBLE);
		undo_prepend(u, s);
		break;
	case AT(AddConstraint): case AT(AddConstraintRecurse):
		if (cmd->def && cmd->def->node_case == NC(CONSTRAINT)) {
			const PgQuery__Constraint *c = cmd->def->constraint;
			PgQuery__Node *one = cmd->def;
			fk_constraints(im, &one, 1, table);
			switch (c->contype) {
			case CT(CHECK):
				if (!c->skip_validation) {
					add_scan(im, "ADD CONSTRAINT CHECK reads every row under AccessExclusiveLock "
						 "(tablecmds.c ATRewriteTable)");
					safer(im, "ADD CONSTRAINT ... NOT VALID (brief lock), then VALIDATE CONSTRAINT "
					      "(ShareUpdateExclusiveLock: reads and writes continue)");
				}
				break;
			case CT(FOREIGN):
				if (!c->skip_validation)
					safer(im, "ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID, then VALIDATE CONSTRAINT "
					      "(ShareUpdateExclusiveLock on the table, RowShareLock on the referenced one)");
				break;
			case CT(PRIMARY): case CT(UNIQUE): case CT(EXCLUSION):
				if (!nonempty(c->indexname)) {
					add_scan(im, "the constraint builds its index by reading every row under "
						 "AccessExclusiveLock");
					safer_concurrently(im, "CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT ... "
					      "USING INDEX (brief lock)");
				}
				break;
			default:
				break;
			}
			if (nonempty(c->conname)) {
				char *qn = qident(c->conname);
				s = sw_xasprintf("ALTER %s %s DROP CONSTRAINT %s;", kw, qtable, qn);
				free(qn);
				undo_worse(u, SW_REV_REVERSIBLE);
				undo_prepend(u, s);
			} else {
				undo_worse(u, SW_REV_REVERSIBLE);
				undo_prepend(u, "-- DROP CONSTRAINT <the generated constraint name>;");
			}
		}
		break;
	case AT(ValidateConstraint): case AT(ValidateConstraintRecurse):
		add_scan(im, "VALIDATE CONSTRAINT reads every row, under ShareUpdateExclusiveLock (reads and writes continue)");
		if (nonempty(cmd->name))
			sw_impact_add_lock(im, table, SW_VIA_FK_OF_CONSTRAINT, cmd->name, SW_LOCK_ROW_SHARE,
					   SRC_VALIDATE_FK);
		undo_worse(u, SW_REV_NONE_NEEDED);
		break;
	case AT(DropConstraint): case AT(DropConstraintRecurse):
		if (nonempty(cmd->name))
			sw_impact_add_lock(im, table, SW_VIA_FK_OF_CONSTRAINT, cmd->name, SW_LOCK_ACCESS_EXCLUSIVE,
					   SRC_DROP_FK);
		undo_worse(u, SW_REV_REVERSIBLE);
		s = sw_xasprintf("-- re-add %s from pg_get_constraintdef(), saved before the DROP",
				 qcol ? qcol : "the constraint");
		undo_prepend(u, s);
		break;
	case AT(SetTableSpace):
		add_rewrite(im, "SET TABLESPACE copies the table's files under AccessExclusiveLock");
		undo_worse(u, SW_REV_REVERSIBLE);
		undo_prepend(u, "-- SET TABLESPACE back to the old tablespace");
		break;
	case AT(SetLogged): case AT(SetUnLogged):
		add_rewrite(im, "SET LOGGED/UNLOGGED rewrites the table");
		s = sw_xasprintf("ALTER %s %s SET %s;", kw, qtable, cmd->subtype == AT(SetLogged) ? "UNLOGGED" : "LOGGED");
		undo_worse(u, SW_REV_REVERSIBLE);
		undo_prepend(u, s);
		break;
	case AT(SetAccessMethod):
		add_rewrite(im, "SET ACCESS METHOD rewrites the table");
		undo_worse(u, SW_REV_REVERSIBLE);
		break;
	case AT(AttachPartition):
		if (cmd->def && cmd->def->node_case == NC(PARTITION_CMD)) {
			const PgQuery__PartitionCmd *pc = cmd->def->partition_cmd;
			char *part = pgw_rangevar_name(pc->name), *qp = qrangevar(pc->name);
			set_named(im, part, SW_LOCK_ACCESS_EXCLUSIVE, SRC_ATTACH);
			sw_impact_add_lock(im, table, SW_VIA_DEFAULT_PARTITION, NULL, SW_LOCK_ACCESS_EXCLUSIVE,
					   SRC_DEFAULT_PART);
			add_scan(im, "ATTACH PARTITION reads the attached table to check the partition bound, unless "
				 "a valid CHECK constraint already implies it (tablecmds.c QueuePartitionConstraintValidation); "
				 "a default partition is scanned too");
			safer(im, "add a CHECK constraint matching the partition bound (NOT VALID, then VALIDATE) "
			      "before ATTACH PARTITION so the scan is skipped");
			s = sw_xasprintf("ALTER TABLE %s DETACH PARTITION %s;", qtable, qp);
			undo_worse(u, SW_REV_REVERSIBLE);
			undo_prepend(u, s);
			free(part);
			free(qp);
		}
		break;
	case AT(DetachPartition):
		if (cmd->def && cmd->def->node_case == NC(PARTITION_CMD)) {
			const PgQuery__PartitionCmd *pc = cmd->def->partition_cmd;
			char *part = pgw_rangevar_name(pc->name);
			set_named(im, part, pc->concurrent ? SW_LOCK_SHARE_UPDATE_EXCLUSIVE : SW_LOCK_ACCESS_EXCLUSIVE,
				  SRC_DETACH);
			if (pc->concurrent) {
				im->concurrently = true;
				no_tx(im, TXB_DETACH);
				if (!im->fails_if)
					im->fails_if = sw_xstrdup("the parent has a default partition: PostgreSQL 15 refuses DETACH "
								  "PARTITION ... CONCURRENTLY then (tablecmds.c ATExecDetachPartition: "
								  "cannot detach partitions concurrently when a default partition exists)");
			} else {
				safer_concurrently(im, "DETACH PARTITION ... CONCURRENTLY (outside a transaction block) takes only "
				      "ShareUpdateExclusiveLock on the parent");
			}
			sw_impact_add_lock(im, table, SW_VIA_DEFAULT_PARTITION, NULL, SW_LOCK_ACCESS_EXCLUSIVE,
					   SRC_DEFAULT_PART);
			undo_worse(u, SW_REV_UNKNOWN);
			free(part);
		}
		break;
	case AT(EnableTrig): case AT(DisableTrig): case AT(EnableTrigAll): case AT(DisableTrigAll):
	case AT(EnableTrigUser): case AT(DisableTrigUser): {
		bool en = cmd->subtype == AT(EnableTrig) || cmd->subtype == AT(EnableTrigAll) ||
			  cmd->subtype == AT(EnableTrigUser);
		const char *what = cmd->subtype == AT(EnableTrigAll) || cmd->subtype == AT(DisableTrigAll) ? "ALL" :
				   cmd->subtype == AT(EnableTrigUser) || cmd->subtype == AT(DisableTrigUser) ? "USER" :
				   qcol ? qcol : "?";
		s = sw_xasprintf("ALTER TABLE %s %s TRIGGER %s;", qtable, en ? "DISABLE" : "ENABLE", what);
		undo_worse(u, SW_REV_REVERSIBLE);
		undo_prepend(u, s);
		break;
	}
	case AT(AddInherit):
		if (cmd->def && cmd->def->node_case == NC(RANGE_VAR)) {
			char *parent = pgw_rangevar_name(cmd->def->range_var);
			set_named(im, parent, SW_LOCK_SHARE_UPDATE_EXCLUSIVE, SRC_INHERIT);
			free(parent);
		}
		undo_worse(u, SW_REV_REVERSIBLE);
		break;
	case AT(EnableRowSecurity): case AT(DisableRowSecurity):
		s = sw_xasprintf("ALTER TABLE %s %s ROW LEVEL SECURITY;", qtable,
				 cmd->subtype == AT(EnableRowSecurity) ? "DISABLE" : "ENABLE");
		undo_worse(u, SW_REV_REVERSIBLE);
		undo_prepend(u, s);
		break;
	case AT(SetStatistics): case AT(SetOptions): case AT(ResetOptions): case AT(SetStorage):
	case AT(SetRelOptions): case AT(ResetRelOptions): case AT(ColumnDefault): case AT(ClusterOn):
	case AT(DropCluster): case AT(ReplicaIdentity): case AT(SetCompression):
		/* Settings: the old value is in the catalog; undo needs it. */
		undo_worse(u, SW_REV_REVERSIBLE);
		if (!u->text)
			undo_prepend(u, "-- set the previous value again (read it from the catalog before the change)");
		break;
	default:
		undo_worse(u, SW_REV_UNKNOWN);
		break;
	}
	free(s);
	free(qcol);
}

/*
 * The pg_type.typname and atttypmod an ALTER COLUMN ... TYPE names, for the
 * types whose typmod encoding sw_pg_alter_type_rewrites() knows (gram.y
 * gives CHARACTER without a length the typmod 1 itself). Qualified names
 * keep their schema ("pg_catalog.varchar"); false for anything else
 * (arrays, %TYPE, interval fields, user types with typmods).
 */
static bool alter_type_target(const PgQuery__TypeName *tn, char **name, int *mod)
{
	const char *t, *sch = NULL;
	long v[2] = { 0, 0 };

	if (!tn || tn->setof || tn->pct_type || tn->n_array_bounds || tn->n_names < 1 || tn->n_names > 2 ||
	    tn->n_typmods > 2)
		return false;
	t = pgw_str(tn->names[tn->n_names - 1]);
	if (tn->n_names == 2)
		sch = pgw_str(tn->names[0]);
	if (!t || !*t || (tn->n_names == 2 && (!sch || !*sch)))
		return false;
	for (size_t i = 0; i < tn->n_typmods; i++) {
		const PgQuery__Node *n = tn->typmods[i];
		if (!n || n->node_case != NC(A_CONST) || n->a_const->isnull ||
		    n->a_const->val_case != PG_QUERY__A__CONST__VAL_IVAL || !n->a_const->ival)
			return false;
		v[i] = n->a_const->ival->ival;
	}
	if (tn->n_typmods == 0) {
		*mod = -1;
	} else if ((strcmp(t, "varchar") == 0 || strcmp(t, "bpchar") == 0) && tn->n_typmods == 1 &&
		   v[0] >= 1 && v[0] <= 10485760) {
		*mod = (int)v[0] + 4;                       /* VARHDRSZ: varchar.c anychar_typmodin */
	} else if ((strcmp(t, "bit") == 0 || strcmp(t, "varbit") == 0) && tn->n_typmods == 1 && v[0] >= 1 &&
		   v[0] <= 83886080) {
		*mod = (int)v[0];                           /* varbit.c anybit_typmodin */
	} else if (strcmp(t, "numeric") == 0 && v[0] >= 1 && v[0] <= 1000 && v[1] >= -1000 && v[1] <= 1000) {
		*mod = (int)(((v[0] << 16) | (v[1] & 0x7ff)) + 4);  /* numeric.c make_numeric_typmod */
	} else if ((strcmp(t, "timestamp") == 0 || strcmp(t, "timestamptz") == 0 || strcmp(t, "time") == 0 ||
		    strcmp(t, "timetz") == 0) && tn->n_typmods == 1 && v[0] >= 0) {
		*mod = v[0] > 6 ? 6 : (int)v[0];            /* anytimestamp_typmod_check clamps to 6 */
	} else {
		return false;
	}
	*name = sch ? sw_xasprintf("%s.%s", sch, t) : sw_xstrdup(t);
	return true;
}

/*
 * ALTER TABLE subcommand lock level: tablecmds.c AlterTableGetLockLevel via
 * the lock table, with the cases it decides from the subcommand's contents.
 */
static enum sw_lockmode alter_cmd_mode(const PgQuery__AlterTableCmd *c)
{
	const struct sw_pg_at_lock *e = sw_pg_at_lock_find(c->subtype);
	enum sw_lockmode m = e ? e->mode : SW_LOCK_ACCESS_EXCLUSIVE;

	switch (c->subtype) {
	case AT(AddConstraint): case AT(AddConstraintRecurse):
		/* FOREIGN KEY: ShareRowExclusiveLock (both tables); others AccessExclusiveLock. */
		if (c->def && c->def->node_case == NC(CONSTRAINT) && c->def->constraint->contype == CT(FOREIGN))
			m = SW_LOCK_SHARE_ROW_EXCLUSIVE;
		break;
	case AT(DetachPartition):
		if (c->def && c->def->node_case == NC(PARTITION_CMD) && c->def->partition_cmd->concurrent)
			m = SW_LOCK_SHARE_UPDATE_EXCLUSIVE;
		break;
	case AT(SetRelOptions): case AT(ResetRelOptions): {
		/* reloptions.c AlterTableGetRelOptionsLockLevel: strongest over the named options;
		 * an empty list is AccessExclusiveLock. */
		const PgQuery__List *l = c->def && c->def->node_case == NC(LIST) ? c->def->list : NULL;
		m = SW_LOCK_NONE;
		if (!l || !l->n_items)
			return SW_LOCK_ACCESS_EXCLUSIVE;
		for (size_t i = 0; i < l->n_items; i++)
			if (l->items[i]->node_case == NC(DEF_ELEM))
				m = sw_lock_stronger(m, sw_pg_reloption_lock(l->items[i]->def_elem->defname));
		if (m == SW_LOCK_NONE)
			m = SW_LOCK_ACCESS_EXCLUSIVE;  /* unknown option: PostgreSQL refuses it */
		break;
	}
	default:
		break;
	}
	return m;
}

#define WHY_AT_CATALOG "only the children that have the constraint or trigger (catalog) are locked"
#define WHY_AT_FK_PART "a foreign key or index constraint on a partitioned table is created on each partition; " \
	"the partitions' locks depend on the catalog"

/* The children (partitions, inheritance children) a subcommand recurses to,
 * unless the table is written with ONLY. */
static void alter_cmd_children(struct sw_impact *im, const char *table, const PgQuery__RangeVar *rv,
			       const PgQuery__AlterTableCmd *c)
{
	const struct sw_pg_at_lock *e = sw_pg_at_lock_find(c->subtype);
	enum sw_lockmode m = alter_cmd_mode(c);

	if (!e || !rv || !rv->inh || e->recurse == SW_AT_NO_RECURSE)
		return;
	if ((c->subtype == AT(AddConstraint) || c->subtype == AT(AddConstraintRecurse)) && c->def &&
	    c->def->node_case == NC(CONSTRAINT) && c->def->constraint->contype != CT(CHECK)) {
		add_conservative(im, table, SW_VIA_CHILDREN, NULL, m, e->source, WHY_AT_FK_PART);
		return;
	}
	if (e->recurse == SW_AT_RECURSE_CATALOG)
		add_conservative(im, table, SW_VIA_CHILDREN, NULL, m, e->source, WHY_AT_CATALOG);
	else
		sw_impact_add_lock(im, table, SW_VIA_CHILDREN, NULL, m, e->source);
}

static void impact_alter_table(struct sw_impact *im, const PgQuery__AlterTableStmt *a, struct undo *u,
			       const struct sw_stmt *st)
{
	char *table = a->relation ? pgw_rangevar_name(a->relation) : sw_xstrdup("?");
	char *qtable = qrangevar(a->relation);

	enum sw_lockmode mode = SW_LOCK_NONE;
	const char *source = SRC_ALTER_TABLE;

	drop_query_secondaries(im);

	/* The table's lock: the strongest subcommand level of the lock table
	 * (pg_lock_table.c), replacing the classifier's estimate. */
	for (size_t i = 0; i < a->n_cmds; i++) {
		const PgQuery__AlterTableCmd *c;
		enum sw_lockmode m;
		if (a->cmds[i]->node_case != NC(ALTER_TABLE_CMD))
			continue;
		c = a->cmds[i]->alter_table_cmd;
		m = alter_cmd_mode(c);
		if (m > mode) {
			const struct sw_pg_at_lock *e = sw_pg_at_lock_find(c->subtype);
			mode = m;
			source = e ? e->source : SRC_ALTER_TABLE;
		}
	}
	if (a->relation && mode != SW_LOCK_NONE)
		set_named(im, table, mode, source);
	for (size_t i = 0; i < a->n_cmds; i++)
		if (a->cmds[i]->node_case == NC(ALTER_TABLE_CMD)) {
			alter_cmd_children(im, table, a->relation, a->cmds[i]->alter_table_cmd);
			impact_alter_cmd(im, table, qtable, a->objtype, a->cmds[i]->alter_table_cmd, u, st);
		}
	/* A lone ALTER COLUMN TYPE without USING or COLLATE: live context can read the old type. */
	if (a->n_cmds == 1 && a->objtype == OT(TABLE) && a->cmds[0]->node_case == NC(ALTER_TABLE_CMD)) {
		const PgQuery__AlterTableCmd *c = a->cmds[0]->alter_table_cmd;
		const PgQuery__ColumnDef *cd = c->def && c->def->node_case == NC(COLUMN_DEF) ? c->def->column_def : NULL;
		if (c->subtype == AT(AlterColumnType) && nonempty(c->name) && cd && !cd->raw_default &&
		    !cd->coll_clause && alter_type_target(cd->type_name, &im->type_new, &im->type_newmod)) {
			im->type_table = sw_xstrdup(table);
			im->type_column = sw_xstrdup(c->name);
		}
	}
	if (im->strongest == SW_LOCK_ACCESS_EXCLUSIVE)
		safer(im, "SET lock_timeout = '2s' first (and retry): an AccessExclusiveLock request that waits "
		      "behind a long transaction blocks every read and write queued after it");
	free(table);
	free(qtable);
}

static void impact_rename(struct sw_impact *im, const PgQuery__RenameStmt *r, struct undo *u)
{
	char *nm = r->relation ? pgw_rangevar_name(r->relation) : NULL;
	char *qt = r->relation ? qrangevar(r->relation) : NULL;
	char *qnew = qident(r->newname ? r->newname : "?");
	char *s = NULL;

	if (nm)
		set_named(im, nm, r->rename_type == OT(INDEX) ? SW_LOCK_SHARE_UPDATE_EXCLUSIVE :
			  SW_LOCK_ACCESS_EXCLUSIVE, SRC_RENAME);
	/* tablecmds.c renameatt_internal recurses to every child (unless ONLY);
	 * rename_constraint_internal only for inherited CHECK constraints. */
	if (nm && r->relation && r->relation->inh && r->rename_type == OT(COLUMN))
		sw_impact_add_lock(im, nm, SW_VIA_CHILDREN, NULL, SW_LOCK_ACCESS_EXCLUSIVE,
				   "commands/tablecmds.c renameatt_internal (recurses to every child)");
	else if (nm && r->relation && r->relation->inh && r->rename_type == OT(TABCONSTRAINT))
		add_conservative(im, nm, SW_VIA_CHILDREN, NULL, SW_LOCK_ACCESS_EXCLUSIVE,
				 "commands/tablecmds.c rename_constraint_internal",
				 "only children that inherited a CHECK constraint of that name are locked");
	switch (r->rename_type) {
	case OT(TABLE): case OT(VIEW): case OT(MATVIEW): case OT(INDEX): case OT(SEQUENCE):
	case OT(FOREIGN_TABLE): {
		const char *kw = r->rename_type == OT(TABLE) ? "TABLE" : r->rename_type == OT(VIEW) ? "VIEW" :
				 r->rename_type == OT(MATVIEW) ? "MATERIALIZED VIEW" : r->rename_type == OT(INDEX) ?
				 "INDEX" : r->rename_type == OT(SEQUENCE) ? "SEQUENCE" : "FOREIGN TABLE";
		char *old = qident(r->relation && r->relation->relname ? r->relation->relname : "?");
		if (r->relation && nonempty(r->relation->schemaname)) {
			char *qs = qident(r->relation->schemaname);
			s = sw_xasprintf("ALTER %s %s.%s RENAME TO %s;", kw, qs, qnew, old);
			free(qs);
		} else {
			s = sw_xasprintf("ALTER %s %s RENAME TO %s;", kw, qnew, old);
		}
		free(old);
		break;
	}
	case OT(COLUMN): {
		char *old = qident(r->subname ? r->subname : "?");
		s = sw_xasprintf("ALTER TABLE %s RENAME COLUMN %s TO %s;", qt ? qt : "?", qnew, old);
		free(old);
		break;
	}
	case OT(TABCONSTRAINT): {
		char *old = qident(r->subname ? r->subname : "?");
		s = sw_xasprintf("ALTER TABLE %s RENAME CONSTRAINT %s TO %s;", qt ? qt : "?", qnew, old);
		free(old);
		break;
	}
	default:
		break;
	}
	if (s) {
		undo_worse(u, SW_REV_REVERSIBLE);
		undo_prepend(u, s);
		safer(im, "a rename breaks every client that uses the old name at once; add a view or "
		      "column alias under the old name first, or deploy code that accepts both");
	} else {
		undo_worse(u, SW_REV_UNKNOWN);
	}
	free(s);
	free(nm);
	free(qt);
	free(qnew);
}

static void impact_reindex(struct sw_impact *im, const PgQuery__ReindexStmt *r)
{
	bool conc = defelem_named_true(r->params, r->n_params, "concurrently");
	char *nm = r->relation ? pgw_rangevar_name(r->relation) : NULL;
	enum sw_lockmode tl = conc ? SW_LOCK_SHARE_UPDATE_EXCLUSIVE : SW_LOCK_SHARE;

	if (conc) {
		im->concurrently = true;
		no_tx(im, TXB_REINDEX);
	} else {
		safer_concurrently(im, "REINDEX ... CONCURRENTLY (outside a transaction block) keeps the table writable");
	}
	switch (r->kind) {
	case PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_TABLE:
		if (nm) {
			set_named(im, nm, tl, SRC_REINDEX);
			sw_impact_add_lock(im, nm, SW_VIA_INDEXES_OF, NULL,
					   conc ? SW_LOCK_SHARE_UPDATE_EXCLUSIVE : SW_LOCK_ACCESS_EXCLUSIVE, SRC_REINDEX);
		}
		break;
	case PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_INDEX:
		if (nm) {
			set_named(im, nm, conc ? SW_LOCK_SHARE_UPDATE_EXCLUSIVE : SW_LOCK_ACCESS_EXCLUSIVE, SRC_REINDEX);
			sw_impact_add_lock(im, nm, SW_VIA_TABLE_OF_INDEX, NULL, tl, SRC_REINDEX);
		}
		break;
	default:
		no_tx(im, TXB_REINDEX);
		break;
	}
	add_scan(im, "REINDEX reads every row of the table to rebuild its indexes");
	free(nm);
}

/* Default lock sources for the relations the classifier listed. */
static const char *default_source(enum sw_lockmode m)
{
	switch (m) {
	case SW_LOCK_ACCESS_SHARE: return SRC_PARSE_READ;
	case SW_LOCK_ROW_SHARE: return SRC_ROWMARK;
	case SW_LOCK_ROW_EXCLUSIVE: return SRC_PARSE_TARGET;
	default: return "see pg_classify.c";
	}
}

/*
 * Foreign-key checks run as SQL from ri_triggers.c: a written row of the
 * referencing table does SELECT ... FOR KEY SHARE on the referenced table
 * (RI_FKey_check), a deleted or updated key of the referenced table does the
 * same on the referencing table (ri_restrict): RowShareLock, taken only
 * when a row is actually written.
 */
#define SRC_RI "utils/adt/ri_triggers.c RI_FKey_check / ri_restrict (SELECT ... FOR KEY SHARE: RowShareLock, only when rows are written)"
static void ri_locks(struct sw_impact *im, const PgQuery__RangeVar *rv, bool referenced, bool referencing)
{
	char *nm;
	if (!rv || !nonempty(rv->relname))
		return;
	nm = pgw_rangevar_name(rv);
	if (referenced) {
		sw_impact_add_lock(im, nm, SW_VIA_FK_REFERENCED, NULL, SW_LOCK_ROW_SHARE, SRC_RI);
		im->locks[im->n_locks - 1].if_rows = true;
	}
	if (referencing) {
		sw_impact_add_lock(im, nm, SW_VIA_FK_REFERENCING, NULL, SW_LOCK_ROW_SHARE, SRC_RI);
		im->locks[im->n_locks - 1].if_rows = true;
	}
	free(nm);
}

static bool defelem_named_false(PgQuery__Node *const *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (v[i]->node_case == NC(DEF_ELEM) && v[i]->def_elem->defname &&
		    strcmp(v[i]->def_elem->defname, name) == 0)
			return !defelem_named_true(&v[i], 1, name);
	return false;
}

/*
 * COMMENT ON: catalog/objectaddress.c get_object_address with CommentObject's
 * ShareUpdateExclusiveLock for relations and columns; for an object that
 * lives on a table (constraint, trigger, rule, policy)
 * get_object_address_relobject opens the table with AccessShareLock only.
 */
static void impact_comment(struct sw_impact *im, const PgQuery__CommentStmt *c)
{
	size_t k;
	char *nm;
	enum sw_lockmode m = SW_LOCK_SHARE_UPDATE_EXCLUSIVE;
	const char *src = SRC_COMMENT;

	drop_query_secondaries(im);
	if (!c->object || c->object->node_case != NC(LIST) || !c->object->list->n_items)
		return;
	k = c->object->list->n_items;
	switch (c->objtype) {
	case OT(TABLE): case OT(VIEW): case OT(MATVIEW): case OT(INDEX): case OT(SEQUENCE): case OT(FOREIGN_TABLE):
		break;
	case OT(COLUMN):
		k--;
		break;
	case OT(TABCONSTRAINT): case OT(TRIGGER): case OT(RULE): case OT(POLICY):
		k--;
		m = SW_LOCK_ACCESS_SHARE;
		src = SRC_COMMENT_SUB;
		break;
	default:
		return;
	}
	if (!k)
		return;
	nm = pgw_join_names(c->object->list->items, k);
	if (*nm)
		set_named(im, nm, m, src);
	free(nm);
}

/* ALTER DOMAIN: the tables using the domain are checked under ShareLock. */
static void impact_alter_domain(struct sw_impact *im, const PgQuery__AlterDomainStmt *d)
{
	const char *sub = d->subtype ? d->subtype : "";
	bool validates = false;
	char *nm;

	if (strcmp(sub, "C") == 0)   /* ADD CONSTRAINT: validated unless NOT VALID */
		validates = d->def && d->def->node_case == NC(CONSTRAINT) && !d->def->constraint->skip_validation;
	else if (strcmp(sub, "O") == 0 || strcmp(sub, "V") == 0)  /* SET NOT NULL, VALIDATE CONSTRAINT */
		validates = true;
	if (!validates || !d->n_type_name)
		return;
	nm = pgw_join_names(d->type_name, d->n_type_name);
	sw_impact_add_lock(im, nm, SW_VIA_DOMAIN_TABLES, NULL, SW_LOCK_SHARE, SRC_DOMAIN);
	add_scan(im, "the domain's constraint is checked against every row of every table with a column of the "
		 "domain (typecmds.c validateDomainConstraint), under ShareLock: writes wait");
	if (strcmp(sub, "O") == 0 && !im->fails_if)
		im->fails_if = sw_xasprintf("a column of domain %s holds NULL (typecmds.c AlterDomainNotNull)", nm);
	free(nm);
}

/*
 * Sequence functions with a literal argument: nextval, setval and currval
 * open the sequence through init_sequence, which takes RowExclusiveLock
 * (the regclass literal itself is resolved without a lock). Found with
 * protobuf-c's reflection so every expression position is covered.
 */
static void seq_call(struct sw_impact *im, const PgQuery__FuncCall *f, bool if_rows)
{
	const char *fn, *lit = NULL;
	const PgQuery__Node *a;
	char *name;

	if (!f->n_funcname || f->n_funcname > 2 || f->n_args < 1)
		return;
	fn = pgw_str(f->funcname[f->n_funcname - 1]);
	if (f->n_funcname == 2 && (!pgw_str(f->funcname[0]) || strcmp(pgw_str(f->funcname[0]), "pg_catalog") != 0))
		return;
	if (!fn || (strcmp(fn, "nextval") != 0 && strcmp(fn, "setval") != 0 && strcmp(fn, "currval") != 0))
		return;
	a = f->args[0];
	if (a && a->node_case == NC(TYPE_CAST) && a->type_cast->arg)
		a = a->type_cast->arg;
	if (a && a->node_case == NC(A_CONST) && a->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL &&
	    a->a_const->sval)
		lit = a->a_const->sval->sval;
	if (!lit || !*lit || strchr(lit, '"'))
		return;  /* quoted or computed names: not resolved statically */
	name = sw_xstrdup(lit);
	for (char *p = name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	sw_impact_add_lock(im, name, SW_VIA_NAMED, NULL, SW_LOCK_ROW_EXCLUSIVE, SRC_SEQFUNC);
	for (size_t i = 0; i < im->n_locks; i++)
		if (im->locks[i].via == SW_VIA_NAMED && strcmp(im->locks[i].object, name) == 0 && if_rows)
			im->locks[i].if_rows = true;
	im->category = "dml.sequence_function";
	free(name);
}

static void seq_calls(struct sw_impact *im, const ProtobufCMessage *m, bool if_rows, int depth)
{
	const ProtobufCMessageDescriptor *d;
	if (!m || depth > 500)
		return;
	d = m->descriptor;
	if (d == &pg_query__func_call__descriptor)
		seq_call(im, (const PgQuery__FuncCall *)m, if_rows);
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *base = (const char *)m;
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *(const uint32_t *)(base + f->quantifier_offset) != f->id)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset);
			ProtobufCMessage *const *v = *(ProtobufCMessage *const *const *)(base + f->offset);
			for (size_t k = 0; k < n; k++)
				seq_calls(im, v[k], if_rows, depth + 1);
		} else {
			seq_calls(im, *(const ProtobufCMessage *const *)(base + f->offset), if_rows, depth + 1);
		}
	}
}

/*
 * CREATE FUNCTION ... LANGUAGE sql AS '<body>' with check_function_bodies on
 * (the default): executor/functions.c fmgr_sql_validator parse-analyses the
 * body, which locks the relations it names as a query does (AccessShareLock
 * for reads, RowExclusiveLock for write targets). Skipped by the validator
 * for polymorphic arguments (their types are unknown until a call); a BEGIN
 * ATOMIC body is part of this statement's own tree. The body is analysed
 * by pg_classify.c once this statement's analysis is over: the parser is
 * not re-entrant.
 */
static void sql_function_body(struct sw_impact *im, const PgQuery__CreateFunctionStmt *f)
{
	const char *lang = "sql", *body = NULL;
	size_t n_as = 0;

	for (size_t i = 0; i < f->n_options; i++) {
		const PgQuery__Node *o = f->options[i];
		if (o->node_case != NC(DEF_ELEM) || !o->def_elem->defname || !o->def_elem->arg)
			continue;
		if (strcmp(o->def_elem->defname, "language") == 0 && o->def_elem->arg->node_case == NC(STRING))
			lang = o->def_elem->arg->string->sval;
		if (strcmp(o->def_elem->defname, "as") == 0 && o->def_elem->arg->node_case == NC(LIST)) {
			const PgQuery__List *l = o->def_elem->arg->list;
			n_as = l->n_items;
			if (n_as == 1 && l->items[0]->node_case == NC(STRING))
				body = l->items[0]->string->sval;
		}
	}
	if (!body || n_as != 1 || strcmp(lang, "sql") != 0)
		return;
	for (size_t i = 0; i < f->n_parameters; i++) {
		const PgQuery__Node *p = f->parameters[i];
		const PgQuery__TypeName *t = p->node_case == NC(FUNCTION_PARAMETER) ? p->function_parameter->arg_type : NULL;
		if (t && t->n_names) {
			const PgQuery__Node *last = t->names[t->n_names - 1];
			if (last->node_case == NC(STRING) && strncmp(last->string->sval, "any", 3) == 0)
				return;   /* polymorphic: the validator does not analyse the body */
		}
	}
	im->sql_function_body = sw_xstrdup(body);
}

static void impact_node(struct sw_impact *im, const PgQuery__Node *n, struct undo *u, const struct sw_stmt *st)
{
	switch (n->node_case) {
	case NC(SELECT_STMT):
		if (st->traits & SW_TRAIT_SELECT_INTO) {
			undo_worse(u, SW_REV_REVERSIBLE);
			if (n->select_stmt->into_clause && n->select_stmt->into_clause->rel) {
				char *q = qrangevar(n->select_stmt->into_clause->rel);
				char *s = sw_xasprintf("DROP TABLE %s;", q);
				undo_prepend(u, s);
				free(s);
				free(q);
			}
		} else if (st->cls == SW_CLASS_WRITE) {
			undo_worse(u, SW_REV_UNKNOWN);
		}
		break;
	case NC(INSERT_STMT):
		ri_locks(im, n->insert_stmt->relation, true, false);
		undo_worse(u, SW_REV_UNKNOWN);
		break;
	case NC(UPDATE_STMT): case NC(DELETE_STMT): case NC(MERGE_STMT):
		if (n->node_case == NC(UPDATE_STMT))
			ri_locks(im, n->update_stmt->relation, true, true);
		else if (n->node_case == NC(DELETE_STMT))
			ri_locks(im, n->delete_stmt->relation, false, true);
		else
			ri_locks(im, n->merge_stmt->relation, true, true);
		undo_worse(u, SW_REV_BACKUP_ONLY);
		if (st->traits & SW_TRAIT_NO_WHERE)
			safer(im, "add a WHERE clause, or work in batches of a few thousand rows");
		break;
	case NC(EXPLAIN_STMT):
		if (!(st->traits & SW_TRAIT_EXECUTES))
			break;
		if (n->explain_stmt->query)
			impact_node(im, n->explain_stmt->query, u, st);
		break;
	case NC(COPY_STMT):
		/* commands/copy.c DoCopy: table_openrv(RowExclusiveLock) for FROM, AccessShareLock for TO;
		 * COPY FROM routes rows to partitions and checks foreign keys only for rows it writes. */
		if (n->copy_stmt->relation) {
			char *nm = pgw_rangevar_name(n->copy_stmt->relation);
			set_named(im, nm, n->copy_stmt->is_from ? SW_LOCK_ROW_EXCLUSIVE : SW_LOCK_ACCESS_SHARE, SRC_COPY);
			if (n->copy_stmt->is_from) {
				sw_impact_add_lock(im, nm, SW_VIA_CHILDREN, NULL, SW_LOCK_ROW_EXCLUSIVE, SRC_CHILDREN);
				set_if_rows(im, nm, SW_VIA_CHILDREN);
				ri_locks(im, n->copy_stmt->relation, true, false);
			}
			free(nm);
		}
		if (n->copy_stmt->is_from)
			undo_worse(u, SW_REV_UNKNOWN);
		break;
	case NC(CREATE_STMT):
		impact_create(im, n->create_stmt, u);
		break;
	case NC(CREATE_TABLE_AS_STMT): {
		const PgQuery__CreateTableAsStmt *c = n->create_table_as_stmt;
		if (c->into && c->into->rel) {
			char *q = qrangevar(c->into->rel);
			char *s = sw_xasprintf("DROP %s %s;", c->objtype == OT(MATVIEW) ? "MATERIALIZED VIEW" : "TABLE", q);
			undo_worse(u, SW_REV_REVERSIBLE);
			undo_prepend(u, s);
			free(s);
			free(q);
		}
		break;
	}
	case NC(VIEW_STMT): {
		char *nm = pgw_rangevar_name(n->view_stmt->view);
		char *q = qrangevar(n->view_stmt->view);
		set_named(im, nm, SW_LOCK_ACCESS_EXCLUSIVE, SRC_VIEW);
		if (n->view_stmt->replace) {
			undo_worse(u, SW_REV_REVERSIBLE);
			undo_prepend(u, "-- CREATE OR REPLACE VIEW with the old definition (pg_get_viewdef, saved before)");
		} else {
			char *s = sw_xasprintf("DROP VIEW %s;", q);
			undo_worse(u, SW_REV_REVERSIBLE);
			undo_prepend(u, s);
			free(s);
		}
		free(nm);
		free(q);
		break;
	}
	case NC(INDEX_STMT):
		impact_index(im, n->index_stmt, u);
		break;
	case NC(DROP_STMT):
		impact_drop(im, n->drop_stmt, u);
		break;
	case NC(TRUNCATE_STMT):
		impact_truncate(im, n->truncate_stmt, u);
		break;
	case NC(ALTER_TABLE_STMT):
		impact_alter_table(im, n->alter_table_stmt, u, st);
		break;
	case NC(RENAME_STMT):
		impact_rename(im, n->rename_stmt, u);
		break;
	case NC(ALTER_OBJECT_SCHEMA_STMT):
	case NC(ALTER_OWNER_STMT):
		for (size_t i = 0; i < im->n_locks; i++)
			im->locks[i].source = SRC_SCHEMA;
		undo_worse(u, SW_REV_REVERSIBLE);
		break;
	case NC(REINDEX_STMT):
		impact_reindex(im, n->reindex_stmt);
		undo_worse(u, SW_REV_NONE_NEEDED);
		break;
	case NC(CLUSTER_STMT):
		if (n->cluster_stmt->relation) {
			char *nm = pgw_rangevar_name(n->cluster_stmt->relation);
			set_named(im, nm, SW_LOCK_ACCESS_EXCLUSIVE, SRC_CLUSTER);
			free(nm);
		} else {
			no_tx(im, TXB_CLUSTER);
			add_conservative(im, "(database)", SW_VIA_CLUSTERED_TABLES, NULL, SW_LOCK_ACCESS_EXCLUSIVE,
					 SRC_CLUSTER_ALL, "CLUSTER without a table clusters every table the user owns that has "
					 "an index marked clustered: the set comes from the catalog when it runs");
		}
		add_rewrite(im, "CLUSTER rewrites the table in index order under AccessExclusiveLock");
		safer(im, "pg_repack (an extension) reorders a table without holding AccessExclusiveLock for the copy");
		undo_worse(u, SW_REV_NONE_NEEDED);
		break;
	case NC(VACUUM_STMT): {
		const PgQuery__VacuumStmt *v = n->vacuum_stmt;
		bool full = v->is_vacuumcmd && defelem_named_true(v->options, v->n_options, "full");
		for (size_t i = 0; i < im->n_locks; i++)
			im->locks[i].source = SRC_VACUUM;
		if (v->is_vacuumcmd)
			no_tx(im, TXB_VACUUM);
		if (v->is_vacuumcmd && !full && !defelem_named_false(v->options, v->n_options, "truncate"))
			for (size_t i = 0, k = im->n_locks; i < k; i++)
				if (im->locks[i].via == SW_VIA_NAMED) {
					char *obj = sw_xstrdup(im->locks[i].object);
					add_conservative(im, obj, SW_VIA_NAMED, "truncation", SW_LOCK_ACCESS_EXCLUSIVE,
							 SRC_VACUUM_TRUNC, WHY_VACUUM_TRUNC);
					free(obj);
				}
		/* vacuum.c expand_vacuum_rel: a partitioned table's partitions are processed
		 * too (ShareUpdateExclusiveLock each); inheritance children are only sampled
		 * (analyze.c acquire_inherited_sample_rows: AccessShareLock). */
		for (size_t i = 0, k = im->n_locks; i < k; i++)
			if (im->locks[i].via == SW_VIA_NAMED && !im->locks[i].detail) {
				char *obj = sw_xstrdup(im->locks[i].object);
				add_conservative(im, obj, SW_VIA_CHILDREN, NULL, im->locks[i].mode, SRC_VACUUM,
						 "partitions get the table's lock; inheritance children (catalog) only "
						 "AccessShareLock while ANALYZE samples them");
				free(obj);
			}
		if (v->is_vacuumcmd && !v->n_rels)
			im->conservative = "VACUUM without a table processes every table the user may vacuum "
					   "(catalog-found); each gets ShareUpdateExclusiveLock in turn";
		if (full) {
			add_rewrite(im, "VACUUM FULL copies the table into new files under AccessExclusiveLock");
			safer(im, "plain VACUUM (ShareUpdateExclusiveLock) or pg_repack instead of VACUUM FULL");
		} else if (v->is_vacuumcmd) {
			add_scan(im, "VACUUM reads the table (ShareUpdateExclusiveLock: reads and writes continue)");
		} else {
			add_scan(im, "ANALYZE reads a sample of the table (ShareUpdateExclusiveLock)");
		}
		undo_worse(u, SW_REV_NONE_NEEDED);
		break;
	}
	case NC(REFRESH_MAT_VIEW_STMT): {
		const PgQuery__RefreshMatViewStmt *r = n->refresh_mat_view_stmt;
		char *nm = pgw_rangevar_name(r->relation);
		set_named(im, nm, r->concurrent ? SW_LOCK_EXCLUSIVE : SW_LOCK_ACCESS_EXCLUSIVE, SRC_MATVIEW);
		sw_impact_add_lock(im, nm, SW_VIA_MATVIEW_BASE, NULL, SW_LOCK_ACCESS_SHARE, SRC_MATVIEW);
		if (r->concurrent) {
			im->concurrently = true;
			add_scan(im, "REFRESH ... CONCURRENTLY recomputes the view and diffs it against the old contents");
		} else {
			add_rewrite(im, "REFRESH MATERIALIZED VIEW fills new storage and swaps it in (matview.c refresh_by_heap_swap)");
			safer_concurrently(im, "REFRESH MATERIALIZED VIEW CONCURRENTLY (needs a unique index) keeps the view readable");
		}
		undo_worse(u, SW_REV_NONE_NEEDED);
		free(nm);
		break;
	}
	case NC(LOCK_STMT):
		for (size_t i = 0; i < im->n_locks; i++)
			im->locks[i].source = SRC_LOCK;
		undo_worse(u, SW_REV_NONE_NEEDED);
		break;
	case NC(COMMENT_STMT):
		impact_comment(im, n->comment_stmt);
		undo_worse(u, SW_REV_REVERSIBLE);
		undo_prepend(u, "-- COMMENT ON ... IS <the previous comment> (obj_description, saved before)");
		break;
	case NC(ALTER_DOMAIN_STMT):
		impact_alter_domain(im, n->alter_domain_stmt);
		undo_worse(u, SW_REV_UNKNOWN);
		break;
	case NC(CREATE_FUNCTION_STMT):
		sql_function_body(im, n->create_function_stmt);
		break;
	case NC(GRANT_STMT):
		/* aclchk.c objectNamesToOids: RangeVarGetRelid(relvar, NoLock, false):
		 * GRANT and REVOKE change only the catalog and take no table lock. */
		while (im->n_locks)
			drop_lock(im, 0);
		im->lock_set_partial = false;
		undo_worse(u, SW_REV_REVERSIBLE);
		undo_prepend(u, n->grant_stmt->is_grant ? "-- REVOKE the same privileges" : "-- GRANT the same privileges");
		break;
	case NC(CREATE_TRIG_STMT): {
		const PgQuery__CreateTrigStmt *t = n->create_trig_stmt;
		for (size_t i = 0; i < im->n_locks; i++)
			im->locks[i].source = SRC_TRIGGER;
		if (nonempty(t->trigname) && t->relation) {
			char *qn = qident(t->trigname), *qt = qrangevar(t->relation);
			char *s = sw_xasprintf("DROP TRIGGER %s ON %s;", qn, qt);
			undo_worse(u, SW_REV_REVERSIBLE);
			undo_prepend(u, s);
			free(s);
			free(qn);
			free(qt);
		}
		break;
	}
	case NC(RULE_STMT):
		for (size_t i = 0; i < im->n_locks; i++)
			im->locks[i].source = SRC_RULE;
		undo_worse(u, SW_REV_UNKNOWN);
		break;
	case NC(CREATE_POLICY_STMT): case NC(ALTER_POLICY_STMT):
		for (size_t i = 0; i < im->n_locks; i++)
			im->locks[i].source = SRC_POLICY;
		undo_worse(u, SW_REV_UNKNOWN);
		break;
	case NC(CREATE_STATS_STMT):
		for (size_t i = 0; i < im->n_locks; i++)
			im->locks[i].source = SRC_STATS;
		undo_worse(u, SW_REV_REVERSIBLE);
		break;
	case NC(ALTER_SEQ_STMT):
		for (size_t i = 0; i < im->n_locks; i++)
			im->locks[i].source = SRC_SEQUENCE;
		undo_worse(u, SW_REV_UNKNOWN);
		break;
	case NC(CREATE_SEQ_STMT):
		if (n->create_seq_stmt->sequence) {
			char *q = qrangevar(n->create_seq_stmt->sequence);
			char *s = sw_xasprintf("DROP SEQUENCE %s;", q);
			undo_worse(u, SW_REV_REVERSIBLE);
			undo_prepend(u, s);
			free(s);
			free(q);
		}
		break;
	case NC(CREATEDB_STMT): case NC(DROPDB_STMT): case NC(CREATE_TABLE_SPACE_STMT):
	case NC(DROP_TABLE_SPACE_STMT): case NC(ALTER_SYSTEM_STMT):
		no_tx(im, TXB_DB);
		undo_worse(u, n->node_case == NC(DROPDB_STMT) || n->node_case == NC(DROP_TABLE_SPACE_STMT) ?
			   SW_REV_BACKUP_ONLY : SW_REV_UNKNOWN);
		break;
	case NC(TRANSACTION_STMT): case NC(VARIABLE_SET_STMT): case NC(VARIABLE_SHOW_STMT):
	case NC(CHECK_POINT_STMT): case NC(DECLARE_CURSOR_STMT): case NC(FETCH_STMT):
	case NC(CLOSE_PORTAL_STMT): case NC(DISCARD_STMT): case NC(LISTEN_STMT): case NC(UNLISTEN_STMT):
	case NC(DEALLOCATE_STMT):
		break;
	case NC(PREPARE_STMT):
		if (n->prepare_stmt->query)
			impact_node(im, n->prepare_stmt->query, u, st);
		break;
	default:
		if (st->cls != SW_CLASS_READ && st->cls != SW_CLASS_SESSION && st->cls != SW_CLASS_TRANSACTION)
			undo_worse(u, SW_REV_UNKNOWN);
		break;
	}
}

/*
 * A relation read or written by a query may be a view (its relations are
 * read too) or a partitioned/inheritance parent (its children get the same
 * lock; an INSERT locks only the partition a row is routed to).
 */
static void dml_secondaries(struct sw_impact *im, const PgQuery__Node *n)
{
	size_t k = im->n_locks;
	bool insert = n && n->node_case == NC(INSERT_STMT);
	for (size_t i = 0; i < k; i++) {
		char *obj;
		enum sw_lockmode m = im->locks[i].mode;
		if (im->locks[i].via != SW_VIA_NAMED || m > SW_LOCK_ROW_EXCLUSIVE)
			continue;
		obj = sw_xstrdup(im->locks[i].object);
		sw_impact_add_lock(im, obj, SW_VIA_CHILDREN, NULL, m, SRC_CHILDREN);
		if (insert && m == SW_LOCK_ROW_EXCLUSIVE)
			im->locks[im->n_locks - 1].if_rows = true;
		sw_impact_add_lock(im, obj, SW_VIA_VIEW_BASE, NULL, SW_LOCK_ACCESS_SHARE, SRC_VIEW_BASE);
		free(obj);
	}
}

void sw_pg_impact(const void *pg_node, struct sw_stmt *st)
{
	const PgQuery__Node *n = pg_node;
	struct sw_impact *im = sw_xcalloc(1, sizeof(*im));
	struct undo u = { SW_REV_NONE_NEEDED, NULL };

	sw_stmt_attach_impact(st, im);
	for (size_t i = 0; i < st->n_objects; i++) {
		enum sw_lockmode m = st->objects[i].lock;
		if (m != SW_LOCK_NONE)
			sw_impact_add_lock(im, st->objects[i].name, SW_VIA_NAMED, NULL, m, default_source(m));
	}
	dml_secondaries(im, n);
	if (n) {
		const struct sw_pg_stmt_lock *e = sw_pg_stmt_lock_find(n->node_case);
		im->category = e ? e->category : "other";
		im->conservative = e ? e->conservative : NULL;
		if (n->node_case == NC(COPY_STMT))
			im->category = n->copy_stmt->is_from ? "utility.copy_from" : "utility.copy_to";
		impact_node(im, n, &u, st);
		switch (n->node_case) {
		case NC(SELECT_STMT): case NC(INSERT_STMT): case NC(UPDATE_STMT): case NC(DELETE_STMT):
		case NC(MERGE_STMT): case NC(CREATE_TABLE_AS_STMT): case NC(DECLARE_CURSOR_STMT): case NC(COPY_STMT):
		case NC(ALTER_TABLE_STMT): case NC(CALL_STMT):
			/* With relations, the function runs once per row: no rows, no lock. */
			seq_calls(im, (const ProtobufCMessage *)n, im->n_locks > 0, 0);
			break;
		case NC(EXPLAIN_STMT):
			if (st->traits & SW_TRAIT_EXECUTES)
				seq_calls(im, (const ProtobufCMessage *)n, im->n_locks > 0, 0);
			break;
		default:
			break;
		}
	} else {
		im->category = "other";
	}
	if (st->cls == SW_CLASS_UNKNOWN)
		undo_worse(&u, SW_REV_UNKNOWN);
	if (st->rewrites_table && !im->rewrite && !im->concurrently)
		add_rewrite(im, "see the classifier's reasons");
	recompute_strongest(im);
	im->reversibility = u.rev;
	if (u.rev == SW_REV_REVERSIBLE)
		im->rollback = u.text;
	else
		free(u.text);
	if (im->no_transaction_block && !im->no_tx_source)
		set_str(&im->no_tx_source, "%s", "PreventInTransactionBlock()");
}
