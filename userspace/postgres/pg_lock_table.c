/*
 * PostgreSQL 15 lock table (see pg_lock_table.h). Sources are REL_15_STABLE
 * paths below src/backend/. Statement entries give the lock on the relation
 * the statement names in its plain form; impact.c refines the variants
 * (CONCURRENTLY, ONLY, options) and adds the relations found through the
 * catalog.
 */
#include <stddef.h>
#include <string.h>
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include "pg_lock_table.h"

#define N(x) PG_QUERY__NODE__NODE_##x
#define AT(x) PG_QUERY__ALTER_TABLE_TYPE__AT_##x
#define AS SW_LOCK_ACCESS_SHARE
#define RS SW_LOCK_ROW_SHARE
#define RE SW_LOCK_ROW_EXCLUSIVE
#define SUE SW_LOCK_SHARE_UPDATE_EXCLUSIVE
#define SH SW_LOCK_SHARE
#define SRE SW_LOCK_SHARE_ROW_EXCLUSIVE
#define EX SW_LOCK_EXCLUSIVE
#define AE SW_LOCK_ACCESS_EXCLUSIVE
#define NONE SW_LOCK_NONE

/* Catalog-only statements: they change catalog rows, never a user relation's lock. */
#define CATALOG_ONLY "tcop/utility.c ProcessUtilitySlow: catalog change, no relation lock"

