/*
 * The texts of the prepared statements an observed MariaDB connection runs
 * (an ungoverned connection's, or any in observe-only mode), by statement id.
 *
 * A COM_STMT_EXECUTE packet names its statement by a number. The probe at
 * the statement's own execution reports the text the server runs
 * (THD.query_string) until the daemon has it; the daemon keeps it here and
 * tells the kernel (bpf/mariadb.h, my_stmt_known), so each (connection, id)
 * costs one text report. An id leaves with the server's statement: on
 * COM_STMT_CLOSE, COM_RESET_CONNECTION, COM_CHANGE_USER and the connection's
 * end. A server never reuses a statement id on a connection, so a text kept
 * here is what every later execution of that id runs.
 *
 * Bounded: SW_MY_STMT_TEXT_PER_CONN ids per connection, SW_MY_STMT_TEXT_TOTAL
 * ids and SW_MY_STMT_TEXT_BYTES text bytes in all. Past a bound a text is not
 * kept: its executions keep reporting it, each recorded as exactly (a ring
 * event more per execution, nothing unknown).
 */
#ifndef SQLWARD_MY_STMT_TEXT_H
#define SQLWARD_MY_STMT_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "statement.h"

#define SW_MY_STMT_TEXT_PER_CONN 1024
#define SW_MY_STMT_TEXT_TOTAL 16384          /* = the kernel map's entries (SW_MY_KNOWN_ENTRIES) */
#define SW_MY_STMT_TEXT_BYTES (16u << 20)

struct sw_my_stmt_text {
	uint32_t id;
	bool complete;             /* false: cut at the probe's SW_MY_TEXT_CAP bytes */
	char *text;                /* NUL-terminated (a NUL inside is kept: len counts it) */
	size_t len;
	/* Its analysis, made at its first use, for one sql_mode (SW_MY_MODE_* bits). */
	bool analyzed;
	unsigned mode;
	struct sw_analysis a;
};

/* One connection's texts. */
struct sw_my_stmt_texts {
	struct sw_my_stmt_text *v;
	size_t n, cap;
};

/* The bounds, and what all connections hold. */
struct sw_my_stmt_text_budget {
	size_t per_conn, total, bytes;
	size_t n, used;            /* texts and text bytes held */
	uint64_t not_kept;         /* texts refused for a bound */
};

enum sw_my_stmt_text_put {
	SW_MY_STMT_TEXT_KEPT,      /* kept (or replaced: the kernel's newer report wins) */
	SW_MY_STMT_TEXT_LAST,      /* the id "last prepared statement" (SW_MY_LAST_STMT_ID): never kept */
	SW_MY_STMT_TEXT_FULL_CONN, /* the connection holds per_conn texts already */
	SW_MY_STMT_TEXT_FULL,      /* total texts or bytes would be exceeded */
};

void sw_my_stmt_text_budget_init(struct sw_my_stmt_text_budget *b);
struct sw_my_stmt_text *sw_my_stmt_text_find(const struct sw_my_stmt_texts *t, uint32_t id);
enum sw_my_stmt_text_put sw_my_stmt_text_put(struct sw_my_stmt_texts *t, struct sw_my_stmt_text_budget *b, uint32_t id,
					     const char *text, size_t len, bool complete);
/* The statement left the server: false when it was not kept. */
bool sw_my_stmt_text_drop(struct sw_my_stmt_texts *t, struct sw_my_stmt_text_budget *b, uint32_t id);
/* Every statement of the connection left (reset, change of user, end). */
void sw_my_stmt_text_clear(struct sw_my_stmt_texts *t, struct sw_my_stmt_text_budget *b);
/* Its analysis under sql_mode `mode` (made, or made again for another mode), as a COM_QUERY of the
 * text would be classified, each statement marked prepared. */
const struct sw_analysis *sw_my_stmt_text_analysis(struct sw_my_stmt_text *e, unsigned mode);

#endif
