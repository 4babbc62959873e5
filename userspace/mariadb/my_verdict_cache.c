/* MariaDB's kernel verdict cache, the daemon's side (see my_verdict_cache.h). */
#include "my_verdict_cache.h"

#include <string.h>
#include <bpf/bpf.h>
#include <jansson.h>

#include "util.h"

/* Distinct askers and database names kept; past that nothing new is cached (the old stay valid). */
#define SW_MY_CONTEXTS_MAX 8192
#define SW_MY_DB_REFS_MAX 4096

struct sw_my_vcache {
	int text_fd, stmt_fd, sessions_fd;
	volatile uint32_t *on;     /* the probe's sw_my_cache_on */
	json_t *contexts;          /* "user\x1fpriv_user\x1fpriv_host\x1fhost\x1fexe" -> id */
	uint32_t next_ctx;
	char **dbs;                /* ref - 1 -> name */
	size_t n_dbs;
	json_t *db_index;          /* name -> ref */
	uint64_t text_entries, stmt_entries, clears;
};

/* ---- what may be cached ---------------------------------------------------------- */

/* A statement whose judgement holds whatever the session did before or does after. */
static const char *statement_refusal(const struct sw_stmt *st)
{
	if (st->prepare_name || st->execute_name)
		return "SQL PREPARE/EXECUTE/DEALLOCATE depend on the session's prepared statements";
	if (st->settings.n)
		return "changes a session setting";
	if (st->traits & (SW_TRAIT_PREPARED | SW_TRAIT_UNRESOLVED))
		return "judged through a prepared statement";
	if (st->traits & SW_TRAIT_OPAQUE_CODE)
		return "runs code sqlward does not read (CALL, a routine body)";
	if (st->traits & SW_TRAIT_SESSION_ESCALATION)
		return "changes the session's identity";
	switch (st->cls) {
	case SW_CLASS_SESSION:
		return "a session statement (USE, SET, ...)";
	case SW_CLASS_PROCEDURAL:
		return "a procedural statement";
	case SW_CLASS_UNKNOWN:
		return "a statement sqlward could not classify";
	default:
		return NULL;
	}
}

const char *sw_my_cache_refusal(const struct sw_my_cache_facts *f, const struct sw_analysis *a)
{
	if (f->disabled)
		return "the verdict cache is off (--no-cache or observe-only)";
	if (f->frozen)
		return "a freeze is on";
	if (f->ledger_failing)
		return "the ledger is failing";
	if (!f->allowed || f->gate_refused)
		return "not allowed";
	if (!f->decided_by || strcmp(f->decided_by, "policy") != 0)
		return "not allowed by the policy alone (an approval or a plan covers one execution)";
	/* As PostgreSQL's: a cached command's budget counts from its arrival, started when its record
	 * is written; without completions the gate cannot stop it, so it is not cached. */
	if (f->budget_ms && !f->budgets_enforced)
		return "the allowing rule has a runtime budget the gate cannot enforce here";
	if (f->live)
		return "the policy reads live context, which changes between executions";
	if (f->prepared_execution && f->literal_sensitive)
		return "the policy looks at literals, and a prepared statement's values change per execution";
	if (!f->complete || f->text_len == 0 || f->text_len >= SW_MY_TEXT_CAP)
		return "the text is not whole, or too long for the kernel's copy";
	if (f->db_len >= SW_MY_DB_CAP)
		return "the current database's name is longer than the kernel compares";
	if (!f->charset)
		return "the client character set is not known";
	if (!a->parse_ok || a->n_stmts == 0)
		return "not parsed";
	if (a->n_stmts > (f->prepared_execution ? 1u : (size_t)SW_MY_EXPECT_MAX))
		return "too many statements";
	for (size_t i = 0; i < a->n_stmts; i++) {
		const char *why = statement_refusal(&a->stmts[i]);
		if (why)
			return why;
	}
	if (!f->expect_known)
		return "the server's command for a statement is not known";
	if (f->prepared_execution && !f->sqlcom_matches)
		return "the server parsed the statement as another command";
	return NULL;
}