static const struct sw_pg_stmt_lock stmt_locks[] = {
	/* queries: parser/parse_relation.c addRangeTableEntry, parse_clause.c setTargetTable */
	{ N(SELECT_STMT), "dml.select", AS, "parser/parse_relation.c addRangeTableEntry (AccessShareLock; RowShareLock FOR UPDATE/SHARE)", NULL },
	{ N(INSERT_STMT), "dml.insert", RE, "parser/parse_clause.c setTargetTable (RowExclusiveLock)", NULL },
	{ N(UPDATE_STMT), "dml.update", RE, "parser/parse_clause.c setTargetTable (RowExclusiveLock)", NULL },
	{ N(DELETE_STMT), "dml.delete", RE, "parser/parse_clause.c setTargetTable (RowExclusiveLock)", NULL },
	{ N(MERGE_STMT), "dml.merge", RE, "parser/parse_merge.c transformMergeStmt -> setTargetTable (RowExclusiveLock)", NULL },
	{ N(EXPLAIN_STMT), "dml.explain", AS, "commands/explain.c ExplainQuery (the query's own locks; ANALYZE runs it)", NULL },
	{ N(DECLARE_CURSOR_STMT), "dml.select", AS, "commands/portalcmds.c PerformCursorOpen (the query's locks)", NULL },
	{ N(CALL_STMT), "procedural.call", NONE, "commands/functioncmds.c ExecuteCallStmt (the procedure body's own locks)",
	  "the procedure body runs opaque code whose locks are not analysed" },
	{ N(DO_STMT), "procedural.do", NONE, "commands/functioncmds.c ExecuteDoStmt", "the block runs opaque code whose locks are not analysed" },
	{ N(COPY_STMT), "utility.copy", AS, "commands/copy.c DoCopy (FROM: RowExclusiveLock, TO: AccessShareLock)", NULL },
	{ N(PREPARE_STMT), "session.prepare", AS, "commands/prepare.c PrepareQuery (parse analysis locks the query's relations)", NULL },
	{ N(EXECUTE_STMT), "session.execute", NONE, "commands/prepare.c ExecuteQuery (the prepared statement's locks)",
	  "the prepared statement is not known here" },
	/* DDL on relations */
	{ N(CREATE_STMT), "ddl.create_table", AE, "commands/tablecmds.c DefineRelation (parents ShareUpdateExclusiveLock; PARTITION OF: parent AccessExclusiveLock)", NULL },
	{ N(CREATE_FOREIGN_TABLE_STMT), "ddl.create_table", AE, "commands/foreigncmds.c CreateForeignTable -> DefineRelation", NULL },
	{ N(CREATE_TABLE_AS_STMT), "ddl.create_table", AE, "commands/createas.c ExecCreateTableAs (the query's locks)", NULL },
	{ N(VIEW_STMT), "ddl.view", AE, "commands/view.c DefineView (OR REPLACE locks the old view AccessExclusiveLock)", NULL },
	{ N(INDEX_STMT), "ddl.index", SH, "commands/indexcmds.c DefineIndex (ShareLock; ShareUpdateExclusiveLock CONCURRENTLY)", NULL },
	{ N(ALTER_TABLE_STMT), "ddl.alter_table", AE, "commands/tablecmds.c AlterTableGetLockLevel (strongest over the subcommands)", NULL },
	{ N(RENAME_STMT), "ddl.rename", AE, "commands/tablecmds.c RenameRelation / renameatt / RenameConstraint (ALTER INDEX: ShareUpdateExclusiveLock)", NULL },
	{ N(ALTER_OBJECT_SCHEMA_STMT), "ddl.set_schema", AE, "commands/tablecmds.c AlterTableNamespace (AccessExclusiveLock)", NULL },
	{ N(ALTER_OWNER_STMT), "ddl.owner", AE, "commands/tablecmds.c ATExecChangeOwner (AccessExclusiveLock)", NULL },
	{ N(ALTER_OBJECT_DEPENDS_STMT), "ddl.depends", AE, "commands/alter.c ExecAlterObjectDependsStmt -> get_object_address (AccessExclusiveLock)", NULL },
	{ N(DROP_STMT), "ddl.drop", AE, "commands/tablecmds.c RemoveRelations / dropcmds.c RemoveObjects (AccessExclusiveLock)", NULL },
	{ N(TRUNCATE_STMT), "ddl.truncate", AE, "commands/tablecmds.c ExecuteTruncate (AccessExclusiveLock)", NULL },
	{ N(COMMENT_STMT), "ddl.comment", SUE, "commands/comment.c CommentObject -> catalog/objectaddress.c get_object_address (relation ShareUpdateExclusiveLock; table of a constraint/trigger/rule/policy AccessShareLock)", NULL },
	{ N(SEC_LABEL_STMT), "ddl.security_label", SUE, "commands/seclabel.c ExecSecLabelStmt -> get_object_address (ShareUpdateExclusiveLock)", NULL },
	{ N(CREATE_TRIG_STMT), "ddl.trigger", SRE, "commands/trigger.c CreateTrigger (ShareRowExclusiveLock; FROM table AccessShareLock)", NULL },
	{ N(RULE_STMT), "ddl.rule", AE, "rewrite/rewriteDefine.c DefineQueryRewrite (AccessExclusiveLock)", NULL },
	{ N(CREATE_POLICY_STMT), "ddl.policy", AE, "commands/policy.c CreatePolicy (AccessExclusiveLock)", NULL },
	{ N(ALTER_POLICY_STMT), "ddl.policy", AE, "commands/policy.c AlterPolicy (AccessExclusiveLock)", NULL },
	{ N(CREATE_STATS_STMT), "ddl.statistics", SUE, "commands/statscmds.c CreateStatistics (ShareUpdateExclusiveLock)", NULL },
	{ N(ALTER_STATS_STMT), "ddl.statistics", NONE, "commands/statscmds.c AlterStatistics (statistics object lock only)", NULL },
	{ N(CREATE_SEQ_STMT), "ddl.sequence", AE, "commands/sequence.c DefineSequence (new relation; OWNED BY table AccessShareLock)", NULL },
	{ N(ALTER_SEQ_STMT), "ddl.sequence", SRE, "commands/sequence.c AlterSequence (ShareRowExclusiveLock; OWNED BY table AccessShareLock)", NULL },
	{ N(REFRESH_MAT_VIEW_STMT), "maint.refresh", AE, "commands/matview.c ExecRefreshMatView (AccessExclusiveLock; ExclusiveLock CONCURRENTLY)", NULL },
	{ N(ALTER_TABLE_MOVE_ALL_STMT), "ddl.alter_table", AE, "commands/tablecmds.c AlterTableMoveAll (every matching relation AccessExclusiveLock)",
	  "the relations moved are every one in the tablespace: catalog-found" },
	{ N(REPLICA_IDENTITY_STMT), "ddl.alter_table", AE, "commands/tablecmds.c ATExecReplicaIdentity", NULL },
	/* maintenance */
	{ N(VACUUM_STMT), "maint.vacuum", SUE, "commands/vacuum.c vacuum_rel (ShareUpdateExclusiveLock; FULL AccessExclusiveLock) / analyze.c analyze_rel",
	  NULL },
	{ N(CLUSTER_STMT), "maint.cluster", AE, "commands/cluster.c cluster_rel (AccessExclusiveLock)", NULL },
	{ N(REINDEX_STMT), "maint.reindex", SH, "commands/indexcmds.c ReindexTable / ReindexIndex (table ShareLock, indexes AccessExclusiveLock)", NULL },
	{ N(LOCK_STMT), "utility.lock", AE, "commands/lockcmds.c LockTableCommand (the mode written)", NULL },
	/* types and domains */
	{ N(CREATE_DOMAIN_STMT), "ddl.domain", NONE, "commands/typecmds.c DefineDomain: " CATALOG_ONLY, NULL },
	{ N(ALTER_DOMAIN_STMT), "ddl.domain", NONE, "commands/typecmds.c AlterDomainAddConstraint / AlterDomainNotNull / AlterDomainValidateConstraint -> validateDomainConstraint -> get_rels_with_domain (ShareLock on every table with a column of the domain)", NULL },
	{ N(DEFINE_STMT), "ddl.type", NONE, CATALOG_ONLY, NULL },
	{ N(COMPOSITE_TYPE_STMT), "ddl.type", NONE, "commands/typecmds.c DefineCompositeType (its relation is new)", NULL },
	{ N(CREATE_ENUM_STMT), "ddl.type", NONE, CATALOG_ONLY, NULL },
	{ N(CREATE_RANGE_STMT), "ddl.type", NONE, CATALOG_ONLY, NULL },
	{ N(ALTER_ENUM_STMT), "ddl.type", NONE, CATALOG_ONLY, NULL },
	{ N(ALTER_TYPE_STMT), "ddl.type", NONE, "commands/typecmds.c AlterType", NULL },
	/* functions */
	{ N(CREATE_FUNCTION_STMT), "ddl.function", NONE, "commands/functioncmds.c CreateFunction -> ProcedureCreate -> fmgr validator (SQL bodies: executor/functions.c fmgr_sql_validator parse-analyses the body, locking its relations as a query does; PL/pgSQL: none)", NULL },
	{ N(ALTER_FUNCTION_STMT), "ddl.function", NONE, CATALOG_ONLY, NULL },
	{ N(CREATE_PLANG_STMT), "ddl.extension", NONE, CATALOG_ONLY, NULL },
	{ N(CREATE_CAST_STMT), "ddl.type", NONE, CATALOG_ONLY, NULL },
	{ N(CREATE_CONVERSION_STMT), "ddl.type", NONE, CATALOG_ONLY, NULL },
	{ N(CREATE_TRANSFORM_STMT), "ddl.type", NONE, CATALOG_ONLY, NULL },
	{ N(CREATE_OP_CLASS_STMT), "ddl.operator", NONE, CATALOG_ONLY, NULL },
	{ N(CREATE_OP_FAMILY_STMT), "ddl.operator", NONE, CATALOG_ONLY, NULL },
	{ N(ALTER_OP_FAMILY_STMT), "ddl.operator", NONE, CATALOG_ONLY, NULL },
	{ N(ALTER_OPERATOR_STMT), "ddl.operator", NONE, CATALOG_ONLY, NULL },
	{ N(CREATE_AM_STMT), "ddl.operator", NONE, CATALOG_ONLY, NULL },
	{ N(ALTER_TSDICTIONARY_STMT), "ddl.text_search", NONE, CATALOG_ONLY, NULL },
	{ N(ALTER_TSCONFIGURATION_STMT), "ddl.text_search", NONE, CATALOG_ONLY, NULL },
	{ N(ALTER_COLLATION_STMT), "ddl.type", NONE, CATALOG_ONLY, NULL },
	/* extensions, foreign data, replication */
	{ N(CREATE_EXTENSION_STMT), "ddl.extension", NONE, "commands/extension.c CreateExtension (runs the install script)",
	  "the install script's statements are not analysed" },
	{ N(ALTER_EXTENSION_STMT), "ddl.extension", NONE, "commands/extension.c ExecAlterExtensionStmt (runs the update script)",
	  "the update script's statements are not analysed" },
	{ N(ALTER_EXTENSION_CONTENTS_STMT), "ddl.extension", NONE, CATALOG_ONLY, NULL },
	{ N(CREATE_FDW_STMT), "ddl.foreign", NONE, CATALOG_ONLY, NULL },
	{ N(ALTER_FDW_STMT), "ddl.foreign", NONE, CATALOG_ONLY, NULL },
	{ N(CREATE_FOREIGN_SERVER_STMT), "ddl.foreign", NONE, CATALOG_ONLY, NULL },
	{ N(ALTER_FOREIGN_SERVER_STMT), "ddl.foreign", NONE, CATALOG_ONLY, NULL },
	{ N(CREATE_USER_MAPPING_STMT), "ddl.foreign", NONE, CATALOG_ONLY, NULL },
	{ N(ALTER_USER_MAPPING_STMT), "ddl.foreign", NONE, CATALOG_ONLY, NULL },
	{ N(DROP_USER_MAPPING_STMT), "ddl.foreign", NONE, CATALOG_ONLY, NULL },
	{ N(IMPORT_FOREIGN_SCHEMA_STMT), "ddl.foreign", NONE, "commands/foreigncmds.c ImportForeignSchema (new foreign tables)", NULL },
	{ N(CREATE_PUBLICATION_STMT), "ddl.publication", SUE, "commands/publicationcmds.c CreatePublication -> OpenTableList (ShareUpdateExclusiveLock)", NULL },
	{ N(ALTER_PUBLICATION_STMT), "ddl.publication", SUE, "commands/publicationcmds.c AlterPublicationTables -> OpenTableList (ShareUpdateExclusiveLock)", NULL },
	{ N(CREATE_SUBSCRIPTION_STMT), "ddl.subscription", NONE, CATALOG_ONLY, NULL },
	{ N(ALTER_SUBSCRIPTION_STMT), "ddl.subscription", NONE, CATALOG_ONLY, NULL },
	{ N(DROP_SUBSCRIPTION_STMT), "ddl.subscription", NONE, CATALOG_ONLY, NULL },
	{ N(CREATE_EVENT_TRIG_STMT), "ddl.event_trigger", NONE, CATALOG_ONLY, NULL },
	{ N(ALTER_EVENT_TRIG_STMT), "ddl.event_trigger", NONE, CATALOG_ONLY, NULL },
	/* schemas, databases, tablespaces */
	{ N(CREATE_SCHEMA_STMT), "ddl.schema", NONE, "commands/schemacmds.c CreateSchemaCommand (its elements run as their own statements)", NULL },
	{ N(CREATEDB_STMT), "ddl.database", NONE, "commands/dbcommands.c createdb (PreventInTransactionBlock)", NULL },
	{ N(DROPDB_STMT), "ddl.database", NONE, "commands/dbcommands.c dropdb (PreventInTransactionBlock)", NULL },
	{ N(ALTER_DATABASE_STMT), "ddl.database", NONE, CATALOG_ONLY, NULL },
	{ N(ALTER_DATABASE_SET_STMT), "ddl.database", NONE, CATALOG_ONLY, NULL },
	{ N(ALTER_DATABASE_REFRESH_COLL_STMT), "ddl.database", NONE, CATALOG_ONLY, NULL },
	{ N(CREATE_TABLE_SPACE_STMT), "ddl.tablespace", NONE, "commands/tablespace.c CreateTableSpace (PreventInTransactionBlock)", NULL },
	{ N(DROP_TABLE_SPACE_STMT), "ddl.tablespace", NONE, "commands/tablespace.c DropTableSpace (PreventInTransactionBlock)", NULL },
	{ N(ALTER_TABLE_SPACE_OPTIONS_STMT), "ddl.tablespace", NONE, CATALOG_ONLY, NULL },
	/* privileges and roles */
	{ N(GRANT_STMT), "privilege.grant", NONE, "catalog/aclchk.c ExecuteGrantStmt -> objectNamesToOids (RangeVarGetRelid(..., NoLock, ...)): no relation lock", NULL },
	{ N(GRANT_ROLE_STMT), "privilege.role", NONE, CATALOG_ONLY, NULL },
	{ N(ALTER_DEFAULT_PRIVILEGES_STMT), "privilege.grant", NONE, CATALOG_ONLY, NULL },
	{ N(CREATE_ROLE_STMT), "privilege.role", NONE, CATALOG_ONLY, NULL },
	{ N(ALTER_ROLE_STMT), "privilege.role", NONE, CATALOG_ONLY, NULL },
	{ N(ALTER_ROLE_SET_STMT), "privilege.role", NONE, CATALOG_ONLY, NULL },
	{ N(DROP_ROLE_STMT), "privilege.role", NONE, CATALOG_ONLY, NULL },
	{ N(REASSIGN_OWNED_STMT), "privilege.role", AE, "catalog/pg_shdepend.c shdepReassignOwned (each owned relation via ATExecChangeOwner)",
	  "the relations are every one the roles own: catalog-found" },
	{ N(DROP_OWNED_STMT), "privilege.role", AE, "catalog/pg_shdepend.c shdepDropOwned -> performMultipleDeletions",
	  "the relations are every one the roles own: catalog-found" },
	/* session, transaction, utility */
	{ N(TRANSACTION_STMT), "transaction", NONE, "tcop/utility.c standard_ProcessUtility T_TransactionStmt", NULL },
	{ N(CONSTRAINTS_SET_STMT), "transaction", NONE, "commands/trigger.c AfterTriggerSetState", NULL },
	{ N(VARIABLE_SET_STMT), "session.set", NONE, "utils/misc/guc.c ExecSetVariableStmt", NULL },
	{ N(VARIABLE_SHOW_STMT), "session.set", NONE, "utils/misc/guc.c GetPGVariable", NULL },
	{ N(ALTER_SYSTEM_STMT), "utility.alter_system", NONE, "utils/misc/guc.c AlterSystemSetConfigFile (PreventInTransactionBlock)", NULL },
	{ N(DISCARD_STMT), "session.discard", NONE, "commands/discard.c DiscardCommand", NULL },
	{ N(DEALLOCATE_STMT), "session.prepare", NONE, "commands/prepare.c DeallocateQuery", NULL },
	{ N(CLOSE_PORTAL_STMT), "session.cursor", NONE, "commands/portalcmds.c PerformPortalClose", NULL },
	{ N(FETCH_STMT), "session.cursor", NONE, "commands/portalcmds.c PerformPortalFetch (the cursor holds its locks already)", NULL },
	{ N(LISTEN_STMT), "session.notify", NONE, "commands/async.c Async_Listen", NULL },
	{ N(UNLISTEN_STMT), "session.notify", NONE, "commands/async.c Async_Unlisten", NULL },
	{ N(NOTIFY_STMT), "session.notify", NONE, "commands/async.c Async_Notify", NULL },
	{ N(LOAD_STMT), "utility.load", NONE, "utils/fmgr/dfmgr.c load_file", NULL },
	{ N(CHECK_POINT_STMT), "utility.checkpoint", NONE, "postmaster/checkpointer.c RequestCheckpoint", NULL },
};

