/*
 * Between the MariaDB grammar (my_grammar.y) and the classifier
 * (my_classify.c): the grammar reports what a statement is (a command id
 * and facts: tables, functions, settings, flags); my_classify.c decides
 * what that means (class, traits, reasons).
 */
#ifndef SQLWARD_MY_PARSE_H
#define SQLWARD_MY_PARSE_H

#include <stdbool.h>
#include "my_lex.h"
#include "statement.h"

/* Statement kinds the grammar recognises (command table in my_classify.c). */
enum myc_cmd {
	MYC_NONE = 0,
	MYC_SELECT, MYC_INSERT, MYC_INSERT_SELECT, MYC_REPLACE, MYC_REPLACE_SELECT,
	MYC_UPDATE, MYC_UPDATE_MULTI, MYC_DELETE, MYC_DELETE_MULTI, MYC_TRUNCATE, MYC_LOAD,
	MYC_CREATE_TABLE, MYC_ALTER_TABLE, MYC_DROP_TABLE, MYC_RENAME_TABLE,
	MYC_CREATE_VIEW, MYC_ALTER_VIEW, MYC_DROP_VIEW, MYC_CREATE_INDEX, MYC_DROP_INDEX,
	MYC_CREATE_DB, MYC_ALTER_DB, MYC_DROP_DB,
	MYC_CREATE_PROCEDURE, MYC_CREATE_FUNCTION, MYC_CREATE_TRIGGER, MYC_CREATE_EVENT,
	MYC_DROP_PROCEDURE, MYC_DROP_FUNCTION, MYC_DROP_TRIGGER, MYC_DROP_EVENT,
	MYC_CALL, MYC_COMPOUND,
	MYC_PREPARE, MYC_EXECUTE, MYC_DEALLOCATE,
	MYC_SET, MYC_SET_ROLE, MYC_SET_DEFAULT_ROLE, MYC_SET_PASSWORD, MYC_SET_TRANSACTION,
	MYC_GRANT, MYC_GRANT_ROLE, MYC_REVOKE, MYC_REVOKE_ROLE, MYC_CREATE_USER, MYC_DROP_USER,
	MYC_ALTER_USER, MYC_RENAME_USER, MYC_CREATE_ROLE, MYC_DROP_ROLE,
	MYC_BEGIN, MYC_COMMIT, MYC_ROLLBACK, MYC_SAVEPOINT, MYC_ROLLBACK_TO, MYC_RELEASE,
	MYC_XA_START, MYC_XA_END, MYC_XA_PREPARE, MYC_XA_COMMIT, MYC_XA_ROLLBACK, MYC_XA_RECOVER,
	MYC_LOCK, MYC_UNLOCK, MYC_FLUSH, MYC_KILL, MYC_SHUTDOWN, MYC_INSTALL, MYC_UNINSTALL,
	MYC_HA_OPEN, MYC_HA_READ, MYC_HA_CLOSE,
	MYC_SHOW, MYC_DESCRIBE, MYC_USE, MYC_DO,
	MYC_OPTIMIZE,
	MYC_CREATE_SEQUENCE, MYC_ALTER_SEQUENCE, MYC_DROP_SEQUENCE,
	MYC_ANALYZE_TABLE, MYC_CHECK_TABLE, MYC_CHECKSUM_TABLE, MYC_REPAIR_TABLE,
	MYC__COUNT
};

