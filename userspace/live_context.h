/*
 * Live context: facts about a statement that only the database knows right
 * now, read over libpq before the statement runs (live_context.c):
 *   - per relation the statement locks by name: pg_relation_size, reltuples,
 *     and the oldest transaction that holds (or waits for) a lock conflicting
 *     with the mode this statement takes there, so it would queue behind it;
 *   - per statement: the planner's row estimate for UPDATE/DELETE/MERGE
 *     (EXPLAIN without ANALYZE, in a READ ONLY transaction) and, for
 *     ALTER TABLE ... SET NOT NULL, how many rows hold NULL today; for a lone
 *     ALTER COLUMN ... TYPE, the column's current type, which decides whether
 *     the table is rewritten (the impact's rewrite is corrected to match).
 * Relations created earlier in the same analysis (a migration file, or one
 * multi-statement query) by CREATE TABLE are new and empty: their size and
 * rows are 0 and they are not looked up, so size-based rules skip them.
 *
 * Every fact is known, unknown (live context was asked for but the query
 * failed, timed out or was refused) or not applicable; policy_match.c
 * decides what an unknown fact means (`when_unknown:`).
 *
 * The DSN comes from the policy (`live: { dsn: ... }`) or `sqlward check
 * --dsn`, never from the governed client.
 */
#ifndef SQLWARD_LIVE_CONTEXT_H
#define SQLWARD_LIVE_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include "statement.h"

#include "live_facts.h"   /* struct sw_live: the facts read */

/*
 * A live-context connection. sw_live_open never fails: a connection that
 * cannot be made now is retried at the next statement, and every fact of
 * the statements judged meanwhile is unknown (with the reason).
 */
struct sw_live_conn;
struct sw_live_conn *sw_live_open(const char *dsn);
void sw_live_close(struct sw_live_conn *lc);
/* The database the DSN names (NULL until the first successful connection). */
const char *sw_live_database(struct sw_live_conn *lc);

/*
 * Attach live facts (st->impact->live) to every statement of the analysis
 * that writes or changes schema. Each query runs with short lock and
 * statement timeouts in a READ ONLY transaction. Statements that call
 * functions sqlward does not know are not EXPLAINed (planning may run an
 * IMMUTABLE user function): their est_rows is unknown.
 */
void sw_live_annotate(struct sw_live_conn *lc, struct sw_analysis *a);
/*
 * The same, plus what the policy's read rules need (wants: SW_LIVE_WANT_*,
 * from sw_policy_live_wants):
 *   - SW_LIVE_WANT_COLUMNS: for statements with read facts (st->reads), each
 *     `*` reference gets the columns of its relation (pg_attribute) in
 *     `expanded`, and every relation the statement names that is a view
 *     (or materialized view) adds the table columns its query reads, as
 *     further column references (schema.table, column), through views over
 *     views; a `*` whose relation cannot be read stays unexpanded (unknown).
 *     Catalog answers are cached per (database, relation) for 10 s.
 *   - SW_LIVE_WANT_READ_EST: every read gets est_rows and est_cost (the top
 *     plan node's rows and total cost) from EXPLAIN without ANALYZE, as
 *     writes get est_rows; unknown when it cannot be EXPLAINed (not a
 *     SELECT, unknown functions, no connection).
 */
void sw_live_annotate_wants(struct sw_live_conn *lc, struct sw_analysis *a, unsigned wants);

/*
 * The daemon's entry point: one cached connection per DSN (reconnects when
 * the DSN changes or the connection is lost). Only annotates when database
 * is the database the DSN connects to; otherwise the statements get no live
 * context at all (their live rules never match). NULL/empty dsn: no-op.
 */
void sw_live_annotate_dsn(const char *dsn, const char *database, struct sw_analysis *a);
void sw_live_annotate_dsn_wants(const char *dsn, const char *database, unsigned wants, struct sw_analysis *a);

/*
 * The owners (role names) of the functions named schema.name in the
 * database, through the same cached connection: false when they cannot be
 * read now (no DSN, another database, the query failed). No such function:
 * true with no owners.
 */
bool sw_live_function_owners_dsn(const char *dsn, const char *database, const char *schema, const char *name,
				 struct sw_strv *owners);
/* The same over one connection (`sqlward check --dsn`). */
bool sw_live_function_owners(struct sw_live_conn *lc, const char *schema, const char *name, struct sw_strv *owners);

#endif