/*
 * tablecmds.c AlterTableGetLockLevel (mode) and ATPrepCmd / the ATExec*
 * functions (recursion to children when the relation is written without ONLY).
 */
#define GL "commands/tablecmds.c AlterTableGetLockLevel"
static const struct sw_pg_at_lock at_locks[] = {
	{ AT(AddColumn), AE, SW_AT_RECURSE, GL " / ATExecAddColumn (recurses to every child)" },
	{ AT(AddColumnRecurse), AE, SW_AT_RECURSE, GL " / ATExecAddColumn" },
	{ AT(AddColumnToView), AE, SW_AT_NO_RECURSE, GL " (CREATE OR REPLACE VIEW)" },
	{ AT(ColumnDefault), AE, SW_AT_RECURSE, GL " / ATPrepCmd ATSimpleRecursion" },
	{ AT(CookedColumnDefault), AE, SW_AT_NO_RECURSE, GL },
	{ AT(DropNotNull), AE, SW_AT_RECURSE, GL " (default: AccessExclusiveLock) / ATPrepCmd ATSimpleRecursion" },
	{ AT(SetNotNull), AE, SW_AT_RECURSE, GL " / ATPrepSetNotNull (recurses to every child)" },
	{ AT(DropExpression), AE, SW_AT_RECURSE, GL " / ATPrepCmd ATSimpleRecursion" },
	{ AT(CheckNotNull), AS, SW_AT_RECURSE, GL " (internal)" },
	{ AT(SetStatistics), SUE, SW_AT_RECURSE, GL " / ATPrepCmd ATSimpleRecursion" },
	{ AT(SetOptions), SUE, SW_AT_NO_RECURSE, GL " (ALTER COLUMN SET (...): n_distinct options)" },
	{ AT(ResetOptions), SUE, SW_AT_NO_RECURSE, GL },
	{ AT(SetStorage), AE, SW_AT_RECURSE, GL " / ATPrepCmd ATSimpleRecursion" },
	{ AT(SetCompression), AE, SW_AT_NO_RECURSE, GL },
	{ AT(DropColumn), AE, SW_AT_RECURSE, GL " / ATExecDropColumn (recurses to every child)" },
	{ AT(DropColumnRecurse), AE, SW_AT_RECURSE, GL " / ATExecDropColumn" },
	{ AT(AddIndex), SH, SW_AT_NO_RECURSE, GL " (internal: DefineIndex)" },
	{ AT(ReAddIndex), AE, SW_AT_NO_RECURSE, GL " (internal)" },
	{ AT(AddConstraint), AE, SW_AT_RECURSE, GL " (FOREIGN KEY: ShareRowExclusiveLock) / ATExecAddConstraint (CHECK recurses to every child)" },
	{ AT(AddConstraintRecurse), AE, SW_AT_RECURSE, GL " / ATExecAddConstraint" },
	{ AT(ReAddConstraint), AE, SW_AT_NO_RECURSE, GL " (internal)" },
	{ AT(ReAddDomainConstraint), AE, SW_AT_NO_RECURSE, GL " (internal)" },
	{ AT(AlterConstraint), AE, SW_AT_RECURSE_CATALOG, GL " / ATExecAlterConstraint (foreign keys of partitions)" },
	{ AT(ValidateConstraint), SUE, SW_AT_RECURSE_CATALOG, GL " / ATExecValidateConstraint (children that have the constraint)" },
	{ AT(ValidateConstraintRecurse), SUE, SW_AT_RECURSE_CATALOG, GL " / ATExecValidateConstraint" },
	{ AT(AddIndexConstraint), AE, SW_AT_NO_RECURSE, GL " (ADD CONSTRAINT ... USING INDEX)" },
	{ AT(DropConstraint), AE, SW_AT_RECURSE_CATALOG, GL " / ATExecDropConstraint (children that inherited the constraint)" },
	{ AT(DropConstraintRecurse), AE, SW_AT_RECURSE_CATALOG, GL " / ATExecDropConstraint" },
	{ AT(ReAddComment), AE, SW_AT_NO_RECURSE, GL " (internal)" },
	{ AT(AlterColumnType), AE, SW_AT_RECURSE, GL " / ATPrepAlterColumnType (recurses to every child)" },
	{ AT(AlterColumnGenericOptions), AE, SW_AT_NO_RECURSE, GL },
	{ AT(ChangeOwner), AE, SW_AT_NO_RECURSE, GL " / ATExecChangeOwner" },
	{ AT(ClusterOn), SUE, SW_AT_NO_RECURSE, GL },
	{ AT(DropCluster), SUE, SW_AT_NO_RECURSE, GL },
	{ AT(SetLogged), AE, SW_AT_NO_RECURSE, GL " (rewrites)" },
	{ AT(SetUnLogged), AE, SW_AT_NO_RECURSE, GL " (rewrites)" },
	{ AT(DropOids), AE, SW_AT_NO_RECURSE, GL },
	{ AT(SetAccessMethod), AE, SW_AT_NO_RECURSE, GL " (rewrites)" },
	{ AT(SetTableSpace), AE, SW_AT_NO_RECURSE, GL " (copies the files)" },
	{ AT(SetRelOptions), SUE, SW_AT_NO_RECURSE, GL " -> access/common/reloptions.c AlterTableGetRelOptionsLockLevel (strongest over the options)" },
	{ AT(ResetRelOptions), SUE, SW_AT_NO_RECURSE, GL " -> access/common/reloptions.c AlterTableGetRelOptionsLockLevel (strongest over the options)" },
	{ AT(ReplaceRelOptions), AE, SW_AT_NO_RECURSE, GL },
	{ AT(EnableTrig), SRE, SW_AT_RECURSE_CATALOG, GL " / ATExecEnableDisableTrigger (partitions' clones of the trigger)" },
	{ AT(EnableAlwaysTrig), SRE, SW_AT_RECURSE_CATALOG, GL " / ATExecEnableDisableTrigger" },
	{ AT(EnableReplicaTrig), SRE, SW_AT_RECURSE_CATALOG, GL " / ATExecEnableDisableTrigger" },
	{ AT(DisableTrig), SRE, SW_AT_RECURSE_CATALOG, GL " / ATExecEnableDisableTrigger" },
	{ AT(EnableTrigAll), SRE, SW_AT_RECURSE_CATALOG, GL " / ATExecEnableDisableTrigger" },
	{ AT(DisableTrigAll), SRE, SW_AT_RECURSE_CATALOG, GL " / ATExecEnableDisableTrigger" },
	{ AT(EnableTrigUser), SRE, SW_AT_RECURSE_CATALOG, GL " / ATExecEnableDisableTrigger" },
	{ AT(DisableTrigUser), SRE, SW_AT_RECURSE_CATALOG, GL " / ATExecEnableDisableTrigger" },
	{ AT(EnableRule), AE, SW_AT_NO_RECURSE, GL },
	{ AT(EnableAlwaysRule), AE, SW_AT_NO_RECURSE, GL },
	{ AT(EnableReplicaRule), AE, SW_AT_NO_RECURSE, GL },
	{ AT(DisableRule), AE, SW_AT_NO_RECURSE, GL },
	{ AT(AddInherit), AE, SW_AT_NO_RECURSE, GL " (parent: ATExecAddInherit ShareUpdateExclusiveLock)" },
	{ AT(DropInherit), AE, SW_AT_NO_RECURSE, GL " (parent: ATExecDropInherit ShareUpdateExclusiveLock)" },
	{ AT(AddOf), AE, SW_AT_NO_RECURSE, GL },
	{ AT(DropOf), AE, SW_AT_NO_RECURSE, GL },
	{ AT(ReplicaIdentity), AE, SW_AT_NO_RECURSE, GL },
	{ AT(EnableRowSecurity), AE, SW_AT_NO_RECURSE, GL },
	{ AT(DisableRowSecurity), AE, SW_AT_NO_RECURSE, GL },
	{ AT(ForceRowSecurity), AE, SW_AT_NO_RECURSE, GL },
	{ AT(NoForceRowSecurity), AE, SW_AT_NO_RECURSE, GL },
	{ AT(GenericOptions), AE, SW_AT_NO_RECURSE, GL },
	{ AT(AttachPartition), SUE, SW_AT_NO_RECURSE, GL " (parent; the attached table AccessExclusiveLock: ATExecAttachPartition)" },
	{ AT(DetachPartition), AE, SW_AT_NO_RECURSE, GL " (CONCURRENTLY: ShareUpdateExclusiveLock)" },
	{ AT(DetachPartitionFinalize), SUE, SW_AT_NO_RECURSE, GL },
	{ AT(AddIdentity), AE, SW_AT_NO_RECURSE, GL },
	{ AT(SetIdentity), AE, SW_AT_NO_RECURSE, GL },
	{ AT(DropIdentity), AE, SW_AT_NO_RECURSE, GL },
	{ AT(ReAddStatistics), SUE, SW_AT_NO_RECURSE, GL " (internal)" },
};

