/*
 * The engine-neutral model of a classified statement. Every engine's
 * classifier fills these structures; policy, ledger, check and the daemon
 * read only these, never a parse tree.
 */
#ifndef SQLWARD_STATEMENT_H
#define SQLWARD_STATEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include "lock_mode.h"

enum sw_engine { SW_ENGINE_POSTGRES = 0, SW_ENGINE_MYSQL = 1 };
const char *sw_engine_name(enum sw_engine e);

enum sw_class {
	SW_CLASS_READ = 0,
	SW_CLASS_WRITE,
	SW_CLASS_DDL,
	SW_CLASS_PRIVILEGE,
	SW_CLASS_TRANSACTION,
	SW_CLASS_SESSION,
	SW_CLASS_PROCEDURAL,
	SW_CLASS_UTILITY,
	SW_CLASS_UNKNOWN,
	SW_CLASS_REPLICATION,   /* a replication-protocol command (walsender): slots, streaming, base backup */
	SW_CLASS_TWO_PHASE,     /* PREPARE TRANSACTION, COMMIT/ROLLBACK PREPARED: outlives the session */
	SW_CLASS__COUNT
};
const char *sw_class_name(enum sw_class c);
/* Returns false when name is not a class name. */
bool sw_class_parse(const char *name, enum sw_class *out);

/*
 * Traits: facts a policy can match on (`trait: NAME`). Names are the
 * lower-case identifiers in sw_trait_name().
 */
enum sw_trait {
	SW_TRAIT_DESTRUCTIVE        = 1u << 0,  /* destructive: DROP, TRUNCATE, DELETE/UPDATE without WHERE */
	SW_TRAIT_FILE_ACCESS        = 1u << 1,  /* file_access: COPY file/PROGRAM, server file functions, LOAD */
	SW_TRAIT_SESSION_ESCALATION = 1u << 2,  /* session_escalation: SET ROLE, SET SESSION AUTHORIZATION, ... */
	SW_TRAIT_DANGEROUS_FUNCTION = 1u << 3,  /* dangerous_function: calls a function on the built-in denylist */
	SW_TRAIT_UNKNOWN_FUNCTION   = 1u << 4,  /* unknown_function: calls a function not known to be a read-only builtin */
	SW_TRAIT_WRITABLE_CTE       = 1u << 5,  /* writable_cte: WITH x AS (INSERT/UPDATE/DELETE ...) */
	SW_TRAIT_EXECUTES           = 1u << 6,  /* executes: EXPLAIN ANALYZE runs the inner statement */
	SW_TRAIT_SELECT_INTO        = 1u << 7,  /* select_into: SELECT ... INTO creates a table */
	SW_TRAIT_MULTI_STATEMENT    = 1u << 8,  /* multi_statement: the string held more than one statement */
	SW_TRAIT_SELECT_STAR        = 1u << 9,  /* select_star: SELECT * or t.* */
	SW_TRAIT_NO_LIMIT           = 1u << 10, /* no_limit: a row-returning read with no LIMIT that is not aggregate-only */
	SW_TRAIT_NO_WHERE           = 1u << 11, /* no_where: UPDATE or DELETE without WHERE */
	SW_TRAIT_OPAQUE_CODE        = 1u << 12, /* opaque_code: DO block, function/procedure body, CALL */
	SW_TRAIT_PREPARED           = 1u << 13, /* prepared: judged as PREPARE's inner or EXECUTE's resolved statement */
	SW_TRAIT_UNRESOLVED         = 1u << 14, /* unresolved: EXECUTE of a name this session never prepared */
	SW_TRAIT_LOCKING_READ       = 1u << 15, /* locking_read: SELECT ... FOR UPDATE/SHARE */
	SW_TRAIT_UNSAFE_SETTING     = 1u << 16, /* unsafe_setting: changes a setting governed sessions may not change */
	SW_TRAIT_SENSITIVE_CATALOG  = 1u << 17, /* sensitive_catalog: reads credentials, server configuration or other sessions' SQL */
	SW_TRAIT_FASTPATH           = 1u << 18, /* fastpath: a protocol-level function call (message 'F', libpq PQfn) */
	SW_TRAIT_PARAMETERIZED      = 1u << 19, /* parameterized: has $n placeholders, bound at each execution */
	SW_TRAIT_RUNS_SQL           = 1u << 20, /* runs_sql: a function that runs SQL given as a string (query_to_xml,
						     * table_to_xml, ...): what it runs is judged at the execution checkpoint */
};
#define SW_TRAIT__COUNT 21
const char *sw_trait_name(unsigned bit_index);  /* index 0..SW_TRAIT__COUNT-1 */
/* The classifier's reason for SW_TRAIT_PARAMETERIZED (one text, so others can find it). */
#define SW_REASON_PARAMETERIZED "has $n placeholders: their values are bound at each execution and not seen here"
/* Returns the trait bit for a name, 0 when unknown. */
unsigned sw_trait_parse(const char *name);

