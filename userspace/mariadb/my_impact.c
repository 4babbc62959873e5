/*
 * MariaDB 10.11 / InnoDB impact analysis (my_impact.h).
 *
 * The ALTER TABLE specification is read from the statement's tokens (the
 * grammar accepted it as balanced tokens): a list of comma-separated
 * operations whose first words say what each is, as in the server's
 * alter_list rule (sql/sql_yacc.yy). Each operation gets the behaviour the
 * MariaDB knowledge base documents for InnoDB (pages "InnoDB Online DDL
 * Operations with the INSTANT / NOCOPY / INPLACE Alter Algorithm"); the
 * statement gets the least efficient algorithm and the most restrictive
 * lock of its operations, as the server combines them.
 *
 * Metadata locks follow sql/sql_table.cc mysql_alter_table(): the first
 * phase holds MDL_SHARED_UPGRADABLE; LOCK=SHARED (and every COPY, which in
 * 10.11 cannot run with LOCK=NONE) upgrades to MDL_SHARED_NO_WRITE while
 * rows are read; LOCK=EXCLUSIVE to MDL_EXCLUSIVE; every ALTER that runs
 * takes MDL_EXCLUSIVE briefly to install the new definition (it queues
 * behind every open transaction that used the table, and everything that
 * comes after queues behind it).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "my_impact.h"
#include "util.h"

/* ---- names ---- */

const char *sw_my_algorithm_name(enum sw_my_algorithm a)
{
	static const char *const n[] = { "DEFAULT", "INSTANT", "NOCOPY", "INPLACE", "COPY" };
	return (unsigned)a < sizeof(n) / sizeof(n[0]) ? n[a] : "DEFAULT";
}

const char *sw_my_alter_lock_name(enum sw_my_alter_lock l)
{
	static const char *const n[] = { "DEFAULT", "NONE", "SHARED", "EXCLUSIVE" };
	return (unsigned)l < sizeof(n) / sizeof(n[0]) ? n[l] : "DEFAULT";
}

const char *sw_my_op_name(enum sw_my_op op)
{
	static const char *const n[SW_MY_OP__COUNT] = {
		[SW_MY_OP_UNKNOWN] = "unrecognised clause", [SW_MY_OP_ADD_COLUMN] = "ADD COLUMN",
		[SW_MY_OP_DROP_COLUMN] = "DROP COLUMN", [SW_MY_OP_RENAME_COLUMN] = "RENAME COLUMN",
		[SW_MY_OP_MODIFY_COLUMN] = "MODIFY COLUMN", [SW_MY_OP_COLUMN_DEFAULT] = "ALTER COLUMN DEFAULT",
		[SW_MY_OP_ADD_INDEX] = "ADD INDEX", [SW_MY_OP_ADD_FULLTEXT] = "ADD FULLTEXT INDEX",
		[SW_MY_OP_ADD_SPATIAL] = "ADD SPATIAL INDEX", [SW_MY_OP_DROP_INDEX] = "DROP INDEX",
		[SW_MY_OP_RENAME_INDEX] = "RENAME INDEX", [SW_MY_OP_ADD_PRIMARY] = "ADD PRIMARY KEY",
		[SW_MY_OP_DROP_PRIMARY] = "DROP PRIMARY KEY", [SW_MY_OP_ADD_FOREIGN_KEY] = "ADD FOREIGN KEY",
		[SW_MY_OP_DROP_FOREIGN_KEY] = "DROP FOREIGN KEY", [SW_MY_OP_ADD_CHECK] = "ADD CHECK",
		[SW_MY_OP_DROP_CONSTRAINT] = "DROP CONSTRAINT", [SW_MY_OP_ENGINE] = "ENGINE=",
		[SW_MY_OP_ROW_FORMAT] = "ROW_FORMAT=", [SW_MY_OP_CONVERT_CHARSET] = "CONVERT TO CHARACTER SET",
		[SW_MY_OP_DEFAULT_CHARSET] = "DEFAULT CHARACTER SET", [SW_MY_OP_TABLE_OPTION] = "table option",
		[SW_MY_OP_FORCE] = "FORCE (rebuild)", [SW_MY_OP_RENAME_TABLE] = "RENAME TO",
		[SW_MY_OP_ORDER_BY] = "ORDER BY", [SW_MY_OP_PARTITION_DROP] = "DROP/TRUNCATE PARTITION",
		[SW_MY_OP_PARTITION_ADD] = "ADD PARTITION", [SW_MY_OP_PARTITION_REORG] = "repartitioning",
		[SW_MY_OP_NOOP] = "ENABLE/DISABLE KEYS",
	};
	return (unsigned)op < SW_MY_OP__COUNT && n[op] ? n[op] : "?";
}

/* ---- what an MDL mode blocks ---- */

bool sw_mdl_blocks_reads(enum sw_lockmode m)
{
	return sw_lock_conflicts(m, SW_LOCK_MDL_SHARED_READ);
}

bool sw_mdl_blocks_writes(enum sw_lockmode m)
{
	return sw_lock_conflicts(m, SW_LOCK_MDL_SHARED_WRITE);
}

const char *sw_mdl_blocks_text(enum sw_lockmode m)
{
	switch (m) {
	case SW_LOCK_MDL_EXCLUSIVE:
		return "blocks reads and writes (every other statement on the table waits)";
	case SW_LOCK_MDL_SHARED_NO_READ_WRITE:
		return "blocks reads and writes (metadata reads such as SHOW continue)";
	case SW_LOCK_MDL_SHARED_NO_WRITE:
		return "blocks writes and DDL (reads continue)";
	case SW_LOCK_MDL_SHARED_READ_ONLY:
		return "blocks writes (reads continue)";
	case SW_LOCK_MDL_SHARED_UPGRADABLE:
		return "blocks other DDL (reads and writes continue)";
	case SW_LOCK_MDL_SHARED_WRITE:
		return "blocks LOCK TABLES and DDL that blocks writes (reads and writes continue)";
	case SW_LOCK_MDL_SHARED_READ:
		return "blocks only LOCK TABLES ... WRITE and MDL_EXCLUSIVE";
	case SW_LOCK_MDL_SHARED:
	case SW_LOCK_MDL_SHARED_HIGH_PRIO:
		return "blocks only MDL_EXCLUSIVE";
	default:
		return "takes no metadata lock";
	}
}

/* ---- the impact object: impact.h's struct with the MariaDB part after it ---- */

struct my_impact {
	struct sw_impact base;      /* first: st->impact points here */
	struct sw_my_ddl *ddl;
	struct sw_my_table_facts *facts; /* what the last refine used, NULL offline */
};

static void coldef_free(struct sw_my_coldef *d)
{
	free(d->type);
	free(d->charset);
}

void sw_my_table_facts_clear(struct sw_my_table_facts *f)
{
	for (size_t i = 0; i < f->n_cols; i++) {
		free(f->cols[i].name);
		free(f->cols[i].data_type);
		free(f->cols[i].column_type);
	}
	free(f->cols);
	free(f->row_format);
	free(f->engine);
	memset(f, 0, sizeof(*f));
}

static void facts_free(struct sw_my_table_facts *f)
{
	if (!f)
		return;
	sw_my_table_facts_clear(f);
	free(f);
}

static char *dup0(const char *s)
{
	return s ? sw_xstrdup(s) : NULL;
}

static struct sw_my_table_facts *facts_dup(const struct sw_my_table_facts *f)
{
	struct sw_my_table_facts *d;
	if (!f)
		return NULL;
	d = sw_xcalloc(1, sizeof(*d));
	d->row_format = dup0(f->row_format);
	d->engine = dup0(f->engine);
	d->has_fulltext = f->has_fulltext;
	d->n_cols = f->n_cols;
	d->cols = f->n_cols ? sw_xcalloc(f->n_cols, sizeof(*d->cols)) : NULL;
	for (size_t i = 0; i < f->n_cols; i++) {
		d->cols[i] = f->cols[i];
		d->cols[i].name = dup0(f->cols[i].name);
		d->cols[i].data_type = dup0(f->cols[i].data_type);
		d->cols[i].column_type = dup0(f->cols[i].column_type);
	}
	return d;
}