/* Facts about a statement (bits of myc_info.flags). */
enum myc_flag {
	MYF_STAR       = 1u << 0,   /* SELECT * or t.* */
	MYF_LOCKING    = 1u << 1,   /* FOR UPDATE / LOCK IN SHARE MODE */
	MYF_WHERE      = 1u << 2,   /* UPDATE/DELETE has WHERE */
	MYF_OUTFILE    = 1u << 3,   /* SELECT ... INTO OUTFILE */
	MYF_DUMPFILE   = 1u << 4,   /* SELECT ... INTO DUMPFILE */
	MYF_INTO_VAR   = 1u << 5,   /* SELECT ... INTO @var */
	MYF_UNBOUNDED  = 1u << 6,   /* the top-level query returns rows with no LIMIT */
	MYF_LOCAL      = 1u << 7,   /* LOAD DATA LOCAL */
	MYF_DUPLICATE  = 1u << 8,   /* INSERT ... ON DUPLICATE KEY UPDATE */
	MYF_EXPLAIN    = 1u << 9,   /* EXPLAIN/DESCRIBE of a statement: planned, not run */
	MYF_ANALYZE    = 1u << 10,  /* ANALYZE stmt / EXPLAIN ANALYZE: runs it */
	MYF_GLOBAL_SET = 1u << 11,  /* SET GLOBAL / @@global. / PERSIST */
	MYF_WITH_ADMIN = 1u << 12,  /* GRANT ... WITH GRANT/ADMIN OPTION */
	MYF_SHOW_SENSITIVE = 1u << 13, /* SHOW of other sessions' SQL or credentials */
	MYF_IF_EXISTS  = 1u << 14,
	MYF_SUBQUERY   = 1u << 15,
	MYF_RECURSIVE  = 1u << 16,
	MYF_SYSVAR_READ = 1u << 17, /* reads a system variable (@@x) */
	MYF_USERVAR_SET = 1u << 18, /* assigns a user variable (@a := ...) */
	MYF_SOUP_SELECT = 1u << 19, /* SELECT inside a definition the grammar does not judge */
	MYF_OR_REPLACE = 1u << 20,  /* CREATE OR REPLACE: drops what it replaces first */
	MYF_SET_STATEMENT = 1u << 21, /* SET STATEMENT settings FOR the statement reported */
	MYF_KILL_USER  = 1u << 22,  /* KILL USER name: every connection of an account */
};

/* Bits of an expression's / query's semantic value in the grammar. */
#define MYE_AGG   1  /* an aggregate call */
#define MYE_CONST 2  /* a constant */
#define MYQ_UNBOUNDED 1

struct myc_info {
	enum myc_cmd cmd;
	unsigned flags;
	struct sw_strv objects;    /* tables, views, databases, in order */
	struct sw_strv functions;  /* lower-case, qualified when written qualified */
	struct sw_strv columns;
	struct sw_strv settings;   /* SET: lower-case names */
	struct sw_strv notes;      /* extra reasons from the grammar */
	struct sw_strv seq_writes; /* sequences NEXTVAL / NEXT VALUE FOR / SETVAL advance or set */
	struct sw_strv seq_reads;  /* sequences LASTVAL / PREVIOUS VALUE FOR read */
	char *name;                /* PREPARE/EXECUTE/DEALLOCATE/HANDLER name, USE database, SHOW what */
	char *prep_text;           /* PREPARE name FROM 'literal': the literal */
	bool prep_from_var;        /* PREPARE name FROM @var */
	char *prep_var;
	unsigned sub_start;        /* EXPLAIN/ANALYZE: the inner statement's command */
	size_t body_first;         /* token index of a routine body's first token, (size_t)-1 when none */
	size_t inner_first;        /* SET STATEMENT ... FOR: token index of the statement it runs, (size_t)-1 when none */
};

/* The parse context my_grammar.y works on (one statement's tokens). */
struct my_pctx {
	const struct my_lexed *lx;
	size_t start;              /* this statement's first token */
	size_t i, end;             /* next token; one past this statement's last token */
	size_t last;               /* index of the last token handed out */
	struct myc_info *info;
	char *error;
	int err_line, err_col;
	char **arena;              /* strings the grammar allocated */
	size_t n_arena, cap_arena;
};

char *myp_str(struct my_pctx *px, const char *s);
char *myp_cat3(struct my_pctx *px, const char *a, const char *sep, const char *b);
void myp_cmd(struct my_pctx *px, enum myc_cmd cmd);
void myp_flag(struct my_pctx *px, unsigned flag);
void myp_object(struct my_pctx *px, const char *name);
void myp_function(struct my_pctx *px, const char *name);
void myp_column(struct my_pctx *px, const char *name);
void myp_setting(struct my_pctx *px, const char *name, bool global);
void myp_note(struct my_pctx *px, const char *note);
void myp_name(struct my_pctx *px, const char *name);
/* A sequence a function or NEXT/PREVIOUS VALUE FOR names; write: advances or sets it. */
void myp_sequence(struct my_pctx *px, const char *name, bool write);
/* SET STATEMENT ... FOR: the statement it runs starts after the FOR just read. */
void myp_inner_start(struct my_pctx *px);
bool myp_is_aggregate(const char *name);

/* my_grammar.y */
int my_yyparse(struct my_pctx *px);

#endif