struct sw_strv {
	char **v;
	size_t n, cap;
};
void sw_strv_push(struct sw_strv *sv, const char *s);      /* copies s */
void sw_strv_push_unique(struct sw_strv *sv, const char *s);
bool sw_strv_contains(const struct sw_strv *sv, const char *s);
void sw_strv_free(struct sw_strv *sv);
void sw_strv_copy(struct sw_strv *dst, const struct sw_strv *src);

/*
 * A statement's impact (impact.h) is filled by the impact module, which sits
 * above this one (it reads statements). The statement owns it and frees or
 * copies it through the functions the impact module attached with it
 * (sw_stmt_attach_impact), so this module never calls into impact.c: the
 * dependency runs one way, impact -> statement.
 */
struct sw_impact;
struct sw_impact_ops {
	void (*free)(struct sw_impact *im);
	struct sw_impact *(*dup)(const struct sw_impact *im);
};

struct sw_object {
	char *name;        /* as written: "app.transactions" or "transactions" (lower-cased unless quoted) */
	enum sw_lockmode lock;  /* strongest lock the statement takes on it; SW_LOCK_NONE: none */
};

struct sw_read_facts;
struct sw_stmt {
	char *text;                /* this statement's own text */
	enum sw_class cls;
	char *command;             /* command tag as the server reports it: "SELECT", "DROP TABLE" */
	struct sw_object *objects; /* unique, in order of first appearance */
	size_t n_objects;
	struct sw_strv functions;  /* functions called, lower-case, qualified when written qualified */
	struct sw_strv columns;    /* column names referenced (last name component) */
	unsigned traits;           /* SW_TRAIT_* */
	bool rewrites_table;       /* statement rewrites a whole table (ALTER COLUMN TYPE, VACUUM FULL, ...) */
	struct sw_strv reasons;    /* human-readable facts behind the class and traits */
	char *prepare_name;        /* PREPARE name AS ...: the name; the rest describes the inner statement */
	char *execute_name;        /* EXECUTE name: the daemon resolves it against the session */
	char *prepared_text;       /* EXECUTE resolved: the PREPARE statement it was resolved to */
	struct sw_strv settings;   /* run-time settings the statement changes (lower-case names; SET, RESET, BEGIN ...) */
	struct sw_impact *impact;  /* locks, rewrite, scan, reversibility (impact.h); NULL when not analysed */
	struct sw_read_facts *reads; /* columns, scans and row bound (read_facts.h); NULL when not analysed */
	const struct sw_impact_ops *impact_ops;  /* how to free/copy impact; set whenever impact is */
};

/*
 * Bytes a renderer derived from a cache slot's statement and a key of its own
 * (ledger_record.c: a statement record's judgement members), kept with the
 * slot so a shape renders them once per key; freed with the slot's statement.
 * Two ways: a shape judged two ways in turn (an observed and a governed
 * session) replays both.
 */
#define SW_STMT_MEMO_WAYS 2
struct sw_stmt_memo {
	struct {
		char *key, *bytes;
		size_t key_len, len;
	} way[SW_STMT_MEMO_WAYS];
	unsigned next;   /* the way the next new key replaces */
};

struct sw_analysis {
	enum sw_engine engine;
	bool parse_ok;
	char *error;               /* parser message when !parse_ok */
	struct sw_stmt *stmts;     /* when !parse_ok: one statement of class unknown holding the text
	                            * (a replication command keeps class replication: the server runs
	                            * or rejects it as one either way) */
	size_t n_stmts;
	/* Non-NULL: stmts[0], all but its text, is a cache slot's statement lent for this call
	 * (analysis_cache.h, sw_acache_borrow); this is the slot's count of borrowers. Read it, never
	 * change or keep it: sw_analysis_own first. sw_analysis_free gives it back. */
	unsigned *borrowed;
	struct sw_stmt_memo *memo;  /* with borrowed: the slot's memo; NULL otherwise */
};

void sw_stmt_free(struct sw_stmt *st);
void sw_stmt_copy(struct sw_stmt *dst, const struct sw_stmt *src);
/* Adds name once; a name already there keeps the stronger of its lock and lock. */
void sw_stmt_add_object(struct sw_stmt *st, const char *name, enum sw_lockmode lock);
void sw_analysis_free(struct sw_analysis *a);
/* Make a borrowed analysis its own (a deep copy of the lent statement); nothing when it owns it. */
void sw_analysis_own(struct sw_analysis *a);

/*
 * PostgreSQL classifier (libpg_query, PostgreSQL 15 grammar). Never fails:
 * an unparseable string yields parse_ok=false and one unknown statement.
 */
void sw_pg_analyze(const char *sql, struct sw_analysis *out);

#endif