static void ddl_free(struct sw_my_ddl *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n_items; i++) {
		free(d->items[i].name);
		free(d->items[i].new_name);
		free(d->items[i].why);
		coldef_free(&d->items[i].def);
	}
	free(d->items);
	free(d->table);
	free(d->refusal);
	free(d->summary);
	free(d);
}

static struct sw_my_ddl *ddl_dup(const struct sw_my_ddl *s)
{
	struct sw_my_ddl *d;
	if (!s)
		return NULL;
	d = sw_xcalloc(1, sizeof(*d));
	*d = *s;
	d->table = dup0(s->table);
	d->refusal = dup0(s->refusal);
	d->summary = dup0(s->summary);
	d->items = s->n_items ? sw_xcalloc(s->n_items, sizeof(*d->items)) : NULL;
	for (size_t i = 0; i < s->n_items; i++) {
		d->items[i] = s->items[i];
		d->items[i].name = dup0(s->items[i].name);
		d->items[i].new_name = dup0(s->items[i].new_name);
		d->items[i].why = dup0(s->items[i].why);
		d->items[i].def.type = dup0(s->items[i].def.type);
		d->items[i].def.charset = dup0(s->items[i].def.charset);
	}
	return d;
}

static void my_impact_free(struct sw_impact *im)
{
	struct my_impact *mi = (struct my_impact *)im;
	if (!im)
		return;
	ddl_free(mi->ddl);
	facts_free(mi->facts);
	sw_impact_free(im); /* frees the inner fields and mi itself (base is its first member) */
}

static struct sw_impact *my_impact_dup(const struct sw_impact *im)
{
	const struct my_impact *mi = (const struct my_impact *)im;
	struct my_impact *d;
	struct sw_impact *base;
	if (!im)
		return NULL;
	d = sw_xcalloc(1, sizeof(*d));
	base = sw_impact_dup(im);
	d->base = *base;
	free(base); /* only the shell: its fields now belong to d->base */
	d->ddl = ddl_dup(mi->ddl);
	d->facts = facts_dup(mi->facts);
	return &d->base;
}

static const struct sw_impact_ops my_ops = { my_impact_free, my_impact_dup };

struct sw_my_ddl *sw_my_ddl_of(const struct sw_stmt *st)
{
	if (!st || !st->impact || st->impact_ops != &my_ops)
		return NULL;
	return ((struct my_impact *)st->impact)->ddl;
}

/* ---- tokens ---- */

struct toks {
	const struct my_lexed *lx;
	size_t e;   /* one past the last token of the statement */
};

static bool w(const struct toks *t, size_t i, const char *word)
{
	return i < t->e && t->lx->t[i].kind == MY_T_WORD && strcasecmp(t->lx->t[i].value, word) == 0;
}

static bool op(const struct toks *t, size_t i, const char *o)
{
	return i < t->e && t->lx->t[i].kind == MY_T_OP && strcmp(t->lx->t[i].value, o) == 0;
}

/* An identifier (bare word or `quoted`) at i, or NULL. */
static const char *ident(const struct toks *t, size_t i)
{
	if (i >= t->e || (t->lx->t[i].kind != MY_T_WORD && t->lx->t[i].kind != MY_T_QIDENT))
		return NULL;
	return t->lx->t[i].value;
}

/* A value word, name or string at i (ENGINE=InnoDB, CHARSET 'utf8mb4'), or NULL. */
static const char *value(const struct toks *t, size_t i)
{
	if (i < t->e && t->lx->t[i].kind == MY_T_STRING)
		return t->lx->t[i].value;
	return ident(t, i);
}

/* Past a balanced parenthesis group starting at i (i itself when it is not '('). */
static size_t past_parens(const struct toks *t, size_t i)
{
	int depth = 0;
	if (!op(t, i, "("))
		return i;
	for (; i < t->e; i++) {
		if (op(t, i, "("))
			depth++;
		else if (op(t, i, ")") && --depth == 0)
			return i + 1;
	}
	return t->e;
}

/* Past a name at i: ident or ident.ident. */
static size_t past_qname(const struct toks *t, size_t i)
{
	if (!ident(t, i))
		return i;
	i++;
	if (op(t, i, ".") && ident(t, i + 1))
		i += 2;
	return i;
}

/* The end of the operation that starts at i: the next comma outside parentheses. */
static size_t item_end(const struct toks *t, size_t i)
{
	while (i < t->e && !op(t, i, ","))
		i = op(t, i, "(") ? past_parens(t, i) : i + 1;
	return i;
}

