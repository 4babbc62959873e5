/* The engines' classification tables (see engine.h). */
#include "engine.h"

#include <string.h>
#include "lock_mode.h"
#include "my_classify.h"
#include "my_impact.h"
#include "my_impact_json.h"

static void pg_analyze(const char *sql, const struct sw_engine_lex *lex, struct sw_analysis *out)
{
	(void)lex;   /* PostgreSQL 15's defaults: the daemon judges other lexing settings itself */
	sw_pg_analyze(sql, out);
}

static void my_analyze(const char *sql, const struct sw_engine_lex *lex, struct sw_analysis *out)
{
	sw_my_analyze(sql, lex ? lex->my_sql_mode : 0, out);
	for (size_t i = 0; lex && lex->my_fk_checks_off && i < out->n_stmts; i++)
		sw_my_impact_refine(&out->stmts[i], NULL, true);
}

/* "ALTER TABLE orders ADD COLUMN x int: INSTANT, metadata only, no table rebuild" and one line per operation. */
static void my_print_online_ddl(FILE *f, const struct sw_stmt *st)
{
	const struct sw_my_ddl *d = sw_my_ddl_of(st);

	if (!d)
		return;
	fprintf(f, "      online DDL: ");
	for (const char *p = st->text ? st->text : ""; *p; p++)
		fputc(*p == '\n' || *p == '\t' ? ' ' : *p, f);
	fprintf(f, ": %s\n", d->summary ? d->summary : "?");
	fprintf(f, "      mdl: %s while it runs", sw_lock_name(d->mdl_held) ? sw_lock_name(d->mdl_held) : "none");
	if (d->mdl_brief)
		fprintf(f, ", %s briefly to switch definitions (waits for open transactions on %s; new queries queue "
			"behind it)", sw_lock_name(d->mdl_brief), d->table);
	fputc('\n', f);
	for (size_t i = 0; i < d->n_items; i++)
		fprintf(f, "      - %s%s%s: %s, LOCK=%s%s: %s\n", sw_my_op_name(d->items[i].op), d->items[i].name ? " " : "",
			d->items[i].name ? d->items[i].name : "", sw_my_algorithm_name(d->items[i].algorithm),
			sw_my_alter_lock_name(d->items[i].min_lock), d->items[i].certain ? "" : " (worst case)",
			d->items[i].why ? d->items[i].why : "");
}

static const struct sw_engine_ops engines[] = {
	{ .id = SW_ENGINE_POSTGRES, .name = "postgres", .analyze = pg_analyze },
	{ .id = SW_ENGINE_MYSQL, .name = "mysql", .analyze = my_analyze, .stmt_json_add = sw_my_impact_json_add,
	  .print_extra = my_print_online_ddl },
};

const struct sw_engine_ops *sw_engine_find(const char *name)
{
	if (!name)
		return NULL;
	if (strcmp(name, "postgresql") == 0)
		name = "postgres";
	else if (strcmp(name, "mariadb") == 0)
		name = "mysql";
	for (size_t i = 0; i < sizeof(engines) / sizeof(engines[0]); i++)
		if (strcmp(engines[i].name, name) == 0)
			return &engines[i];
	return NULL;
}

const struct sw_engine_ops *sw_engine_get(enum sw_engine id)
{
	for (size_t i = 0; i < sizeof(engines) / sizeof(engines[0]); i++)
		if (engines[i].id == id)
			return &engines[i];
	return &engines[0];
}