/* access/common/reloptions.c boolRelOpts/intRelOpts/realRelOpts/enumRelOpts/stringRelOpts lockmode. */
static const struct {
	const char *name;
	enum sw_lockmode mode;
} reloptions[] = {
	{ "autosummarize", AE }, { "autovacuum_analyze_scale_factor", SUE }, { "autovacuum_analyze_threshold", SUE },
	{ "autovacuum_enabled", SUE }, { "autovacuum_freeze_max_age", SUE }, { "autovacuum_freeze_min_age", SUE },
	{ "autovacuum_freeze_table_age", SUE }, { "autovacuum_multixact_freeze_max_age", SUE },
	{ "autovacuum_multixact_freeze_min_age", SUE }, { "autovacuum_multixact_freeze_table_age", SUE },
	{ "autovacuum_vacuum_cost_delay", SUE }, { "autovacuum_vacuum_cost_limit", SUE },
	{ "autovacuum_vacuum_insert_scale_factor", SUE }, { "autovacuum_vacuum_insert_threshold", SUE },
	{ "autovacuum_vacuum_scale_factor", SUE }, { "autovacuum_vacuum_threshold", SUE },
	{ "buffering", AE }, { "check_option", AE }, { "deduplicate_items", SUE }, { "fastupdate", AE },
	{ "fillfactor", SUE }, { "gin_pending_list_limit", AE }, { "log_autovacuum_min_duration", SUE },
	{ "n_distinct", SUE }, { "n_distinct_inherited", SUE }, { "pages_per_range", AE },
	{ "parallel_workers", SUE }, { "security_barrier", AE }, { "security_invoker", AE },
	{ "toast_tuple_target", SUE }, { "user_catalog_table", AE }, { "vacuum_cleanup_index_scale_factor", SUE },
	{ "vacuum_index_cleanup", SUE }, { "vacuum_truncate", SUE },
};