static char *lower_dup(const char *s)
{
	char *l = sw_xstrdup(s ? s : "");
	for (char *p = l; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return l;
}

/* ---- reading the ALTER specification ---- */

static struct sw_my_alter_item *add_item(struct sw_my_ddl *d, enum sw_my_op o, const char *name)
{
	struct sw_my_alter_item *it;
	d->items = sw_xrealloc(d->items, (d->n_items + 1) * sizeof(*d->items));
	it = &d->items[d->n_items++];
	memset(it, 0, sizeof(*it));
	it->op = o;
	it->name = dup0(name);
	it->def.len = -1;
	return it;
}

/* A column definition at [i, e): type, (len[,scale]), attributes. */
static void read_coldef(const struct toks *t, size_t i, size_t e, struct sw_my_coldef *d)
{
	const char *ty = ident(t, i);
	d->len = -1;
	if (!ty)
		return;
	d->type = lower_dup(ty);
	i++;
	/* DOUBLE PRECISION, CHARACTER VARYING, NATIONAL CHAR ...: keep the first word, skip the rest */
	if (w(t, i, "precision") || w(t, i, "varying"))
		i++;
	if (op(t, i, "(")) {
		if (i + 1 < e && t->lx->t[i + 1].kind == MY_T_NUMBER)
			d->len = strtol(t->lx->t[i + 1].value, NULL, 10);
		i = past_parens(t, i);
	}
	while (i < e) {
		if (w(t, i, "not") && w(t, i + 1, "null")) {
			d->not_null = d->null_given = true;
			i += 2;
		} else if (w(t, i, "null")) {
			d->null_given = true;
			d->not_null = false;
			i++;
		} else if (w(t, i, "auto_increment")) {
			d->auto_increment = true;
			i++;
		} else if (w(t, i, "primary")) {
			d->primary = true;
			i++;
		} else if (w(t, i, "unique")) {
			d->unique = true;
			i++;
		} else if (w(t, i, "stored") || w(t, i, "persistent")) {
			d->stored = true;
			i++;
		} else if (w(t, i, "virtual")) {
			d->virtual_col = true;
			i++;
		} else if (w(t, i, "first")) {
			d->positioned = true;
			i++;
		} else if (w(t, i, "after")) {
			d->positioned = true;
			i += 2;
		} else if (w(t, i, "default")) {
			d->has_default = true;
			i = op(t, i + 1, "(") ? past_parens(t, i + 1) : i + 2;
		} else if ((w(t, i, "character") && w(t, i + 1, "set")) || w(t, i, "charset")) {
			i += w(t, i, "charset") ? 1 : 2;
			if (op(t, i, "="))
				i++;
			if (value(t, i)) {
				free(d->charset);
				d->charset = lower_dup(value(t, i));
			}
			i++;
		} else if (w(t, i, "comment")) {
			i += 2;
		} else {
			i = op(t, i, "(") ? past_parens(t, i) : i + 1;
		}
	}
}

static enum sw_my_algorithm parse_algorithm(const char *v)
{
	static const char *const n[] = { "default", "instant", "nocopy", "inplace", "copy" };
	for (size_t k = 0; v && k < sizeof(n) / sizeof(n[0]); k++)
		if (strcasecmp(v, n[k]) == 0)
			return (enum sw_my_algorithm)k;
	return SW_MY_ALG_DEFAULT;
}

static enum sw_my_alter_lock parse_lock(const char *v)
{
	static const char *const n[] = { "default", "none", "shared", "exclusive" };
	for (size_t k = 0; v && k < sizeof(n) / sizeof(n[0]); k++)
		if (strcasecmp(v, n[k]) == 0)
			return (enum sw_my_alter_lock)k;
	return SW_MY_LOCK_DEFAULT;
}

/* ALGORITHM [=] x / LOCK [=] x at i: consumes it and returns the index after, or i. */
static size_t read_alg_lock(const struct toks *t, size_t i, struct sw_my_ddl *d)
{
	bool alg = w(t, i, "algorithm"), lk = w(t, i, "lock");
	size_t v;
	if (!alg && !lk)
		return i;
	v = op(t, i + 1, "=") ? i + 2 : i + 1;
	if (alg)
		d->requested_algorithm = parse_algorithm(value(t, v));
	else
		d->requested_lock = parse_lock(value(t, v));
	return v + 1;
}

/* Table options (ENGINE=InnoDB ROW_FORMAT=DYNAMIC ...), several without commas. Returns false when i is none. */
static bool read_table_options(const struct toks *t, size_t i, size_t e, struct sw_my_ddl *d)
{
	bool any = false;
	while (i < e) {
		size_t v;
		if (w(t, i, "algorithm") || w(t, i, "lock")) {
			i = read_alg_lock(t, i, d);
			any = true;
			continue;
		}
		if (w(t, i, "default") && (w(t, i + 1, "charset") || w(t, i + 1, "character") || w(t, i + 1, "collate")))
			i++;
		if (w(t, i, "character") && w(t, i + 1, "set"))
			i++;
		if (!ident(t, i) || t->lx->t[i].kind != MY_T_WORD)
			return any;
		v = op(t, i + 1, "=") ? i + 2 : i + 1;
		if (w(t, i, "engine")) {
			add_item(d, SW_MY_OP_ENGINE, value(t, v));
		} else if (w(t, i, "row_format")) {
			add_item(d, SW_MY_OP_ROW_FORMAT, value(t, v));
		} else if (w(t, i, "key_block_size")) {
			add_item(d, SW_MY_OP_FORCE, "KEY_BLOCK_SIZE");
		} else if (w(t, i, "set") || w(t, i, "charset") || w(t, i, "collate")) {
			add_item(d, SW_MY_OP_DEFAULT_CHARSET, value(t, v));
		} else if (w(t, i, "comment") || w(t, i, "auto_increment") || w(t, i, "page_compressed") ||
			   w(t, i, "page_compression_level") || w(t, i, "stats_persistent") ||
			   w(t, i, "stats_auto_recalc") || w(t, i, "stats_sample_pages") || w(t, i, "max_rows") ||
			   w(t, i, "min_rows") || w(t, i, "avg_row_length") || w(t, i, "pack_keys") ||
			   w(t, i, "checksum") || w(t, i, "delay_key_write")) {
			add_item(d, SW_MY_OP_TABLE_OPTION, t->lx->t[i].value);
		} else {
			return any;
		}
		any = true;
		i = v + 1;
	}
	return any;
}

/* One operation [i, e) of the list. */
static void read_item(const struct toks *t, size_t i, size_t e, struct sw_my_ddl *d)
{
	size_t s = i;
	struct sw_my_alter_item *it;

	if (read_table_options(t, i, e, d))
		return;
	if (w(t, i, "add")) {
		i++;
		if (w(t, i, "constraint")) {
			i++;
			if (!w(t, i, "primary") && !w(t, i, "unique") && !w(t, i, "foreign") && !w(t, i, "check"))
				i++; /* the constraint's name */
		}
		if (w(t, i, "if") && w(t, i + 1, "not") && w(t, i + 2, "exists"))
			i += 3;
		if (w(t, i, "primary")) {
			add_item(d, SW_MY_OP_ADD_PRIMARY, NULL);
		} else if (w(t, i, "unique") || w(t, i, "index") || w(t, i, "key")) {
			size_t n = i + 1;
			if (w(t, n, "index") || w(t, n, "key"))
				n++;
			add_item(d, SW_MY_OP_ADD_INDEX, op(t, n, "(") ? NULL : ident(t, n));
		} else if (w(t, i, "fulltext")) {
			add_item(d, SW_MY_OP_ADD_FULLTEXT, NULL);
		} else if (w(t, i, "spatial")) {
			add_item(d, SW_MY_OP_ADD_SPATIAL, NULL);
		} else if (w(t, i, "foreign")) {
			add_item(d, SW_MY_OP_ADD_FOREIGN_KEY, NULL);
		} else if (w(t, i, "check")) {
			add_item(d, SW_MY_OP_ADD_CHECK, NULL);
		} else if (w(t, i, "partition")) {
			add_item(d, SW_MY_OP_PARTITION_ADD, NULL);
		} else {
			if (w(t, i, "column"))
				i++;
			if (w(t, i, "if") && w(t, i + 1, "not") && w(t, i + 2, "exists"))
				i += 3;
			if (op(t, i, "(")) {
				/* ADD [COLUMN] (a int, b int, INDEX(...)) */
				size_t close = past_parens(t, i), k = i + 1;
				while (k < close - 1) {
					size_t ke = k;
					while (ke < close - 1 && !op(t, ke, ","))
						ke = op(t, ke, "(") ? past_parens(t, ke) : ke + 1;
					if (w(t, k, "index") || w(t, k, "key") || w(t, k, "unique")) {
						add_item(d, SW_MY_OP_ADD_INDEX, NULL);
					} else {
						it = add_item(d, SW_MY_OP_ADD_COLUMN, ident(t, k));
						read_coldef(t, k + 1, ke, &it->def);
					}
					k = ke + 1;
				}
			} else if (ident(t, i)) {
				it = add_item(d, SW_MY_OP_ADD_COLUMN, ident(t, i));
				read_coldef(t, i + 1, e, &it->def);
			} else {
				add_item(d, SW_MY_OP_UNKNOWN, NULL);
			}
		}
	} else if (w(t, i, "drop")) {
		i++;
		if (w(t, i, "primary")) {
			add_item(d, SW_MY_OP_DROP_PRIMARY, NULL);
		} else if (w(t, i, "index") || w(t, i, "key")) {
			i++;
			if (w(t, i, "if") && w(t, i + 1, "exists"))
				i += 2;
			add_item(d, SW_MY_OP_DROP_INDEX, ident(t, i));
		} else if (w(t, i, "foreign")) {
			i += 2;
			if (w(t, i, "if") && w(t, i + 1, "exists"))
				i += 2;
			add_item(d, SW_MY_OP_DROP_FOREIGN_KEY, ident(t, i));
		} else if (w(t, i, "constraint") || w(t, i, "check")) {
			i++;
			if (w(t, i, "if") && w(t, i + 1, "exists"))
				i += 2;
			add_item(d, SW_MY_OP_DROP_CONSTRAINT, ident(t, i));
		} else if (w(t, i, "partition")) {
			add_item(d, SW_MY_OP_PARTITION_DROP, ident(t, i + 1));
		} else {
			if (w(t, i, "column"))
				i++;
			if (w(t, i, "if") && w(t, i + 1, "exists"))
				i += 2;
			add_item(d, ident(t, i) ? SW_MY_OP_DROP_COLUMN : SW_MY_OP_UNKNOWN, ident(t, i));
		}
	} else if (w(t, i, "modify") || w(t, i, "change")) {
		bool change = w(t, i, "change");
		i++;
		if (w(t, i, "column"))
			i++;
		if (w(t, i, "if") && w(t, i + 1, "exists"))
			i += 2;
		it = add_item(d, SW_MY_OP_MODIFY_COLUMN, ident(t, i));
		if (change) {
			it->new_name = dup0(ident(t, i + 1));
			i++;
		}
		read_coldef(t, i + 1, e, &it->def);
	} else if (w(t, i, "alter")) {
		i++;
		if (w(t, i, "index") || w(t, i, "key")) {
			add_item(d, SW_MY_OP_RENAME_INDEX, ident(t, i + 1)); /* [NOT] IGNORED: metadata */
			return;
		}
		if (w(t, i, "column"))
			i++;
		add_item(d, SW_MY_OP_COLUMN_DEFAULT, ident(t, i));
	} else if (w(t, i, "rename")) {
		i++;
		if (w(t, i, "column")) {
			it = add_item(d, SW_MY_OP_RENAME_COLUMN, ident(t, i + 1));
			it->new_name = dup0(ident(t, i + 3));
		} else if (w(t, i, "index") || w(t, i, "key")) {
			it = add_item(d, SW_MY_OP_RENAME_INDEX, ident(t, i + 1));
			it->new_name = dup0(ident(t, i + 3));
		} else {
			if (w(t, i, "to") || w(t, i, "as"))
				i++;
			it = add_item(d, SW_MY_OP_RENAME_TABLE, NULL);
			if (ident(t, i)) {
				size_t n = past_qname(t, i);
				it->new_name = n == i + 3 ? sw_xasprintf("%s.%s", ident(t, i), ident(t, i + 2))
							  : sw_xstrdup(ident(t, i));
			}
		}
	} else if (w(t, i, "convert") && w(t, i + 1, "to")) {
		add_item(d, SW_MY_OP_CONVERT_CHARSET, value(t, w(t, i + 3, "set") ? i + 4 : i + 3));
	} else if (w(t, i, "force")) {
		add_item(d, SW_MY_OP_FORCE, NULL);
	} else if (w(t, i, "order") && w(t, i + 1, "by")) {
		add_item(d, SW_MY_OP_ORDER_BY, NULL);
	} else if (w(t, i, "enable") || w(t, i, "disable")) {
		add_item(d, SW_MY_OP_NOOP, NULL);
	} else if (w(t, i, "truncate") && w(t, i + 1, "partition")) {
		add_item(d, SW_MY_OP_PARTITION_DROP, ident(t, i + 2));
	} else if (w(t, i, "partition") || w(t, i, "reorganize") || w(t, i, "coalesce") || w(t, i, "remove") ||
		   w(t, i, "exchange") || w(t, i, "rebuild")) {
		add_item(d, SW_MY_OP_PARTITION_REORG, NULL);
	} else if ((w(t, i, "analyze") || w(t, i, "check") || w(t, i, "optimize") || w(t, i, "repair")) &&
		   w(t, i + 1, "partition")) {
		add_item(d, w(t, i, "optimize") || w(t, i, "repair") ? SW_MY_OP_PARTITION_REORG : SW_MY_OP_NOOP, NULL);
	} else if (i < e) {
		it = add_item(d, SW_MY_OP_UNKNOWN, NULL);
		it->name = sw_xstrdup(t->lx->t[s].value);
	}
}

static void read_spec(const struct toks *t, size_t i, struct sw_my_ddl *d)
{
	while (i < t->e) {
		size_t e = item_end(t, i);
		/* "PARTITION BY ..." and "ALGORITHM=..." may follow an operation without a comma */
		read_item(t, i, e, d);
		for (size_t k = i + 1; k < e; k++)
			if (w(t, k, "algorithm") || (w(t, k, "lock") && op(t, k + 1, "=")))
				read_alg_lock(t, k, d);
		i = e + 1;
	}
}

/* ---- deciding ---- */

static void set(struct sw_my_alter_item *it, enum sw_my_algorithm a, enum sw_my_alter_lock l, bool rebuild,
		bool scan, bool certain, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static void set(struct sw_my_alter_item *it, enum sw_my_algorithm a, enum sw_my_alter_lock l, bool rebuild,
		bool scan, bool certain, const char *fmt, ...)
{
	va_list ap;
	it->algorithm = a;
	it->min_lock = l;
	it->rebuild = rebuild;
	it->scan = scan;
	it->certain = certain;
	free(it->why);
	va_start(ap, fmt);
	it->why = sw_xvasprintf(fmt, ap);
	va_end(ap);
}

static const struct sw_my_old_column *old_column(const struct sw_my_table_facts *f, const char *name)
{
	for (size_t i = 0; f && name && i < f->n_cols; i++)
		if (strcasecmp(f->cols[i].name, name) == 0)
			return &f->cols[i];
	return NULL;
}

/* Type names the server stores under another name (information_schema.COLUMNS.DATA_TYPE). */
static const char *canonical_type(const char *t)
{
	static const struct { const char *alias, *type; } a[] = {
		{ "integer", "int" }, { "bool", "tinyint" }, { "boolean", "tinyint" }, { "dec", "decimal" },
		{ "numeric", "decimal" }, { "fixed", "decimal" }, { "real", "double" }, { "character", "char" },
		{ "int1", "tinyint" }, { "int2", "smallint" }, { "int3", "mediumint" }, { "int4", "int" },
		{ "int8", "bigint" }, { "middleint", "mediumint" }, { "long", "mediumtext" },
	};
	for (size_t i = 0; t && i < sizeof(a) / sizeof(a[0]); i++)
		if (strcmp(t, a[i].alias) == 0)
			return a[i].type;
	return t ? t : "";
}

static bool is_varlen(const char *t)
{
	return strcmp(t, "varchar") == 0 || strcmp(t, "varbinary") == 0;
}

static bool redundant(const struct sw_my_table_facts *f)
{
	return f && f->row_format && strcasecmp(f->row_format, "redundant") == 0;
}

/* MODIFY / CHANGE with the column's definition today. */
static void decide_modify(struct sw_my_alter_item *it, const struct sw_my_table_facts *f)
{
	const struct sw_my_old_column *old = old_column(f, it->name);
	const struct sw_my_coldef *d = &it->def;
	const char *nt, *ot;

	if (!old) {
		set(it, SW_MY_ALG_COPY, SW_MY_LOCK_SHARED, true, true, false,
		    "the column's current definition is not known here, so the worst case is assumed: a data type "
		    "change copies the table (COPY); keeping the type (rename, reorder, default, comment, VARCHAR "
		    "growth within the same length bytes) is INSTANT and NULL -> NOT NULL is INPLACE with a rebuild; "
		    "give --dsn to read the definition");
		return;
	}
	nt = canonical_type(d->type);
	ot = canonical_type(old->data_type);
	if (d->charset && old->octet_max_len > 0) {
		set(it, SW_MY_ALG_COPY, SW_MY_LOCK_SHARED, true, true, false,
		    "CHARACTER SET %s may convert the column's data: COPY unless it is the column's character set already",
		    d->charset);
		return;
	}
	if (strcmp(nt, ot) != 0) {
		set(it, SW_MY_ALG_COPY, SW_MY_LOCK_SHARED, true, true, true,
		    "changes the data type of %s from %s to %s: every row is converted into a copy of the table (COPY)",
		    it->name, old->column_type ? old->column_type : ot, nt);
		return;
	}
	if (old->char_max_len >= 0 && d->len >= 0 && d->len != old->char_max_len) {
		long per_char = old->char_max_len > 0 && old->octet_max_len > 0 ? old->octet_max_len / old->char_max_len : 1;
		long new_bytes = d->len * (per_char ? per_char : 1);
		if (d->len < old->char_max_len) {
			set(it, SW_MY_ALG_COPY, SW_MY_LOCK_SHARED, true, true, true,
			    "shortens %s from %ld to %ld characters: rows are checked and copied (COPY)", it->name,
			    old->char_max_len, d->len);
			return;
		}
		if (!is_varlen(nt) && !redundant(f)) {
			set(it, SW_MY_ALG_COPY, SW_MY_LOCK_SHARED, true, true, true,
			    "extends fixed-length %s(%ld) to %s(%ld): COPY (INSTANT only with ROW_FORMAT=REDUNDANT)", nt,
			    old->char_max_len, nt, d->len);
			return;
		}
		if (!redundant(f) && (old->octet_max_len <= 255) != (new_bytes <= 255)) {
			set(it, SW_MY_ALG_COPY, SW_MY_LOCK_SHARED, true, true, true,
			    "extends %s from %ld to %ld bytes across 255: the length prefix grows from 1 to 2 bytes, so "
			    "every row is copied (COPY)", it->name, old->octet_max_len, new_bytes);
			return;
		}
	}
	if (old->nullable && d->not_null) {
		set(it, SW_MY_ALG_INPLACE, SW_MY_LOCK_NONE, true, true, true,
		    "NULL -> NOT NULL on %s: every row is checked and the table rebuilt in place (INPLACE); fails if a row "
		    "holds NULL", it->name);
		return;
	}
	if (!old->nullable && !d->not_null && !d->primary) {
		if (redundant(f))
			set(it, SW_MY_ALG_INSTANT, SW_MY_LOCK_NONE, false, false, true,
			    "NOT NULL -> NULL on %s: metadata only with ROW_FORMAT=REDUNDANT", it->name);
		else
			set(it, SW_MY_ALG_INPLACE, SW_MY_LOCK_NONE, true, true, true,
			    "NOT NULL -> NULL on %s: the table is rebuilt in place (INPLACE; INSTANT only with "
			    "ROW_FORMAT=REDUNDANT)", it->name);
		return;
	}
	set(it, SW_MY_ALG_INSTANT, SW_MY_LOCK_NONE, false, false, true, "%s keeps its type%s: metadata only",
	    it->name, d->positioned ? " and moves (column order)" : d->len > old->char_max_len && old->char_max_len >= 0 ?
	    " and grows within the same length bytes" : "");
}

static void decide(struct sw_my_alter_item *it, const struct sw_my_table_facts *f, bool fk_off, bool adds_primary)
{
	const struct sw_my_old_column *old;

	switch (it->op) {
	case SW_MY_OP_ADD_COLUMN:
		if (it->def.auto_increment)
			set(it, SW_MY_ALG_INPLACE, SW_MY_LOCK_SHARED, true, true, true,
			    "an AUTO_INCREMENT column gets a value in every row: the table is rebuilt and writes wait "
			    "(INPLACE, LOCK=SHARED)");
		else if (it->def.stored)
			set(it, SW_MY_ALG_COPY, SW_MY_LOCK_SHARED, true, true, true,
			    "a STORED generated column is computed for every row: COPY");
		else if (it->def.primary)
			set(it, SW_MY_ALG_INPLACE, SW_MY_LOCK_NONE, true, true, true,
			    "the new column is the primary key: the table is rebuilt in place (INPLACE)");
		else if (it->def.unique)
			set(it, SW_MY_ALG_NOCOPY, SW_MY_LOCK_NONE, false, true, true,
			    "the column is added instantly and its UNIQUE index is built from every row (NOCOPY)");
		else if (f && f->has_fulltext)
			set(it, SW_MY_ALG_INPLACE, SW_MY_LOCK_NONE, true, true, true,
			    "the table has a FULLTEXT index (hidden FTS_DOC_ID column): no instant ADD COLUMN, the table "
			    "is rebuilt (INPLACE)");
		else
			set(it, SW_MY_ALG_INSTANT, SW_MY_LOCK_NONE, false, false, true,
			    "adds %s: metadata only, in any position (INSTANT; not on a table with a FULLTEXT index)",
			    it->name ? it->name : "a column");
		return;
	case SW_MY_OP_DROP_COLUMN:
		old = old_column(f, it->name);
		if (old && old->indexed)
			set(it, SW_MY_ALG_INPLACE, SW_MY_LOCK_NONE, true, true, true,
			    "%s is part of an index: the table is rebuilt in place (INPLACE)", it->name);
		else if (old || (f && f->n_cols))
			set(it, SW_MY_ALG_INSTANT, SW_MY_LOCK_NONE, false, false, true,
			    "drops %s: metadata only (INSTANT); its data stays in the rows until the next rebuild", it->name);
		else
			set(it, SW_MY_ALG_INPLACE, SW_MY_LOCK_NONE, true, true, false,
			    "INSTANT if %s is in no index; if it is part of an index the table is rebuilt (INPLACE), "
			    "assumed here because the indexes are not known", it->name ? it->name : "the column");
		return;
	case SW_MY_OP_RENAME_COLUMN:
		set(it, SW_MY_ALG_INSTANT, SW_MY_LOCK_NONE, false, false, true, "renames a column: metadata only");
		return;
	case SW_MY_OP_MODIFY_COLUMN:
		decide_modify(it, f);
		return;
	case SW_MY_OP_COLUMN_DEFAULT:
		set(it, SW_MY_ALG_INSTANT, SW_MY_LOCK_NONE, false, false, true, "changes a default: metadata only");
		return;
	case SW_MY_OP_ADD_INDEX:
		set(it, SW_MY_ALG_NOCOPY, SW_MY_LOCK_NONE, false, true, true,
		    "builds a secondary index from every row without rebuilding the table (NOCOPY); writes continue "
		    "and are logged meanwhile");
		return;
	case SW_MY_OP_ADD_FULLTEXT:
		if (f && f->has_fulltext)
			set(it, SW_MY_ALG_NOCOPY, SW_MY_LOCK_SHARED, false, true, true,
			    "another FULLTEXT index: built without a rebuild, writes wait (NOCOPY, LOCK=SHARED)");
		else
			set(it, SW_MY_ALG_INPLACE, SW_MY_LOCK_SHARED, true, true, f != NULL,
			    "the first FULLTEXT index adds the hidden FTS_DOC_ID column: the table is rebuilt and writes "
			    "wait (INPLACE, LOCK=SHARED)");
		return;
	case SW_MY_OP_ADD_SPATIAL:
		set(it, SW_MY_ALG_NOCOPY, SW_MY_LOCK_SHARED, false, true, true,
		    "a SPATIAL index is built while writes wait (NOCOPY, LOCK=SHARED)");
		return;
	case SW_MY_OP_DROP_INDEX:
		set(it, SW_MY_ALG_NOCOPY, SW_MY_LOCK_NONE, false, false, true,
		    "drops an index tree; the table is not rebuilt (NOCOPY)");
		return;
	case SW_MY_OP_RENAME_INDEX:
		set(it, SW_MY_ALG_INSTANT, SW_MY_LOCK_NONE, false, false, true, "changes an index's name or flags: metadata only");
		return;
	case SW_MY_OP_ADD_PRIMARY:
		set(it, SW_MY_ALG_INPLACE, SW_MY_LOCK_NONE, true, true, true,
		    "a new primary key reorganises the clustered index: the table is rebuilt in place (INPLACE)");
		return;
	case SW_MY_OP_DROP_PRIMARY:
		if (adds_primary)
			set(it, SW_MY_ALG_INPLACE, SW_MY_LOCK_NONE, true, true, true,
			    "replaces the primary key: the table is rebuilt in place (INPLACE)");
		else
			set(it, SW_MY_ALG_COPY, SW_MY_LOCK_SHARED, true, true, true,
			    "drops the primary key without adding another: COPY");
		return;
	case SW_MY_OP_ADD_FOREIGN_KEY:
		if (fk_off)
			set(it, SW_MY_ALG_NOCOPY, SW_MY_LOCK_NONE, false, true, false,
			    "with foreign_key_checks=0 rows are not checked; the index the foreign key needs is built "
			    "without a rebuild (NOCOPY; metadata only if the columns are indexed already)");
		else
			set(it, SW_MY_ALG_COPY, SW_MY_LOCK_SHARED, true, true, true,
			    "with foreign_key_checks=1 InnoDB cannot add a foreign key in place: every row is copied and "
			    "checked while writes wait (COPY); SET foreign_key_checks=0 first makes it metadata only");
		return;
	case SW_MY_OP_DROP_FOREIGN_KEY:
		set(it, SW_MY_ALG_INSTANT, SW_MY_LOCK_NONE, false, false, true, "drops a foreign key: metadata only");
		return;
	case SW_MY_OP_ADD_CHECK:
		set(it, SW_MY_ALG_COPY, SW_MY_LOCK_SHARED, true, true, true,
		    "a new CHECK constraint is verified against every row: COPY");
		return;
	case SW_MY_OP_DROP_CONSTRAINT:
		set(it, SW_MY_ALG_INSTANT, SW_MY_LOCK_NONE, false, false, true, "drops a constraint: metadata only");
		return;
	case SW_MY_OP_ENGINE:
		if (it->name && strcasecmp(it->name, "innodb") == 0 && (!f || !f->engine || strcasecmp(f->engine, "innodb") == 0))
			set(it, SW_MY_ALG_INPLACE, SW_MY_LOCK_NONE, true, true, true,
			    "ENGINE=InnoDB on an InnoDB table rebuilds it in place (INPLACE)");
		else
			set(it, SW_MY_ALG_COPY, SW_MY_LOCK_SHARED, true, true, true,
			    "ENGINE=%s moves every row to another storage engine: COPY", it->name ? it->name : "?");
		return;
	case SW_MY_OP_ROW_FORMAT:
		set(it, SW_MY_ALG_INPLACE, SW_MY_LOCK_NONE, true, true, true,
		    "ROW_FORMAT=%s rewrites every row in place (INPLACE)", it->name ? it->name : "?");
		return;
	case SW_MY_OP_CONVERT_CHARSET:
		set(it, SW_MY_ALG_COPY, SW_MY_LOCK_SHARED, true, true, true,
		    "CONVERT TO CHARACTER SET %s converts every string column: COPY", it->name ? it->name : "?");
		return;
	case SW_MY_OP_DEFAULT_CHARSET:
		set(it, SW_MY_ALG_INSTANT, SW_MY_LOCK_NONE, false, false, true,
		    "changes the table's default character set for new columns only: metadata only");
		return;
	case SW_MY_OP_TABLE_OPTION:
		set(it, SW_MY_ALG_INSTANT, SW_MY_LOCK_NONE, false, false, true, "%s: metadata only",
		    it->name ? it->name : "table option");
		return;
	case SW_MY_OP_FORCE:
		set(it, SW_MY_ALG_INPLACE, SW_MY_LOCK_NONE, true, true, true,
		    "rebuilds the table in place (INPLACE); reads and writes continue");
		return;
	case SW_MY_OP_RENAME_TABLE:
		set(it, SW_MY_ALG_INSTANT, SW_MY_LOCK_EXCLUSIVE, false, false, true,
		    "renames the table: metadata only, but only with LOCK=EXCLUSIVE (the server refuses NONE/SHARED)");
		return;
	case SW_MY_OP_ORDER_BY:
		set(it, SW_MY_ALG_COPY, SW_MY_LOCK_SHARED, true, true, true, "ORDER BY copies the rows in that order: COPY");
		return;
	case SW_MY_OP_PARTITION_DROP:
		set(it, SW_MY_ALG_INPLACE, SW_MY_LOCK_EXCLUSIVE, false, false, false,
		    "removes a partition's rows; the partition engine does it in place under an exclusive lock "
		    "(coarse: partition operations are not modelled in detail)");
		return;
	case SW_MY_OP_PARTITION_ADD:
		set(it, SW_MY_ALG_INPLACE, SW_MY_LOCK_EXCLUSIVE, false, false, false,
		    "adds a partition in place under an exclusive lock (coarse: a HASH/KEY table redistributes rows)");
		return;
	case SW_MY_OP_PARTITION_REORG:
		set(it, SW_MY_ALG_COPY, SW_MY_LOCK_SHARED, true, true, false,
		    "repartitioning moves rows between partitions: COPY assumed (coarse)");
		return;
	case SW_MY_OP_NOOP:
		set(it, SW_MY_ALG_INSTANT, SW_MY_LOCK_NONE, false, false, true, "no effect on InnoDB tables");
		return;
	default:
		set(it, SW_MY_ALG_COPY, SW_MY_LOCK_SHARED, true, true, false,
		    "\"%s\" is not modelled: the worst case (COPY) is assumed", it->name ? it->name : "?");
		return;
	}
}

static const char *lock_meaning(enum sw_my_alter_lock l)
{
	return l == SW_MY_LOCK_EXCLUSIVE ? "reads and writes wait" : l == SW_MY_LOCK_SHARED ? "writes wait, reads continue"
	       : "reads and writes continue";
}

/* Combine the operations, apply ALGORITHM=/LOCK=, and say it in a sentence. */
static void combine(struct sw_my_ddl *d, const struct sw_my_table_facts *f)
{
	bool adds_primary = false;
	enum sw_my_algorithm alg = SW_MY_ALG_INSTANT;
	enum sw_my_alter_lock lk = SW_MY_LOCK_NONE;
	char *s;

	for (size_t i = 0; i < d->n_items; i++)
		adds_primary |= d->items[i].op == SW_MY_OP_ADD_PRIMARY;
	d->rebuild = d->scan = false;
	d->certain = true;
	for (size_t i = 0; i < d->n_items; i++) {
		struct sw_my_alter_item *it = &d->items[i];
		decide(it, f, d->fk_checks_off, adds_primary);
		if (it->algorithm > alg)
			alg = it->algorithm;
		if (it->min_lock > lk)
			lk = it->min_lock;
		d->rebuild |= it->rebuild;
		d->scan |= it->scan;
		d->certain &= it->certain;
	}
	free(d->refusal);
	d->refusal = NULL;
	if (d->requested_algorithm == SW_MY_ALG_COPY) {
		alg = SW_MY_ALG_COPY;
	} else if (d->requested_algorithm != SW_MY_ALG_DEFAULT && alg > d->requested_algorithm) {
		d->refusal = sw_xasprintf("ALGORITHM=%s is not supported for this operation; the server refuses it (try ALGORITHM=%s)",
					  sw_my_algorithm_name(d->requested_algorithm), sw_my_algorithm_name(alg));
	}
	if (alg == SW_MY_ALG_COPY) {
		d->rebuild = d->scan = true;
		if (lk < SW_MY_LOCK_SHARED)
			lk = SW_MY_LOCK_SHARED; /* 10.11's COPY cannot let writes continue */
	}
	if (!d->refusal && d->requested_lock != SW_MY_LOCK_DEFAULT) {
		if (d->requested_lock < lk)
			d->refusal = sw_xasprintf("LOCK=%s is not supported for this operation; the server refuses it (try LOCK=%s)",
						  sw_my_alter_lock_name(d->requested_lock), sw_my_alter_lock_name(lk));
		else
			lk = d->requested_lock;
	}
	d->algorithm = alg;
	d->lock = lk;
	if (d->refusal) {
		d->mdl_held = SW_LOCK_MDL_SHARED_UPGRADABLE;
		d->mdl_brief = SW_LOCK_NONE;
	} else if (lk == SW_MY_LOCK_EXCLUSIVE) {
		d->mdl_held = SW_LOCK_MDL_EXCLUSIVE;
		d->mdl_brief = SW_LOCK_NONE;
	} else {
		d->mdl_held = lk == SW_MY_LOCK_SHARED ? SW_LOCK_MDL_SHARED_NO_WRITE : SW_LOCK_MDL_SHARED_UPGRADABLE;
		d->mdl_brief = SW_LOCK_MDL_EXCLUSIVE;
	}
	if (d->refusal)
		s = sw_xasprintf("REFUSED: %s", d->refusal);
	else if (alg == SW_MY_ALG_INSTANT)
		s = sw_xasprintf("INSTANT, metadata only, no table rebuild");
	else if (alg == SW_MY_ALG_NOCOPY)
		s = sw_xasprintf("NOCOPY, no table rebuild%s; %s", d->scan ? ", reads every row to build an index" : "",
				 lock_meaning(lk));
	else if (alg == SW_MY_ALG_INPLACE)
		s = sw_xasprintf("INPLACE, %s; %s", d->rebuild ? "the table is rebuilt in place" : "no table rebuild",
				 lock_meaning(lk));
	else
		s = sw_xasprintf("COPY, every row is copied into a new table; %s until it finishes", lock_meaning(lk));
	free(d->summary);
	d->summary = d->certain ? s : sw_xasprintf("%s (worst case: depends on the table's current definition)", s);
	if (!d->certain)
		free(s);
}

/* ---- filling the impact ---- */

static const char *const SRC_READ = "sql_base.cc open_tables(): MDL_SHARED_READ for tables a statement reads; "
				    "InnoDB takes row locks only";
static const char *const SRC_WRITE = "sql_base.cc open_tables(): MDL_SHARED_WRITE for tables a statement writes "
				     "(and SELECT ... FOR UPDATE); InnoDB takes row locks only";
static const char *const SRC_META = "MDL_SHARED_HIGH_PRIO: metadata only (SHOW, DESCRIBE)";
static const char *const SRC_X = "MDL_EXCLUSIVE for DROP, TRUNCATE, RENAME and CREATE (sql_table.cc, sql_rename.cc, "
				 "sql_truncate.cc)";
static const char *const SRC_ALTER_ONLINE = "sql_table.cc mysql_alter_table(): MDL_SHARED_UPGRADABLE while it "
					    "runs, MDL_EXCLUSIVE briefly to prepare and to commit";
static const char *const SRC_ALTER_SHARED = "sql_table.cc mysql_alter_table(): upgraded to MDL_SHARED_NO_WRITE "
					    "while rows are read (LOCK=SHARED), MDL_EXCLUSIVE to commit";
static const char *const SRC_ALTER_X = "sql_table.cc mysql_alter_table(): MDL_EXCLUSIVE for the whole operation "
				       "(LOCK=EXCLUSIVE)";
static const char *const SRC_ALTER_REFUSED = "sql_table.cc mysql_alter_table(): MDL_SHARED_UPGRADABLE until the "
					     "server refuses the ALGORITHM/LOCK clause";

static void set_why(char **dst, const char *s)
{
	free(*dst);
	*dst = dup0(s);
}

static void add_lock(struct sw_stmt *st, const char *obj, enum sw_lockmode m, const char *src)
{
	struct sw_impact *im = st->impact;
	sw_impact_add_lock(im, obj, SW_VIA_NAMED, NULL, m, src);
	im->strongest = SW_LOCK_NONE;
	for (size_t i = 0; i < im->n_locks; i++)
		im->strongest = sw_lock_stronger(im->strongest, im->locks[i].mode);
	sw_stmt_add_object(st, obj, m);
}

/* Locks, rewrite and scan of st->impact from the ALTER prediction. */
static void apply_ddl(struct sw_stmt *st, struct sw_my_ddl *d)
{
	struct sw_impact *im = st->impact;
	const char *src = d->refusal ? SRC_ALTER_REFUSED : d->mdl_held == SW_LOCK_MDL_EXCLUSIVE ? SRC_ALTER_X
			  : d->mdl_held == SW_LOCK_MDL_SHARED_NO_WRITE ? SRC_ALTER_SHARED : SRC_ALTER_ONLINE;
	char *why = NULL;

	/* The prediction may have changed (refine): the table's entry is replaced, not strengthened. */
	for (size_t i = 0; i < im->n_locks; i++)
		if (strcmp(im->locks[i].object, d->table) == 0) {
			im->locks[i].mode = d->mdl_held;
			im->locks[i].source = src;
		}
	for (size_t i = 0; i < st->n_objects; i++)
		if (strcmp(st->objects[i].name, d->table) == 0)
			st->objects[i].lock = d->mdl_held;
	add_lock(st, d->table, d->mdl_held, src);
	for (size_t i = 0; i < d->n_items; i++)
		if (d->items[i].op == SW_MY_OP_RENAME_TABLE && d->items[i].new_name)
			add_lock(st, d->items[i].new_name, SW_LOCK_MDL_EXCLUSIVE, SRC_X);
	im->rewrite = !d->refusal && d->rebuild;
	im->new_storage = im->rewrite;
	im->scan = !d->refusal && d->scan;
	st->rewrites_table = im->rewrite;
	for (size_t i = 0; i < d->n_items && !d->refusal; i++) {
		const struct sw_my_alter_item *it = &d->items[i];
		if (!(it->rebuild || d->algorithm == SW_MY_ALG_COPY) && !it->scan)
			continue;
		why = why ? why : sw_xasprintf("%s: %s", sw_my_op_name(it->op), it->why);
	}
	set_why(&im->rewrite_why, im->rewrite ? why : NULL);
	set_why(&im->scan_why, im->scan ? why : NULL);
	free(why);
}

static struct my_impact *new_impact(struct sw_stmt *st)
{
	struct my_impact *mi = sw_xcalloc(1, sizeof(*mi));
	if (st->impact && st->impact_ops && st->impact_ops->free)
		st->impact_ops->free(st->impact);
	st->impact = &mi->base;
	st->impact_ops = &my_ops;
	return mi;
}

/* Token index just past "ALTER [ONLINE] [IGNORE] TABLE name". */
static size_t alter_spec_start(const struct toks *t, size_t a)
{
	size_t i = a + 1;
	while (w(t, i, "online") || w(t, i, "ignore"))
		i++;
	if (w(t, i, "table"))
		i++;
	if (w(t, i, "if") && w(t, i + 1, "exists"))
		i += 2;
	return past_qname(t, i);
}

/* Token index just past "ON name" (CREATE INDEX, DROP INDEX), or e. */
static size_t after_on_name(const struct toks *t, size_t a)
{
	for (size_t i = a; i < t->e; i++)
		if (w(t, i, "on"))
			return past_qname(t, i + 1);
	return t->e;
}

static void ddl_stmt(struct sw_stmt *st, struct my_impact *mi, const struct toks *t, size_t a, enum myc_cmd cmd,
		     const char *table)
{
	struct sw_my_ddl *d = sw_xcalloc(1, sizeof(*d));
	size_t i;

	mi->ddl = d;
	d->table = sw_xstrdup(table);
	switch (cmd) {
	case MYC_ALTER_TABLE:
		read_spec(t, alter_spec_start(t, a), d);
		if (!d->n_items)
			add_item(d, SW_MY_OP_NOOP, NULL);
		break;
	case MYC_CREATE_INDEX:
		add_item(d, w(t, a + 1, "fulltext") || w(t, a + 3, "fulltext") ? SW_MY_OP_ADD_FULLTEXT
			    : w(t, a + 1, "spatial") || w(t, a + 3, "spatial") ? SW_MY_OP_ADD_SPATIAL
			    : SW_MY_OP_ADD_INDEX, NULL);
		for (i = past_parens(t, after_on_name(t, a)); i < t->e; i++)
			if (w(t, i, "algorithm") || w(t, i, "lock"))
				i = read_alg_lock(t, i, d) - 1;
		break;
	case MYC_DROP_INDEX:
		add_item(d, SW_MY_OP_DROP_INDEX, NULL);
		for (i = after_on_name(t, a); i < t->e; i++)
			if (w(t, i, "algorithm") || w(t, i, "lock"))
				i = read_alg_lock(t, i, d) - 1;
		break;
	default: /* OPTIMIZE TABLE: InnoDB runs ALTER TABLE ... FORCE, then ANALYZE */
		add_item(d, SW_MY_OP_FORCE, NULL);
		break;
	}
	combine(d, NULL);
	apply_ddl(st, d);
}

void sw_my_impact(struct sw_stmt *st, const struct myc_info *in, const struct my_lexed *lx, size_t a, size_t b)
{
	struct toks t = { .lx = lx, .e = b };
	struct my_impact *mi;
	struct sw_impact *im;
	const char *first = in->objects.n ? in->objects.v[0] : NULL;

	if (in->cmd == MYC_NONE || in->cmd == MYC_PREPARE || in->cmd == MYC_COMPOUND)
		return;
	mi = new_impact(st);
	im = &mi->base;
	im->reversibility = SW_REV_UNKNOWN;
	if (in->flags & MYF_EXPLAIN) {
		for (size_t i = 0; i < in->objects.n; i++)
			add_lock(st, in->objects.v[i], SW_LOCK_MDL_SHARED_READ, SRC_READ);
		im->reversibility = SW_REV_NONE_NEEDED;
		return;
	}
	switch (in->cmd) {
	case MYC_SELECT: case MYC_HA_OPEN: case MYC_HA_READ: case MYC_DO:
		for (size_t i = 0; i < in->objects.n; i++)
			add_lock(st, in->objects.v[i],
				 (in->flags & MYF_LOCKING) ? SW_LOCK_MDL_SHARED_WRITE : SW_LOCK_MDL_SHARED_READ,
				 (in->flags & MYF_LOCKING) ? SRC_WRITE : SRC_READ);
		im->reversibility = (in->flags & (MYF_OUTFILE | MYF_DUMPFILE)) ? SW_REV_UNKNOWN : SW_REV_NONE_NEEDED;
		break;
	case MYC_SHOW: case MYC_DESCRIBE: case MYC_HA_CLOSE:
		for (size_t i = 0; i < in->objects.n; i++)
			add_lock(st, in->objects.v[i], SW_LOCK_MDL_SHARED_HIGH_PRIO, SRC_META);
		im->reversibility = SW_REV_NONE_NEEDED;
		break;
	case MYC_INSERT: case MYC_INSERT_SELECT: case MYC_REPLACE: case MYC_REPLACE_SELECT: case MYC_UPDATE:
	case MYC_UPDATE_MULTI: case MYC_DELETE: case MYC_DELETE_MULTI: case MYC_LOAD:
		/* Every table named is locked for writing: which of a multi-table statement's tables are only
		 * read is not reported by the grammar (MDL_SHARED_WRITE conflicts with a superset of SR's). */
		for (size_t i = 0; i < in->objects.n; i++)
			add_lock(st, in->objects.v[i], SW_LOCK_MDL_SHARED_WRITE, SRC_WRITE);
		if ((in->cmd == MYC_UPDATE || in->cmd == MYC_UPDATE_MULTI || in->cmd == MYC_DELETE ||
		     in->cmd == MYC_DELETE_MULTI) && !(in->flags & MYF_WHERE)) {
			im->scan = true;
			set_why(&im->scan_why, "no WHERE: every row is read and row-locked");
		}
		im->reversibility = (in->cmd == MYC_UPDATE || in->cmd == MYC_UPDATE_MULTI || in->cmd == MYC_DELETE ||
				     in->cmd == MYC_DELETE_MULTI || in->cmd == MYC_REPLACE || in->cmd == MYC_REPLACE_SELECT)
				    ? SW_REV_BACKUP_ONLY : SW_REV_UNKNOWN;
		break;
	case MYC_TRUNCATE:
		for (size_t i = 0; i < in->objects.n; i++)
			add_lock(st, in->objects.v[i], SW_LOCK_MDL_EXCLUSIVE, SRC_X);
		im->new_storage = true;
		im->reversibility = SW_REV_BACKUP_ONLY;
		break;
	case MYC_DROP_TABLE: case MYC_DROP_VIEW:
		for (size_t i = 0; i < in->objects.n; i++)
			add_lock(st, in->objects.v[i], SW_LOCK_MDL_EXCLUSIVE, SRC_X);
		im->reversibility = SW_REV_BACKUP_ONLY;
		break;
	case MYC_RENAME_TABLE:
		for (size_t i = 0; i < in->objects.n; i++)
			add_lock(st, in->objects.v[i], SW_LOCK_MDL_EXCLUSIVE, SRC_X);
		im->reversibility = SW_REV_REVERSIBLE;
		break;
	case MYC_CREATE_TABLE: case MYC_CREATE_VIEW: case MYC_ALTER_VIEW:
		for (size_t i = 0; i < in->objects.n; i++)
			add_lock(st, in->objects.v[i], i == 0 ? SW_LOCK_MDL_EXCLUSIVE : SW_LOCK_MDL_SHARED_READ,
				 i == 0 ? SRC_X : SRC_READ);
		im->reversibility = in->cmd == MYC_ALTER_VIEW ? SW_REV_UNKNOWN : SW_REV_REVERSIBLE;
		break;
	case MYC_ALTER_TABLE: case MYC_CREATE_INDEX: case MYC_DROP_INDEX: case MYC_OPTIMIZE:
		if (!first)
			break;
		ddl_stmt(st, mi, &t, a, in->cmd, first);
		for (size_t i = 1; in->cmd == MYC_OPTIMIZE && i < in->objects.n; i++)
			add_lock(st, in->objects.v[i], mi->ddl->mdl_held, SRC_ALTER_ONLINE);
		im->reversibility = in->cmd == MYC_OPTIMIZE ? SW_REV_NONE_NEEDED : SW_REV_UNKNOWN;
		for (size_t i = 0; i < mi->ddl->n_items; i++)
			if (mi->ddl->items[i].op == SW_MY_OP_DROP_COLUMN || mi->ddl->items[i].op == SW_MY_OP_PARTITION_DROP)
				im->reversibility = SW_REV_BACKUP_ONLY;
		break;
	case MYC_BEGIN: case MYC_COMMIT: case MYC_ROLLBACK: case MYC_SAVEPOINT: case MYC_ROLLBACK_TO: case MYC_RELEASE:
	case MYC_SET: case MYC_SET_TRANSACTION: case MYC_USE: case MYC_DEALLOCATE:
		im->reversibility = SW_REV_NONE_NEEDED;
		break;
	default:
		break;
	}
}

void sw_my_impact_refine(struct sw_stmt *st, const struct sw_my_table_facts *facts, bool fk_checks_off)
{
	struct sw_my_ddl *d = sw_my_ddl_of(st);
	struct my_impact *mi;
	if (!d)
		return;
	mi = (struct my_impact *)st->impact;
	if (facts != mi->facts) {
		struct sw_my_table_facts *copy = facts_dup(facts);
		facts_free(mi->facts);
		mi->facts = copy;
	}
	d->fk_checks_off = fk_checks_off;
	combine(d, mi->facts);
	apply_ddl(st, d);
}