uint64_t sw_my_text_hash(const char *text, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t w = 0; w * 8 < len; w++) {
		uint64_t v = 0;
		size_t n = len - w * 8 < 8 ? len - w * 8 : 8;
		for (size_t i = 0; i < n; i++)
			v |= (uint64_t)(unsigned char)text[w * 8 + i] << (8 * i);
		h ^= v;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* ---- the tables -------------------------------------------------------------------- */

struct sw_my_vcache *sw_my_vcache_new(int text_fd, int stmt_fd, int sessions_fd, volatile uint32_t *on)
{
	struct sw_my_vcache *vc = sw_xcalloc(1, sizeof(*vc));

	vc->text_fd = text_fd;
	vc->stmt_fd = stmt_fd;
	vc->sessions_fd = sessions_fd;
	vc->on = on;
	vc->contexts = json_object();
	vc->db_index = json_object();
	return vc;
}

void sw_my_vcache_free(struct sw_my_vcache *vc)
{
	if (!vc)
		return;
	json_decref(vc->contexts);
	json_decref(vc->db_index);
	for (size_t i = 0; i < vc->n_dbs; i++)
		free(vc->dbs[i]);
	free(vc->dbs);
	free(vc);
}

static void clear_map(int fd, void *key, void *next)
{
	if (fd < 0)
		return;
	while (bpf_map_get_next_key(fd, NULL, next) == 0) {
		memcpy(key, next, sizeof(struct sw_my_cache_key));
		if (bpf_map_delete_elem(fd, key) != 0)
			break;
	}
}

void sw_my_vcache_clear(struct sw_my_vcache *vc)
{
	struct sw_my_cache_key k, n;   /* the larger key: holds a statement key too */

	if (!vc)
		return;
	clear_map(vc->text_fd, &k, &n);
	clear_map(vc->stmt_fd, &k, &n);
	vc->clears++;
}

void sw_my_vcache_enable(struct sw_my_vcache *vc, bool on)
{
	if (!vc || !vc->on)
		return;
	if (!on) {
		/* Off first: no probe trusts an entry while the maps empty. */
		*vc->on = 0;
		__sync_synchronize();
		sw_my_vcache_clear(vc);
		return;
	}
	__sync_synchronize();
	*vc->on = 1;
}

bool sw_my_vcache_enabled(const struct sw_my_vcache *vc)
{
	return vc && vc->on && *vc->on;
}

uint32_t sw_my_vcache_context(struct sw_my_vcache *vc, const char *user, const char *priv_user,
			      const char *priv_host, const char *host, const char *client_exe)
{
	char *k = sw_xasprintf("%s\x1f%s\x1f%s\x1f%s\x1f%s", user, priv_user, priv_host, host,
			       client_exe ? client_exe : "");
	json_t *v = json_object_get(vc->contexts, k);
	uint32_t id;

	if (v) {
		id = (uint32_t)json_integer_value(v);
	} else {
		if (json_object_size(vc->contexts) >= SW_MY_CONTEXTS_MAX) {
			/* Start over: ids are never reused, and no verdict made under an old one is kept. */
			sw_my_vcache_clear(vc);
			json_object_clear(vc->contexts);
		}
		id = ++vc->next_ctx;
		json_object_set_new(vc->contexts, k, json_integer(id));
	}
	free(k);
	return id;
}

bool sw_my_vcache_set_session_context(struct sw_my_vcache *vc, uint32_t tgid, uint64_t conn_id, uint32_t ctx)
{
	struct sw_my_conn_key key = { .tgid = tgid, .conn_id = conn_id };
	struct sw_my_session s;

	if (vc->sessions_fd < 0 || bpf_map_lookup_elem(vc->sessions_fd, &key, &s) != 0)
		return false;
	if (s.ctx_id == ctx)
		return true;
	s.ctx_id = ctx;
	/* BPF_EXIST: a session the probe dropped meanwhile (change of user) is not brought back. */
	return bpf_map_update_elem(vc->sessions_fd, &key, &s, BPF_EXIST) == 0;
}

uint32_t sw_my_vcache_db_ref(struct sw_my_vcache *vc, const char *db)
{
	json_t *v = json_object_get(vc->db_index, db);
	uint32_t ref;

	if (v)
		return (uint32_t)json_integer_value(v);
	if (vc->n_dbs >= SW_MY_DB_REFS_MAX)
		return 0;
	vc->dbs = sw_xrealloc(vc->dbs, (vc->n_dbs + 1) * sizeof(*vc->dbs));
	vc->dbs[vc->n_dbs++] = sw_xstrdup(db);
	ref = (uint32_t)vc->n_dbs;
	json_object_set_new(vc->db_index, db, json_integer(ref));
	return ref;
}

const char *sw_my_vcache_db_name(const struct sw_my_vcache *vc, uint32_t ref)
{
	return vc && ref >= 1 && ref <= vc->n_dbs ? vc->dbs[ref - 1] : NULL;
}

bool sw_my_vcache_put_text(struct sw_my_vcache *vc, uint32_t ctx, uint64_t sql_mode, uint32_t charset,
			   const char *db, const char *text, size_t len, const struct sw_my_expect *expect)
{
	struct sw_my_cache_key key;
	struct sw_my_cache_val *val;
	size_t db_len = strlen(db);
	uint32_t ref;
	bool ok;

	if (!sw_my_vcache_enabled(vc) || !ctx || len == 0 || len >= SW_MY_TEXT_CAP || db_len >= SW_MY_DB_CAP ||
	    !(ref = sw_my_vcache_db_ref(vc, db)))
		return false;
	memset(&key, 0, sizeof(key));
	key.hash = sw_my_text_hash(text, len);
	key.sql_mode = sql_mode;
	key.ctx_id = ctx;
	key.len = (uint32_t)len;
	key.charset = charset;
	key.db_len = (uint32_t)db_len;
	memcpy(key.db, db, db_len);
	val = sw_xcalloc(1, sizeof(*val));
	val->expect = *expect;
	val->expect.next = 0;
	val->db_ref = ref;
	memcpy(val->text, text, len);
	ok = bpf_map_update_elem(vc->text_fd, &key, val, BPF_ANY) == 0;
	free(val);
	if (ok)
		vc->text_entries++;
	return ok;
}

bool sw_my_vcache_put_stmt(struct sw_my_vcache *vc, uint32_t tgid, uint64_t conn_id, uint32_t stmt_id,
			   uint64_t sql_mode, uint32_t charset, const char *db, const uint64_t mask[3])
{
	struct sw_my_stmt_key key = { .tgid = tgid, .stmt_id = stmt_id, .conn_id = conn_id };
	struct sw_my_stmt_val val;
	uint32_t ref;

	if (!sw_my_vcache_enabled(vc) || stmt_id == SW_MY_LAST_STMT_ID || !(ref = sw_my_vcache_db_ref(vc, db)))
		return false;
	memset(&val, 0, sizeof(val));
	val.sql_mode = sql_mode;
	memcpy(val.mask, mask, sizeof(val.mask));
	val.charset = charset;
	val.db_ref = ref;
	if (bpf_map_update_elem(vc->stmt_fd, &key, &val, BPF_ANY) != 0)
		return false;
	vc->stmt_entries++;
	return true;
}

void sw_my_vcache_forget_connection(struct sw_my_vcache *vc, uint32_t tgid, uint64_t conn_id)
{
	struct sw_my_stmt_key key, next;
	bool started = false;

	if (!vc || vc->stmt_fd < 0)
		return;
	/* Deleting the key just read would lose the walk's place: delete one step behind. */
	while (bpf_map_get_next_key(vc->stmt_fd, started ? &key : NULL, &next) == 0) {
		if (started && key.tgid == tgid && key.conn_id == conn_id)
			bpf_map_delete_elem(vc->stmt_fd, &key);
		key = next;
		started = true;
	}
	if (started && key.tgid == tgid && key.conn_id == conn_id)
		bpf_map_delete_elem(vc->stmt_fd, &key);
}

void sw_my_vcache_stats(const struct sw_my_vcache *vc, struct sw_my_vcache_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!vc)
		return;
	out->text_entries = vc->text_entries;
	out->stmt_entries = vc->stmt_entries;
	out->clears = vc->clears;
}
