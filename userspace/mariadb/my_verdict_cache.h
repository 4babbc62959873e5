/*
 * The daemon's side of MariaDB's kernel verdict cache (bpf/mariadb.h,
 * my_text_cache and my_stmt_cache): which policy allows may be remembered in
 * the kernel (sw_my_cache_refusal, a pure decision), the context ids the
 * kernel keys texts by (who is asking), the ids of database names an entry
 * carries back into its events (for the record), and filling and emptying
 * the maps. The PostgreSQL gate's rules (gate_events.c cache_allow,
 * session_dependent; sessions.c context_id) are mirrored here.
 */
#ifndef SQLWARD_MY_VERDICT_CACHE_H
#define SQLWARD_MY_VERDICT_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mariadb.h"
#include "statement.h"

/* What the gate knows about one allowed command besides its analysis. */
struct sw_my_cache_facts {
	bool prepared_execution;   /* a prepared statement's own execution (SW_MY_EXEC_PREPARED), else a COM_QUERY */
	bool disabled;             /* --no-cache or observe-only */
	bool frozen;
	bool ledger_failing;
	bool allowed;              /* the final verdict is allow */
	const char *decided_by;    /* cached only when "policy" (never an approval or a plan) */
	bool gate_refused;         /* the gate's own requirement refused or changed it */
	unsigned budget_ms;        /* the allowing rule's runtime budget (0: none) */
	bool budgets_enforced;     /* the gate can enforce a budget from the command's arrival (completions on) */
	bool live;                 /* the policy reads live context for MariaDB */
	bool literal_sensitive;    /* the policy looks at literals (a prepared execution's values change) */
	bool complete;             /* the whole text was judged */
	size_t text_len;
	size_t db_len;             /* bytes of the current database name */
	uint32_t charset;          /* character_set_client number (0: unknown) */
	bool expect_known;         /* every statement's server sql_command set is known */
	bool sqlcom_matches;       /* (prepared execution) the server's sql_command is in that set */
};

/*
 * NULL when this allow may be cached; otherwise why not (for logs and tests).
 * Never: anything but a plain policy allow, a frozen or failing gate, budgets,
 * live context, truncated texts, and statements whose meaning depends on the
 * session's state (SET, USE, PREPARE/EXECUTE/DEALLOCATE, CALL and other opaque
 * code, unknown or unparsed ones, several statements in a prepared execution).
 */
const char *sw_my_cache_refusal(const struct sw_my_cache_facts *f, const struct sw_analysis *a);

/* FNV-1a over the text's 64-bit little-endian words, zero-padded past len (the probe's hash). */
uint64_t sw_my_text_hash(const char *text, size_t len);

struct sw_my_vcache;

/* fds of my_text_cache, my_stmt_cache and my_sessions; on: the probe's sw_my_cache_on. */
struct sw_my_vcache *sw_my_vcache_new(int text_fd, int stmt_fd, int sessions_fd, volatile uint32_t *on);
void sw_my_vcache_free(struct sw_my_vcache *vc);

/* Turn the kernel's use of the cache on or off (off also empties it). */
void sw_my_vcache_enable(struct sw_my_vcache *vc, bool on);
bool sw_my_vcache_enabled(const struct sw_my_vcache *vc);

/* Empty both maps (policy reload, freeze, failing ledger). */
void sw_my_vcache_clear(struct sw_my_vcache *vc);

/*
 * The context id of who is asking (account, login, client host, client program): the same
 * for every connection of the same asker, so one verdict serves them all. Never 0.
 */
uint32_t sw_my_vcache_context(struct sw_my_vcache *vc, const char *user, const char *priv_user,
			      const char *priv_host, const char *host, const char *client_exe);

/* Publish ctx for a connection whose thread is stopped (only if the kernel still has its session). */
bool sw_my_vcache_set_session_context(struct sw_my_vcache *vc, uint32_t tgid, uint64_t conn_id, uint32_t ctx);

/* The id of a database name ("" for none); 0 when the table is full (then nothing is cached). */
uint32_t sw_my_vcache_db_ref(struct sw_my_vcache *vc, const char *db);
/* The name of a ref, NULL if unknown ("" for no database). */
const char *sw_my_vcache_db_name(const struct sw_my_vcache *vc, uint32_t ref);

/* Remember a COM_QUERY text's allow. expect: what the checkpoint lets run (next = 0). */
bool sw_my_vcache_put_text(struct sw_my_vcache *vc, uint32_t ctx, uint64_t sql_mode, uint32_t charset,
			   const char *db, const char *text, size_t len, const struct sw_my_expect *expect);
/* Remember a prepared statement's allow for its id on one connection. */
bool sw_my_vcache_put_stmt(struct sw_my_vcache *vc, uint32_t tgid, uint64_t conn_id, uint32_t stmt_id,
			   uint64_t sql_mode, uint32_t charset, const char *db, const uint64_t mask[3]);
/* Forget every statement id of a connection (change of user, reset, end). */
void sw_my_vcache_forget_connection(struct sw_my_vcache *vc, uint32_t tgid, uint64_t conn_id);

/* Counters for `status`. */
struct sw_my_vcache_stats {
	uint64_t text_entries, stmt_entries, clears;
};
void sw_my_vcache_stats(const struct sw_my_vcache *vc, struct sw_my_vcache_stats *out);

#endif