const struct sw_pg_stmt_lock *sw_pg_stmt_lock_find(int node)
{
	for (size_t i = 0; i < sizeof(stmt_locks) / sizeof(stmt_locks[0]); i++)
		if (stmt_locks[i].node == node)
			return &stmt_locks[i];
	return NULL;
}

const struct sw_pg_at_lock *sw_pg_at_lock_find(int subtype)
{
	for (size_t i = 0; i < sizeof(at_locks) / sizeof(at_locks[0]); i++)
		if (at_locks[i].subtype == subtype)
			return &at_locks[i];
	return NULL;
}

enum sw_lockmode sw_pg_reloption_lock(const char *name)
{
	/* reloptions.c matches relOpts[i]->name against defname only, so a
	 * "toast." namespace prefix is matched by the parser's defnamespace. */
	for (size_t i = 0; name && i < sizeof(reloptions) / sizeof(reloptions[0]); i++)
		if (strcmp(reloptions[i].name, name) == 0)
			return reloptions[i].mode;
	return SW_LOCK_NONE;
}

const struct sw_pg_stmt_lock *sw_pg_stmt_locks(unsigned *n)
{
	*n = sizeof(stmt_locks) / sizeof(stmt_locks[0]);
	return stmt_locks;
}

const struct sw_pg_at_lock *sw_pg_at_locks(unsigned *n)
{
	*n = sizeof(at_locks) / sizeof(at_locks[0]);
	return at_locks;
}
