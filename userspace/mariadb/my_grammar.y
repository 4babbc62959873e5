/*
 * MariaDB 10.11 statements, as far as sqlward classifies them. The grammar
 * accepts only forms whose meaning it knows; anything else is a syntax
 * error and the statement is judged unknown. Actions report facts to
 * my_classify.c through the myp_* calls (my_parse.h); they decide nothing.
 * A routine body (CREATE PROCEDURE/FUNCTION/TRIGGER/EVENT) is opaque code:
 * its tokens are accepted as they come, and my_classify.c finds where the
 * body ends exactly as the server does.
 */
%define api.pure full
%define api.prefix {my_yy}
%define parse.error verbose
%parse-param {struct my_pctx *px}
%lex-param {struct my_pctx *px}

%code requires {
#include "my_parse.h"
}

%union {
	char *s;
	unsigned n;
}

%code {
#include <string.h>
#include <strings.h>
#include "util.h"
static int my_yylex(MY_YYSTYPE *lval, struct my_pctx *px);
static void my_yyerror(struct my_pctx *px, const char *msg);
}

%define api.token.prefix {TK_}
%token <s> IDENT QIDENT STRING NUMBER HEXNUM BINNUM USERVAR SYSVAR PARAM
%token <s> LE GE NE EQ_NULLSAFE SET_VAR OROR ANDAND SHL SHR
%token <s> SELECT FROM WHERE GROUP BY HAVING ORDER LIMIT OFFSET UNION
%token <s> EXCEPT INTERSECT ALL DISTINCT DISTINCTROW AS ON USING JOIN INNER
%token <s> CROSS LEFT RIGHT OUTER NATURAL STRAIGHT_JOIN FOR UPDATE LOCK IN
%token <s> SHARE MODE INTO OUTFILE DUMPFILE WITH RECURSIVE AND OR XOR
%token <s> NOT IS NULL TRUE FALSE UNKNOWN LIKE REGEXP RLIKE BETWEEN
%token <s> EXISTS CASE WHEN THEN ELSE END CAST CONVERT INTERVAL DIV
%token <s> MOD BINARY COLLATE ASC DESC ESCAPE ANY SOME INSERT REPLACE
%token <s> VALUES VALUE SET DUPLICATE KEY IGNORE LOW_PRIORITY HIGH_PRIORITY DELAYED QUICK
%token <s> DELETE TRUNCATE TABLE LOAD DATA LOCAL INFILE FIELDS COLUMNS LINES
%token <s> TERMINATED ENCLOSED ESCAPED OPTIONALLY STARTING CHARACTER CHARSET CREATE ALTER DROP
%token <s> RENAME TO VIEW INDEX DATABASE SCHEMA IF TEMPORARY PROCEDURE FUNCTION
%token <s> TRIGGER EVENT UNIQUE FULLTEXT SPATIAL CALL PREPARE EXECUTE DEALLOCATE GLOBAL
%token <s> SESSION NAMES ROLE DEFAULT PASSWORD TRANSACTION GRANT REVOKE USER IDENTIFIED
%token <s> OPTION ADMIN PRIVILEGES BEGIN WORK START COMMIT ROLLBACK SAVEPOINT RELEASE
%token <s> XA CHAIN NO TABLES UNLOCK FLUSH KILL QUERY CONNECTION SHUTDOWN
%token <s> INSTALL UNINSTALL PLUGIN SONAME HANDLER OPEN READ CLOSE FIRST NEXT
%token <s> PREV LAST SHOW DESCRIBE EXPLAIN ANALYZE FORMAT USE DO PERSIST
%token <s> DEFINER ROW EACH BEFORE AFTER SCHEDULE NOWAIT WAIT SKIP LOCKED
%token <s> EXTENDED FULL WRITE ISOLATION LEVEL COMMITTED UNCOMMITTED REPEATABLE SERIALIZABLE ONLY
%token <s> CONSISTENT SNAPSHOT RECOVER SEPARATOR CONCURRENT ROWS RETURNS ALGORITHM SQL SECURITY
%token <s> CHECK AGGREGATE RESTRICT CASCADE NONE RELOAD FILE USAGE DATABASES PROCESS
%token <s> REFERENCES SUPER CURRENT_USER NO_WRITE_TO_BINLOG HARD SOFT ENGINE INNODB FORCE REPEAT
%token <s> OPTIMIZE STATEMENT SEQUENCE ID
/* Contextual (my_yylex): NEXTVAL/LASTVAL/SETVAL before '(', NEXT/PREVIOUS VALUE FOR as one token. */
%token <s> NEXTVAL LASTVAL SETVAL NEXT_VALUE_FOR PREVIOUS_VALUE_FOR
%token <s> OVER PARTITION RANGE UNBOUNDED PRECEDING FOLLOWING CURRENT WINDOW CHECKSUM REPAIR

%type <s> ident qname func_name kw_func text user_spec var_name any_word col_ref_name nonreserved show_word show_words set_value show_create_kind
%type <n> expr primary func_call expr_list opt_expr_list select_item select_list query_expr query_body query_primary
%type <n> query_spec opt_limit opt_group table_refs table_ref func_call_core

%left OR XOR OROR
%left AND ANDAND
%right NOT
%nonassoc BETWEEN
%left '=' LE GE NE EQ_NULLSAFE '<' '>' LIKE REGEXP RLIKE IN IS
%left '|'
%left '&'
%left SHL SHR
%left '-' '+'
%left '*' '/' '%' DIV MOD
%left '^'
%right UMINUS '~' '!' BINARY
%left COLLATE
%left INTERVAL

%start top

%%

top:
	  stmt
	;

stmt:
	  select_stmt
	| values_stmt
	| table_admin_stmt
	| insert_stmt
	| update_stmt
	| delete_stmt
	| truncate_stmt
	| load_stmt
	| create_stmt
	| alter_stmt
	| drop_stmt
	| rename_stmt
	| call_stmt
	| prepare_stmt
	| execute_stmt
	| deallocate_stmt
	| set_stmt
	| grant_stmt
	| txn_stmt
	| xa_stmt
	| lock_stmt
	| admin_stmt
	| handler_stmt
	| show_stmt
	| describe_stmt
	| explain_stmt
	| use_stmt
	| do_stmt
	;

/* ---------- names ---------- */

ident:
	  IDENT
	| QIDENT
	| nonreserved
	;

any_word:
	  ident
	;

qname:
	  ident			{ $$ = $1; }
	| ident '.' ident	{ $$ = myp_cat3(px, $1, ".", $3); }
	;

text:
	  STRING
	| text STRING	{ $$ = myp_cat3(px, $1, "", $2); }
	;

nonreserved:
	  DATA | USER | TABLES | FIELDS | COLUMNS | LINES | OPEN | CLOSE | FIRST | NEXT
	| PREV | LAST | DUPLICATE | QUICK | WORK | CHAIN | OPTION | ADMIN | PRIVILEGES
	| PLUGIN | SONAME | EVENT | MODE | SHARE | VALUE | DEFINER | SCHEDULE | NOWAIT | WAIT
	| SKIP | LOCKED | OFFSET | TEMPORARY | EXTENDED | FULL | LEVEL | COMMITTED | UNCOMMITTED
	| REPEATABLE | SERIALIZABLE | ONLY | CONSISTENT | SNAPSHOT | UNKNOWN | ESCAPE
	| SAVEPOINT | COMMIT | ROLLBACK | START | BEGIN | END | EACH | STARTING | TERMINATED
	| ENCLOSED | ESCAPED | OPTIONALLY | INFILE | OUTFILE | DUMPFILE | HANDLER | XA | FLUSH | SHUTDOWN
	| INSTALL | UNINSTALL | UNLOCK | TRUNCATE | EXECUTE | PREPARE | DEALLOCATE | AFTER | BEFORE
	| IDENTIFIED | DO | RECURSIVE | STATEMENT | SEQUENCE | PRECEDING | FOLLOWING | CURRENT
	| CHECKSUM | REPAIR
	;

/* ---------- SELECT ---------- */

select_stmt:
	  query_expr opt_into_tail	{ myp_cmd(px, MYC_SELECT); if ($1 & MYQ_UNBOUNDED) myp_flag(px, MYF_UNBOUNDED); }
	;

opt_into_tail:
	  %empty
	| into_clause
	| into_clause locking_clause
	;

query_expr:
	  opt_with query_body opt_order opt_limit opt_locking
		{ $$ = ($4 ? 0 : $2); }
	;

opt_with:
	  %empty
	| WITH cte_list
	| WITH RECURSIVE cte_list	{ myp_flag(px, MYF_RECURSIVE); }
	;

cte_list:
	  cte
	| cte_list ',' cte
	;

cte:
	  ident opt_paren_idents AS '(' query_expr ')'
	;

opt_paren_idents:
	  %empty
	| '(' ident_list ')'
	;

ident_list:
	  ident
	| ident_list ',' ident
	;

query_body:
	  query_primary
	| query_body set_op query_primary	{ $$ = $1 | $3; }
	;

set_op:
	  UNION opt_all_distinct
	| EXCEPT opt_all_distinct
	| INTERSECT opt_all_distinct
	;

opt_all_distinct:
	  %empty | ALL | DISTINCT
	;

query_primary:
	  query_spec
	| '(' query_expr ')'	{ $$ = $2; }
	;

query_spec:
	  SELECT select_opts select_list opt_into_mid
		{ $$ = 0; }
	| SELECT select_opts select_list opt_into_mid FROM table_refs opt_where opt_group opt_having opt_window
		{
			/* rows come back unbounded unless every item is an aggregate (one row) */
			$$ = (!$8 && ($3 & MYE_AGG) && !($3 & 4)) ? 0 : MYQ_UNBOUNDED;
		}
	;

select_opts:
	  %empty
	| select_opts select_opt
	;

select_opt:
	  ALL | DISTINCT | DISTINCTROW | HIGH_PRIORITY | STRAIGHT_JOIN
	;

select_list:
	  select_item
	| select_list ',' select_item
		{ $$ = (($1 & MYE_AGG) | ($3 & MYE_AGG)) | (($1 | $3) & 4); }
	;

/* select_item value: MYE_AGG when an aggregate; 4 when neither aggregate nor constant */
select_item:
	  '*'				{ myp_flag(px, MYF_STAR); $$ = 4; }
	| ident '.' '*'			{ myp_flag(px, MYF_STAR); $$ = 4; }
	| ident '.' ident '.' '*'	{ myp_flag(px, MYF_STAR); $$ = 4; }
	| expr opt_alias		{ $$ = ($1 & MYE_AGG) ? MYE_AGG : ($1 & MYE_CONST) ? 0 : 4; }
	;

opt_alias:
	  %empty
	| AS ident
	| AS text
	| IDENT
	| QIDENT
	| text
	;

opt_into_mid:
	  %empty
	| into_clause
	;

into_clause:
	  INTO OUTFILE text outfile_opts	{ myp_flag(px, MYF_OUTFILE); }
	| INTO DUMPFILE text			{ myp_flag(px, MYF_DUMPFILE); }
	| INTO var_list				{ myp_flag(px, MYF_INTO_VAR); }
	;

var_list:
	  USERVAR
	| var_list ',' USERVAR
	;

outfile_opts:
	  %empty
	| outfile_opts outfile_opt
	;

outfile_opt:
	  CHARACTER SET any_word
	| CHARACTER SET text
	| CHARSET any_word
	| FIELDS field_opts
	| COLUMNS field_opts
	| LINES line_opts
	;

field_opts:
	  field_opt
	| field_opts field_opt
	;

field_opt:
	  TERMINATED BY text
	| OPTIONALLY ENCLOSED BY text
	| ENCLOSED BY text
	| ESCAPED BY text
	;

line_opts:
	  line_opt
	| line_opts line_opt
	;

line_opt:
	  STARTING BY text
	| TERMINATED BY text
	;

table_refs:
	  table_ref
	| table_refs ',' table_ref	{ $$ = $1 + $3; }
	;

table_ref:
	  table_factor					{ $$ = 1; }
	| table_ref join_kind table_factor join_cond	{ $$ = $1 + 1; }
	| table_ref NATURAL opt_lr JOIN table_factor	{ $$ = $1 + 1; }
	;

join_kind:
	  JOIN | INNER JOIN | CROSS JOIN | STRAIGHT_JOIN
	| LEFT JOIN | LEFT OUTER JOIN | RIGHT JOIN | RIGHT OUTER JOIN
	;

opt_lr:
	  %empty | LEFT opt_outer | RIGHT opt_outer
	;

opt_outer:
	  %empty | OUTER
	;

join_cond:
	  %empty
	| ON expr
	| USING '(' ident_list ')'
	;

table_factor:
	  qname opt_table_alias opt_index_hints	{ myp_object(px, $1); }
	| '(' query_expr ')' opt_as ident	{ myp_flag(px, MYF_SUBQUERY); }
	;

opt_as:
	  %empty | AS
	;

opt_table_alias:
	  %empty
	| AS ident
	| IDENT
	| QIDENT
	;

opt_index_hints:
	  %empty
	| opt_index_hints index_hint
	;

index_hint:
	  USE INDEX '(' opt_ident_list ')'
	| USE KEY '(' opt_ident_list ')'
	| IGNORE INDEX '(' opt_ident_list ')'
	| IGNORE KEY '(' opt_ident_list ')'
	| FORCE INDEX '(' opt_ident_list ')'
	| FORCE KEY '(' opt_ident_list ')'
	;

opt_ident_list:
	  %empty
	| ident_list
	;

opt_where:
	  %empty
	| WHERE expr	{ myp_flag(px, MYF_WHERE); }
	;

opt_group:
	  %empty		{ $$ = 0; }
	| GROUP BY order_list	{ $$ = 1; }
	;

opt_having:
	  %empty
	| HAVING expr
	;

opt_window:
	  %empty
	| WINDOW window_defs
	;

window_defs:
	  ident AS '(' window_spec ')'
	| window_defs ',' ident AS '(' window_spec ')'
	;

opt_order:
	  %empty
	| ORDER BY order_list
	;

order_list:
	  order_item
	| order_list ',' order_item
	;

order_item:
	  expr opt_dir
	;

opt_dir:
	  %empty | ASC | DESC
	;

opt_limit:
	  %empty			{ $$ = 0; }
	| LIMIT limit_val		{ $$ = 1; }
	| LIMIT limit_val ',' limit_val	{ $$ = 1; }
	| LIMIT limit_val OFFSET limit_val { $$ = 1; }
	;

limit_val:
	  NUMBER | PARAM | IDENT
	;

opt_locking:
	  %empty
	| locking_clause
	;

locking_clause:
	  FOR UPDATE opt_wait		{ myp_flag(px, MYF_LOCKING); }
	| LOCK IN SHARE MODE opt_wait	{ myp_flag(px, MYF_LOCKING); }
	;

opt_wait:
	  %empty
	| NOWAIT
	| WAIT NUMBER
	| SKIP LOCKED
	;

/* ---------- expressions ---------- */

expr:
	  expr OR expr		{ $$ = $1 & $3 & MYE_CONST; }
	| expr OROR expr	{ $$ = $1 & $3 & MYE_CONST; }
	| expr XOR expr		{ $$ = $1 & $3 & MYE_CONST; }
	| expr AND expr		{ $$ = $1 & $3 & MYE_CONST; }
	| expr ANDAND expr	{ $$ = $1 & $3 & MYE_CONST; }
	| NOT expr		{ $$ = $2 & MYE_CONST; }
	| '!' expr		{ $$ = $2 & MYE_CONST; }
	| expr IS is_what	{ $$ = $1 & MYE_CONST; }
	| expr IS NOT is_what	{ $$ = $1 & MYE_CONST; }
	| expr compop expr %prec '='	{ $$ = $1 & $3 & MYE_CONST; }
	| expr compop any_all '(' query_expr ')' %prec '='	{ $$ = 0; myp_flag(px, MYF_SUBQUERY); }
	| expr IN '(' expr_list ')'		{ $$ = $1 & $4 & MYE_CONST; }
	| expr NOT IN '(' expr_list ')'		{ $$ = $1 & $5 & MYE_CONST; }
	| expr IN '(' query_expr ')'		{ $$ = 0; myp_flag(px, MYF_SUBQUERY); }
	| expr NOT IN '(' query_expr ')'	{ $$ = 0; myp_flag(px, MYF_SUBQUERY); }
	| expr BETWEEN expr AND expr %prec BETWEEN	{ $$ = $1 & $3 & $5 & MYE_CONST; }
	| expr NOT BETWEEN expr AND expr %prec BETWEEN	{ $$ = $1 & $4 & $6 & MYE_CONST; }
	| expr LIKE expr	{ $$ = $1 & $3 & MYE_CONST; }
	| expr LIKE expr ESCAPE STRING	{ $$ = $1 & $3 & MYE_CONST; }
	| expr NOT LIKE expr	{ $$ = $1 & $4 & MYE_CONST; }
	| expr REGEXP expr	{ $$ = $1 & $3 & MYE_CONST; }
	| expr NOT REGEXP expr	{ $$ = $1 & $4 & MYE_CONST; }
	| expr RLIKE expr	{ $$ = $1 & $3 & MYE_CONST; }
	| expr '|' expr		{ $$ = $1 & $3 & MYE_CONST; }
	| expr '&' expr		{ $$ = $1 & $3 & MYE_CONST; }
	| expr SHL expr		{ $$ = $1 & $3 & MYE_CONST; }
	| expr SHR expr		{ $$ = $1 & $3 & MYE_CONST; }
	| expr '+' expr		{ $$ = ($1 & $3 & MYE_CONST) | (($1 | $3) & MYE_AGG); }
	| expr '-' expr		{ $$ = ($1 & $3 & MYE_CONST) | (($1 | $3) & MYE_AGG); }
	| expr '*' expr		{ $$ = ($1 & $3 & MYE_CONST) | (($1 | $3) & MYE_AGG); }
	| expr '/' expr		{ $$ = ($1 & $3 & MYE_CONST) | (($1 | $3) & MYE_AGG); }
	| expr '%' expr		{ $$ = $1 & $3 & MYE_CONST; }
	| expr DIV expr		{ $$ = $1 & $3 & MYE_CONST; }
	| expr MOD expr		{ $$ = $1 & $3 & MYE_CONST; }
	| expr '^' expr		{ $$ = $1 & $3 & MYE_CONST; }
	| '-' expr %prec UMINUS	{ $$ = $2; }
	| '+' expr %prec UMINUS	{ $$ = $2; }
	| '~' expr		{ $$ = $2 & MYE_CONST; }
	| BINARY expr		{ $$ = $2; }
	| expr COLLATE any_word	{ $$ = $1; }
	| expr COLLATE text	{ $$ = $1; }
	| INTERVAL expr any_word	{ $$ = $2 & MYE_CONST; }
	| primary
	;

is_what:
	  NULL | TRUE | FALSE | UNKNOWN
	;

compop:
	  '=' | LE | GE | NE | EQ_NULLSAFE | '<' | '>'
	;

any_all:
	  ANY | ALL | SOME
	;

primary:
	  text			{ $$ = MYE_CONST; }
	| NUMBER		{ $$ = MYE_CONST; }
	| HEXNUM		{ $$ = MYE_CONST; }
	| BINNUM		{ $$ = MYE_CONST; }
	| NULL			{ $$ = MYE_CONST; }
	| TRUE			{ $$ = MYE_CONST; }
	| FALSE			{ $$ = MYE_CONST; }
	| PARAM			{ $$ = MYE_CONST; }
	| USERVAR		{ $$ = MYE_CONST; }
	| USERVAR SET_VAR expr	{ $$ = $3; myp_flag(px, MYF_USERVAR_SET); }
	| SYSVAR		{ $$ = MYE_CONST; myp_flag(px, MYF_SYSVAR_READ); }
	| col_ref_name		{ $$ = 0; myp_column(px, $1); }
	| '(' expr ')'		{ $$ = $2; }
	| '(' expr ',' expr_list ')'	{ $$ = $2 & $4 & MYE_CONST; }
	| '(' query_expr ')'	{ $$ = 0; myp_flag(px, MYF_SUBQUERY); }
	| EXISTS '(' query_expr ')'	{ $$ = 0; myp_flag(px, MYF_SUBQUERY); }
	| ROW '(' expr ',' expr_list ')'	{ $$ = $3 & $5 & MYE_CONST; }
	| CASE opt_case_operand when_list opt_else END	{ $$ = 0; }
	| CAST '(' expr AS cast_type ')'		{ $$ = $3; }
	| CONVERT '(' expr ',' cast_type ')'		{ $$ = $3; }
	| CONVERT '(' expr USING any_word ')'		{ $$ = $3; }
	| DEFAULT '(' col_ref_name ')'			{ $$ = 0; }
	| VALUES '(' col_ref_name ')'			{ $$ = 0; }
	| VALUE '(' col_ref_name ')'			{ $$ = 0; }
	| func_call
	/* Sequences (MariaDB's NEXTVAL_SYM ... table_ident): the argument is a sequence, not a column. */
	| NEXTVAL '(' qname ')'			{ $$ = 0; myp_sequence(px, $3, true); }
	| NEXT_VALUE_FOR qname			{ $$ = 0; myp_sequence(px, $2, true); }
	| SETVAL '(' qname ',' expr_list ')'	{ $$ = 0; myp_sequence(px, $3, true); }
	| LASTVAL '(' qname ')'			{ $$ = 0; myp_sequence(px, $3, false); }
	| PREVIOUS_VALUE_FOR qname		{ $$ = 0; myp_sequence(px, $2, false); }
	;

col_ref_name:
	  ident				{ $$ = $1; }
	| ident '.' ident		{ $$ = $3; }
	| ident '.' ident '.' ident	{ $$ = $5; }
	;

opt_case_operand:
	  %empty
	| expr
	;

when_list:
	  WHEN expr THEN expr
	| when_list WHEN expr THEN expr
	;

opt_else:
	  %empty
	| ELSE expr
	;

cast_type:
	  any_word opt_type_len opt_type_word
	| BINARY opt_type_len
	;

opt_type_len:
	  %empty
	| '(' NUMBER ')'
	| '(' NUMBER ',' NUMBER ')'
	;

opt_type_word:
	  %empty
	| IDENT
	| CHARACTER SET any_word
	;

/* A window function (OVER) returns a value per row, never one row for the query. */
func_call:
	  func_call_core			{ $$ = $1; }
	| func_call_core OVER window_ref	{ $$ = 0; }
	;

window_ref:
	  ident
	| '(' window_spec ')'
	;

window_spec:
	  opt_window_name opt_partition opt_order opt_frame
	;

opt_window_name:
	  %empty
	| IDENT
	;

opt_partition:
	  %empty
	| PARTITION BY expr_list
	;

opt_frame:
	  %empty
	| frame_units frame_bound
	| frame_units BETWEEN frame_bound AND frame_bound
	;

frame_units:
	  ROWS | RANGE
	;

frame_bound:
	  UNBOUNDED PRECEDING
	| UNBOUNDED FOLLOWING
	| CURRENT ROW
	| expr PRECEDING
	| expr FOLLOWING
	;

func_call_core:
	  func_name '(' opt_expr_list ')'
		{ myp_function(px, $1); $$ = myp_is_aggregate($1) ? MYE_AGG : ($3 & MYE_CONST); }
	| func_name '(' '*' ')'
		{ myp_function(px, $1); $$ = myp_is_aggregate($1) ? MYE_AGG : 0; }
	| func_name '(' DISTINCT expr_list opt_gc_tail ')'
		{ myp_function(px, $1); $$ = myp_is_aggregate($1) ? MYE_AGG : 0; }
	| func_name '(' ALL expr ')'
		{ myp_function(px, $1); $$ = myp_is_aggregate($1) ? MYE_AGG : 0; }
	| func_name '(' expr_list ORDER BY order_list opt_separator ')'
		{ myp_function(px, $1); $$ = myp_is_aggregate($1) ? MYE_AGG : 0; }
	| func_name '(' expr_list SEPARATOR text ')'
		{ myp_function(px, $1); $$ = myp_is_aggregate($1) ? MYE_AGG : 0; }
	| func_name '(' expr FROM expr ')'
		{ myp_function(px, $1); $$ = $3 & $5 & MYE_CONST; }
	| func_name '(' expr FROM expr FOR expr ')'
		{ myp_function(px, $1); $$ = $3 & $5 & $7 & MYE_CONST; }
	| ident '.' ident '(' opt_expr_list ')'
		{ myp_function(px, myp_cat3(px, $1, ".", $3)); $$ = 0; }
	;

opt_gc_tail:
	  %empty
	| ORDER BY order_list opt_separator
	| SEPARATOR text
	;

opt_separator:
	  %empty
	| SEPARATOR text
	;

func_name:
	  ident
	| kw_func
	;

kw_func:
	  IF | LEFT | RIGHT | INSERT | REPLACE | DATABASE | SCHEMA | MOD | CHARSET | REPEAT | CURRENT_USER | PASSWORD
	;

opt_expr_list:
	  %empty	{ $$ = MYE_CONST; }
	| expr_list
	;

expr_list:
	  expr
	| expr_list ',' expr	{ $$ = $1 & $3 & MYE_CONST; }
	;

/* A table value constructor on its own: constant rows, a read. */
values_stmt:
	  VALUES row_list opt_order opt_limit	{ myp_cmd(px, MYC_SELECT); }
	;

/* ANALYZE/CHECK/CHECKSUM/REPAIR TABLE: options after the names are accepted unjudged. */
table_admin_stmt:
	  ANALYZE flush_opts TABLE name_list admin_tail	{ myp_cmd(px, MYC_ANALYZE_TABLE); }
	| ANALYZE flush_opts TABLES name_list admin_tail	{ myp_cmd(px, MYC_ANALYZE_TABLE); }
	| CHECK TABLE name_list admin_tail			{ myp_cmd(px, MYC_CHECK_TABLE); }
	| CHECK TABLES name_list admin_tail			{ myp_cmd(px, MYC_CHECK_TABLE); }
	| CHECKSUM TABLE name_list admin_tail			{ myp_cmd(px, MYC_CHECKSUM_TABLE); }
	| CHECKSUM TABLES name_list admin_tail		{ myp_cmd(px, MYC_CHECKSUM_TABLE); }
	| REPAIR flush_opts TABLE name_list admin_tail	{ myp_cmd(px, MYC_REPAIR_TABLE); }
	| REPAIR flush_opts TABLES name_list admin_tail	{ myp_cmd(px, MYC_REPAIR_TABLE); }
	;

admin_tail:
	  %empty
	| soup_tok soup
	;

/* ---------- INSERT / REPLACE ---------- */

insert_stmt:
	  INSERT insert_opts opt_into qname opt_paren_idents insert_source opt_dup
		{ myp_object(px, $4); }
	| REPLACE insert_opts opt_into qname opt_paren_idents insert_source
		{ myp_object(px, $4); if (px->info->cmd == MYC_INSERT_SELECT) myp_cmd(px, MYC_REPLACE_SELECT); else myp_cmd(px, MYC_REPLACE); }
	;

insert_opts:
	  %empty
	| insert_opts insert_opt
	;

insert_opt:
	  LOW_PRIORITY | HIGH_PRIORITY | DELAYED | IGNORE
	;

opt_into:
	  %empty | INTO
	;

insert_source:
	  values_kw row_list		{ myp_cmd(px, MYC_INSERT); }
	| SET assign_list		{ myp_cmd(px, MYC_INSERT); }
	| query_expr			{ myp_cmd(px, MYC_INSERT_SELECT); }
	;

values_kw:
	  VALUES | VALUE
	;

row_list:
	  '(' opt_expr_list ')'
	| row_list ',' '(' opt_expr_list ')'
	;

opt_dup:
	  %empty
	| ON DUPLICATE KEY UPDATE assign_list	{ myp_flag(px, MYF_DUPLICATE); }
	;

assign_list:
	  assign
	| assign_list ',' assign
	;

assign:
	  col_ref_name '=' expr		{ myp_column(px, $1); }
	| col_ref_name '=' DEFAULT	{ myp_column(px, $1); }
	;

/* ---------- UPDATE / DELETE ---------- */

update_stmt:
	  UPDATE upd_opts table_refs SET assign_list opt_where opt_order opt_limit
		{ myp_cmd(px, $3 > 1 ? MYC_UPDATE_MULTI : MYC_UPDATE); }
	;

upd_opts:
	  %empty
	| upd_opts LOW_PRIORITY
	| upd_opts IGNORE
	;

delete_stmt:
	  DELETE del_opts FROM qname opt_table_alias opt_where opt_order opt_limit
		{ myp_object(px, $4); myp_cmd(px, MYC_DELETE); }
	| DELETE del_opts del_targets FROM table_refs opt_where
		{ myp_cmd(px, MYC_DELETE_MULTI); }
	| DELETE del_opts FROM del_targets USING table_refs opt_where
		{ myp_cmd(px, MYC_DELETE_MULTI); }
	;

del_opts:
	  %empty
	| del_opts LOW_PRIORITY
	| del_opts QUICK
	| del_opts IGNORE
	;

del_targets:
	  del_target
	| del_targets ',' del_target
	;

del_target:
	  ident				{ myp_object(px, $1); }
	| ident '.' ident		{ myp_object(px, myp_cat3(px, $1, ".", $3)); }
	| ident '.' '*'			{ myp_object(px, $1); }
	| ident '.' ident '.' '*'	{ myp_object(px, myp_cat3(px, $1, ".", $3)); }
	;

truncate_stmt:
	  TRUNCATE opt_table qname	{ myp_object(px, $3); myp_cmd(px, MYC_TRUNCATE); }
	;

opt_table:
	  %empty | TABLE
	;

load_stmt:
	  LOAD DATA opt_load_prio opt_local INFILE text opt_replace_ignore INTO TABLE qname load_tail
		{ myp_object(px, $10); myp_cmd(px, MYC_LOAD); }
	;

opt_load_prio:
	  %empty | LOW_PRIORITY | CONCURRENT
	;

opt_local:
	  %empty | LOCAL	{ myp_flag(px, MYF_LOCAL); }
	;

opt_replace_ignore:
	  %empty | REPLACE | IGNORE
	;

load_tail:
	  outfile_opts opt_ignore_lines opt_paren_idents opt_load_set
	;

opt_ignore_lines:
	  %empty
	| IGNORE NUMBER LINES
	| IGNORE NUMBER ROWS
	;

opt_load_set:
	  %empty
	| SET assign_list
	;

/* ---------- DDL ---------- */

create_stmt:
	  CREATE opt_or_replace opt_temporary TABLE opt_if_not_exists qname opt_table_def table_opts
		{ myp_object(px, $6); myp_cmd(px, MYC_CREATE_TABLE); }
	| CREATE opt_or_replace opt_temporary TABLE opt_if_not_exists qname opt_table_def table_opts opt_replace_ignore opt_as query_expr
		{ myp_object(px, $6); myp_cmd(px, MYC_CREATE_TABLE); }
	| CREATE opt_or_replace opt_temporary TABLE opt_if_not_exists qname LIKE qname
		{ myp_object(px, $6); myp_object(px, $8); myp_cmd(px, MYC_CREATE_TABLE); }
	| CREATE opt_or_replace view_opts VIEW opt_if_not_exists qname opt_paren_idents AS query_expr opt_check_option
		{ myp_object(px, $6); myp_cmd(px, MYC_CREATE_VIEW); }
	| CREATE opt_or_replace index_kind INDEX opt_if_not_exists ident ON qname soup
		{ myp_object(px, $8); myp_cmd(px, MYC_CREATE_INDEX); }
	| CREATE opt_or_replace db_kw opt_if_not_exists ident soup_opt
		{ myp_object(px, $5); myp_cmd(px, MYC_CREATE_DB); }
	| CREATE opt_or_replace opt_definer PROCEDURE opt_if_not_exists qname '(' soup_opt ')' routine_body
		{ myp_object(px, $6); myp_cmd(px, MYC_CREATE_PROCEDURE); }
	| CREATE opt_or_replace opt_definer opt_aggregate FUNCTION opt_if_not_exists qname '(' soup_opt ')' RETURNS routine_body
		{ myp_object(px, $7); myp_cmd(px, MYC_CREATE_FUNCTION); }
	| CREATE opt_or_replace opt_definer TRIGGER opt_if_not_exists qname trg_time trg_event ON qname FOR EACH ROW routine_body
		{ myp_object(px, $6); myp_object(px, $10); myp_cmd(px, MYC_CREATE_TRIGGER); }
	| CREATE opt_or_replace opt_definer EVENT opt_if_not_exists qname ON SCHEDULE routine_body
		{ myp_object(px, $6); myp_cmd(px, MYC_CREATE_EVENT); }
	| CREATE opt_or_replace opt_temporary SEQUENCE opt_if_not_exists qname soup
		{ myp_object(px, $6); myp_cmd(px, MYC_CREATE_SEQUENCE); }
	| CREATE opt_or_replace USER opt_if_not_exists user_list soup_opt	{ myp_cmd(px, MYC_CREATE_USER); }
	| CREATE opt_or_replace ROLE opt_if_not_exists user_list soup_opt	{ myp_cmd(px, MYC_CREATE_ROLE); }
	;

opt_or_replace:
	  %empty | OR REPLACE	{ myp_flag(px, MYF_OR_REPLACE); }
	;

opt_table_def:
	  %empty
	| '(' soup ')'
	;

/* Table options (ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 ...): never a query. */
table_opts:
	  %empty
	| table_opts table_opt_tok
	;

table_opt_tok:
	  IDENT | QIDENT | STRING | NUMBER | '=' | ',' | DEFAULT | CHARACTER | SET | CHARSET | COLLATE | DATA
	| INDEX | ENGINE | BINARY | INNODB | CHECKSUM | SEQUENCE
	;

opt_temporary:
	  %empty | TEMPORARY
	;

opt_if_not_exists:
	  %empty | IF NOT EXISTS
	;

opt_if_exists:
	  %empty | IF EXISTS	{ myp_flag(px, MYF_IF_EXISTS); }
	;

view_opts:
	  %empty
	| view_opts ALGORITHM '=' any_word
	| view_opts DEFINER '=' user_spec
	| view_opts SQL SECURITY any_word
	;

opt_check_option:
	  %empty
	| WITH CHECK OPTION
	| WITH any_word CHECK OPTION
	;

opt_definer:
	  %empty
	| DEFINER '=' user_spec
	;

opt_aggregate:
	  %empty | AGGREGATE
	;

index_kind:
	  %empty | UNIQUE | FULLTEXT | SPATIAL
	;

db_kw:
	  DATABASE | SCHEMA
	;

trg_time:
	  BEFORE | AFTER
	;

trg_event:
	  INSERT | UPDATE | DELETE
	;

/* Opaque: my_classify.c takes the body's extent from the token index. */
routine_body:
	  body_tok
	| routine_body body_tok
	;

body_tok:
	  soup_tok
	| '(' | ')' | ','
	;

/* Parenthesised definitions the classifier does not judge: balanced tokens, functions recorded. */
soup:
	  %empty
	| soup soup_item
	;

soup_opt:
	  soup
	;

soup_item:
	  soup_tok
	| '(' soup ')'
	| ','
	;

alter_stmt:
	  ALTER opt_ignore TABLE qname soup
		{ myp_object(px, $4); myp_cmd(px, MYC_ALTER_TABLE); }
	| ALTER view_opts VIEW qname opt_paren_idents AS query_expr opt_check_option
		{ myp_object(px, $4); myp_cmd(px, MYC_ALTER_VIEW); }
	| ALTER db_kw ident soup
		{ myp_object(px, $3); myp_cmd(px, MYC_ALTER_DB); }
	| ALTER USER opt_if_exists user_list soup	{ myp_cmd(px, MYC_ALTER_USER); }
	| ALTER SEQUENCE opt_if_exists qname soup	{ myp_object(px, $4); myp_cmd(px, MYC_ALTER_SEQUENCE); }
	;

opt_ignore:
	  %empty | IGNORE
	;

drop_stmt:
	  DROP opt_temporary TABLE opt_if_exists name_list opt_restrict	{ myp_cmd(px, MYC_DROP_TABLE); }
	| DROP VIEW opt_if_exists name_list opt_restrict		{ myp_cmd(px, MYC_DROP_VIEW); }
	| DROP opt_temporary SEQUENCE opt_if_exists name_list	{ myp_cmd(px, MYC_DROP_SEQUENCE); }
	| DROP INDEX opt_if_exists ident ON qname
		{ myp_object(px, $6); myp_cmd(px, MYC_DROP_INDEX); }
	| DROP db_kw opt_if_exists ident	{ myp_object(px, $4); myp_cmd(px, MYC_DROP_DB); }
	| DROP PROCEDURE opt_if_exists qname	{ myp_object(px, $4); myp_cmd(px, MYC_DROP_PROCEDURE); }
	| DROP FUNCTION opt_if_exists qname	{ myp_object(px, $4); myp_cmd(px, MYC_DROP_FUNCTION); }
	| DROP TRIGGER opt_if_exists qname	{ myp_object(px, $4); myp_cmd(px, MYC_DROP_TRIGGER); }
	| DROP EVENT opt_if_exists qname	{ myp_object(px, $4); myp_cmd(px, MYC_DROP_EVENT); }
	| DROP USER opt_if_exists user_list	{ myp_cmd(px, MYC_DROP_USER); }
	| DROP ROLE opt_if_exists user_list	{ myp_cmd(px, MYC_DROP_ROLE); }
	;

name_list:
	  qname			{ myp_object(px, $1); }
	| name_list ',' qname	{ myp_object(px, $3); }
	;

opt_restrict:
	  %empty | RESTRICT | CASCADE
	;

rename_stmt:
	  RENAME TABLE rename_list	{ myp_cmd(px, MYC_RENAME_TABLE); }
	| RENAME USER rename_user_list	{ myp_cmd(px, MYC_RENAME_USER); }
	;

rename_list:
	  qname TO qname			{ myp_object(px, $1); myp_object(px, $3); }
	| rename_list ',' qname TO qname	{ myp_object(px, $3); myp_object(px, $5); }
	;

rename_user_list:
	  user_spec TO user_spec
	| rename_user_list ',' user_spec TO user_spec
	;

/* ---------- routines, prepared statements ---------- */

call_stmt:
	  CALL qname				{ myp_object(px, $2); myp_cmd(px, MYC_CALL); }
	| CALL qname '(' opt_expr_list ')'	{ myp_object(px, $2); myp_cmd(px, MYC_CALL); }
	;

prepare_stmt:
	  PREPARE ident FROM text
		{ myp_name(px, $2); px->info->prep_text = sw_xstrdup($4); myp_cmd(px, MYC_PREPARE); }
	| PREPARE ident FROM USERVAR
		{ myp_name(px, $2); px->info->prep_from_var = true; px->info->prep_var = sw_xstrdup($4);
		  myp_cmd(px, MYC_PREPARE); }
	;

execute_stmt:
	  EXECUTE ident			{ myp_name(px, $2); myp_cmd(px, MYC_EXECUTE); }
	| EXECUTE ident USING expr_list	{ myp_name(px, $2); myp_cmd(px, MYC_EXECUTE); }
	;

deallocate_stmt:
	  DEALLOCATE PREPARE ident	{ myp_name(px, $3); myp_cmd(px, MYC_DEALLOCATE); }
	| DROP PREPARE ident		{ myp_name(px, $3); myp_cmd(px, MYC_DEALLOCATE); }
	;

/* ---------- SET ---------- */

set_stmt:
	  SET set_list					{ myp_cmd(px, MYC_SET); }
	| SET NAMES set_value opt_collate		{ myp_setting(px, "names", false); myp_cmd(px, MYC_SET); }
	| SET CHARACTER SET set_value			{ myp_setting(px, "character set", false); myp_cmd(px, MYC_SET); }
	| SET CHARSET set_value				{ myp_setting(px, "character set", false); myp_cmd(px, MYC_SET); }
	| SET ROLE any_word				{ myp_name(px, $3); myp_cmd(px, MYC_SET_ROLE); }
	| SET ROLE NONE				{ myp_name(px, "none"); myp_cmd(px, MYC_SET_ROLE); }
	| SET DEFAULT ROLE any_word opt_for_user	{ myp_cmd(px, MYC_SET_DEFAULT_ROLE); }
	| SET DEFAULT ROLE NONE opt_for_user		{ myp_cmd(px, MYC_SET_DEFAULT_ROLE); }
	| SET PASSWORD opt_for_user '=' expr		{ myp_cmd(px, MYC_SET_PASSWORD); }
	| SET opt_scope TRANSACTION txn_chars		{ myp_cmd(px, MYC_SET_TRANSACTION); }
	| SET PERSIST set_var_name '=' expr		{ myp_flag(px, MYF_GLOBAL_SET); myp_cmd(px, MYC_SET); }
	/* The statement after FOR runs with the settings: it is what the server executes (and nests). */
	| SET STATEMENT set_list set_stmt_for stmt	{ myp_flag(px, MYF_SET_STATEMENT); }
	;

set_stmt_for:
	  FOR	{ myp_inner_start(px); }
	;

opt_scope:
	  %empty
	| GLOBAL	{ myp_flag(px, MYF_GLOBAL_SET); }
	| SESSION
	| LOCAL
	;

set_var_name:
	  var_name	{ myp_setting(px, $1, true); }
	;

txn_chars:
	  txn_char
	| txn_chars ',' txn_char
	;

txn_char:
	  ISOLATION LEVEL iso_level
	| READ WRITE
	| READ ONLY
	;

iso_level:
	  READ COMMITTED | READ UNCOMMITTED | REPEATABLE READ | SERIALIZABLE
	;

opt_for_user:
	  %empty
	| FOR user_spec
	;

opt_collate:
	  %empty
	| COLLATE set_value
	;

set_value:
	  any_word | text | DEFAULT | BINARY
	;

set_list:
	  set_item
	| set_list ',' set_item
	;

set_item:
	  var_name set_eq expr		{ myp_setting(px, $1, false); }
	| var_name set_eq DEFAULT	{ myp_setting(px, $1, false); }
	| var_name set_eq ON		{ myp_setting(px, $1, false); }
	| var_name set_eq ALL		{ myp_setting(px, $1, false); }
	| var_name set_eq BINARY	{ myp_setting(px, $1, false); }
	| GLOBAL var_name set_eq expr	{ myp_setting(px, $2, true); myp_flag(px, MYF_GLOBAL_SET); }
	| GLOBAL var_name set_eq DEFAULT	{ myp_setting(px, $2, true); myp_flag(px, MYF_GLOBAL_SET); }
	| GLOBAL var_name set_eq ON	{ myp_setting(px, $2, true); myp_flag(px, MYF_GLOBAL_SET); }
	| SESSION var_name set_eq expr	{ myp_setting(px, $2, false); }
	| SESSION var_name set_eq DEFAULT	{ myp_setting(px, $2, false); }
	| SESSION var_name set_eq ON	{ myp_setting(px, $2, false); }
	| LOCAL var_name set_eq expr	{ myp_setting(px, $2, false); }
	| LOCAL var_name set_eq DEFAULT	{ myp_setting(px, $2, false); }
	| USERVAR set_eq expr		{ myp_setting(px, myp_cat3(px, "@", $1, ""), false); }
	| SYSVAR set_eq expr		{ myp_setting(px, myp_cat3(px, "@@", $1, ""), false); }
	| SYSVAR set_eq DEFAULT		{ myp_setting(px, myp_cat3(px, "@@", $1, ""), false); }
	| SYSVAR set_eq ON		{ myp_setting(px, myp_cat3(px, "@@", $1, ""), false); }
	;

set_eq:
	  '=' | SET_VAR
	;

var_name:
	  ident
	| ident '.' ident	{ $$ = myp_cat3(px, $1, ".", $3); }
	;

/* ---------- privileges ---------- */

grant_stmt:
	  GRANT soup_until_on ON grant_target TO user_list soup		{ myp_cmd(px, MYC_GRANT); }
	| GRANT soup_until_on TO user_list opt_with_admin		{ myp_cmd(px, MYC_GRANT_ROLE); }
	| REVOKE soup_until_on ON grant_target FROM user_list		{ myp_cmd(px, MYC_REVOKE); }
	| REVOKE soup_until_on FROM user_list				{ myp_cmd(px, MYC_REVOKE_ROLE); }
	;

opt_with_admin:
	  %empty
	| WITH ADMIN OPTION	{ myp_flag(px, MYF_WITH_ADMIN); }
	;

soup_until_on:
	  priv_item
	| soup_until_on ',' priv_item
	;

priv_item:
	  priv_words
	| priv_words '(' ident_list ')'
	;

priv_words:
	  priv_word
	| priv_words priv_word
	;

priv_word:
	  ident | SELECT | INSERT | UPDATE | DELETE | CREATE | DROP | ALTER | INDEX | ALL | GRANT
	| VIEW | SHOW | TRIGGER | LOCK | RELOAD | FILE | USAGE | PROCEDURE
	| FUNCTION | DATABASE | DATABASES | PROCESS | REFERENCES | SUPER | ROLE
	;

grant_target:
	  '*'
	| '*' '.' '*'
	| ident '.' '*'
	| qname
	| TABLE qname
	| PROCEDURE qname
	| FUNCTION qname
	;

user_list:
	  user_spec
	| user_list ',' user_spec
	;

user_spec:
	  any_word
	| text
	| any_word USERVAR	{ $$ = $1; }
	| text USERVAR		{ $$ = $1; }
	| CURRENT_USER	{ $$ = NULL; }
	| CURRENT_USER '(' ')'	{ $$ = NULL; }
	;

/* ---------- transactions ---------- */

txn_stmt:
	  BEGIN				{ myp_cmd(px, MYC_BEGIN); }
	| BEGIN WORK			{ myp_cmd(px, MYC_BEGIN); }
	| START TRANSACTION opt_start_opts	{ myp_cmd(px, MYC_BEGIN); }
	| COMMIT opt_work opt_chain	{ myp_cmd(px, MYC_COMMIT); }
	| ROLLBACK opt_work opt_chain	{ myp_cmd(px, MYC_ROLLBACK); }
	| ROLLBACK opt_work TO opt_savepoint ident	{ myp_name(px, $5); myp_cmd(px, MYC_ROLLBACK_TO); }
	| SAVEPOINT ident		{ myp_name(px, $2); myp_cmd(px, MYC_SAVEPOINT); }
	| RELEASE SAVEPOINT ident	{ myp_name(px, $3); myp_cmd(px, MYC_RELEASE); }
	;

opt_start_opts:
	  %empty
	| start_opt_list
	;

start_opt_list:
	  start_opt
	| start_opt_list ',' start_opt
	;

start_opt:
	  WITH CONSISTENT SNAPSHOT | READ ONLY | READ WRITE
	;

opt_work:
	  %empty | WORK
	;

opt_chain:
	  %empty
	| AND CHAIN
	| AND NO CHAIN
	| RELEASE
	| NO RELEASE
	;

opt_savepoint:
	  %empty | SAVEPOINT
	;

xa_stmt:
	  XA START xid opt_join_resume	{ myp_cmd(px, MYC_XA_START); }
	| XA BEGIN xid opt_join_resume	{ myp_cmd(px, MYC_XA_START); }
	| XA END xid opt_suspend	{ myp_cmd(px, MYC_XA_END); }
	| XA PREPARE xid		{ myp_cmd(px, MYC_XA_PREPARE); }
	| XA COMMIT xid opt_one_phase	{ myp_cmd(px, MYC_XA_COMMIT); }
	| XA ROLLBACK xid		{ myp_cmd(px, MYC_XA_ROLLBACK); }
	| XA RECOVER opt_format		{ myp_cmd(px, MYC_XA_RECOVER); }
	;

xid:
	  text
	| text ',' text
	| text ',' text ',' NUMBER
	| HEXNUM
	| HEXNUM ',' HEXNUM
	| HEXNUM ',' HEXNUM ',' NUMBER
	;

opt_join_resume:
	  %empty | IDENT
	;

opt_suspend:
	  %empty | IDENT | IDENT FOR IDENT
	;

opt_one_phase:
	  %empty | IDENT IDENT
	;

opt_format:
	  %empty | FORMAT '=' text
	;

/* ---------- LOCK, FLUSH, KILL, SHUTDOWN, plugins, HANDLER ---------- */

lock_stmt:
	  LOCK TABLES lock_list		{ myp_cmd(px, MYC_LOCK); }
	| LOCK TABLE lock_list		{ myp_cmd(px, MYC_LOCK); }
	| UNLOCK TABLES			{ myp_cmd(px, MYC_UNLOCK); }
	| UNLOCK TABLE			{ myp_cmd(px, MYC_UNLOCK); }
	;

lock_list:
	  lock_item
	| lock_list ',' lock_item
	;

lock_item:
	  qname opt_table_alias lock_mode	{ myp_object(px, $1); }
	;

lock_mode:
	  READ | READ LOCAL | WRITE | LOW_PRIORITY WRITE
	;

admin_stmt:
	  FLUSH flush_opts soup		{ myp_cmd(px, MYC_FLUSH); }
	| KILL kill_opts expr		{ myp_cmd(px, MYC_KILL); }
	| KILL kill_opts USER user_spec	{ myp_name(px, $4 ? $4 : "CURRENT_USER"); myp_flag(px, MYF_KILL_USER); myp_cmd(px, MYC_KILL); }
	| SHUTDOWN			{ myp_cmd(px, MYC_SHUTDOWN); }
	| SHUTDOWN WAIT FOR ALL IDENT	{ myp_cmd(px, MYC_SHUTDOWN); }
	| INSTALL PLUGIN ident SONAME text	{ myp_name(px, $5); myp_cmd(px, MYC_INSTALL); }
	| INSTALL SONAME text		{ myp_name(px, $3); myp_cmd(px, MYC_INSTALL); }
	| UNINSTALL PLUGIN ident	{ myp_name(px, $3); myp_cmd(px, MYC_UNINSTALL); }
	| UNINSTALL SONAME text		{ myp_name(px, $3); myp_cmd(px, MYC_UNINSTALL); }
	| OPTIMIZE flush_opts TABLE name_list opt_wait	{ myp_cmd(px, MYC_OPTIMIZE); }
	| OPTIMIZE flush_opts TABLES name_list opt_wait	{ myp_cmd(px, MYC_OPTIMIZE); }
	;

flush_opts:
	  %empty | LOCAL | NO_WRITE_TO_BINLOG
	;

kill_opts:
	  %empty
	| kill_opts HARD
	| kill_opts SOFT
	| kill_opts CONNECTION
	| kill_opts QUERY
	| kill_opts QUERY ID
	;

handler_stmt:
	  HANDLER qname OPEN opt_table_alias		{ myp_object(px, $2); myp_cmd(px, MYC_HA_OPEN); }
	| HANDLER qname CLOSE				{ myp_object(px, $2); myp_cmd(px, MYC_HA_CLOSE); }
	| HANDLER qname READ handler_read opt_where opt_limit	{ myp_object(px, $2); myp_cmd(px, MYC_HA_READ); }
	;

handler_read:
	  FIRST | NEXT | PREV | LAST
	| ident FIRST | ident NEXT | ident PREV | ident LAST
	| ident compop '(' expr_list ')'
	;

/* ---------- SHOW, DESCRIBE, EXPLAIN, USE, DO ---------- */

show_stmt:
	  SHOW show_words		{ myp_name(px, $2); myp_cmd(px, MYC_SHOW); }
	| SHOW show_words LIKE text	{ myp_name(px, $2); myp_cmd(px, MYC_SHOW); }
	| SHOW show_words WHERE expr	{ myp_name(px, $2); myp_cmd(px, MYC_SHOW); }
	| SHOW show_words FROM qname	{ myp_name(px, $2); myp_object(px, $4); myp_cmd(px, MYC_SHOW); }
	| SHOW show_words IN qname	{ myp_name(px, $2); myp_object(px, $4); myp_cmd(px, MYC_SHOW); }
	| SHOW show_words FROM qname FROM ident	{ myp_name(px, $2); myp_object(px, myp_cat3(px, $6, ".", $4)); myp_cmd(px, MYC_SHOW); }
	| SHOW show_words FROM qname LIKE text	{ myp_name(px, $2); myp_object(px, $4); myp_cmd(px, MYC_SHOW); }
	| SHOW show_words FOR user_spec
		{ /* FOR CURRENT_USER names the session's own account, as SHOW GRANTS alone does */
		  myp_name(px, $4 ? myp_cat3(px, $2, " ", "for") : $2); myp_cmd(px, MYC_SHOW); }
	| SHOW EXPLAIN opt_format_eq FOR expr	{ myp_name(px, "explain for"); myp_cmd(px, MYC_SHOW); }
	| SHOW ANALYZE opt_format_eq FOR expr	{ myp_name(px, "analyze for"); myp_cmd(px, MYC_SHOW); }
	| SHOW CREATE show_create_kind qname	{ myp_object(px, $4); myp_name(px, myp_cat3(px, "create", " ", $3)); myp_cmd(px, MYC_SHOW); }
	| SHOW CREATE USER user_spec	{ myp_name(px, "create user"); myp_cmd(px, MYC_SHOW); }
	;

show_create_kind:
	  TABLE | VIEW | DATABASE | SCHEMA | PROCEDURE | FUNCTION | TRIGGER | EVENT | SEQUENCE
	;

opt_format_eq:
	  %empty
	| FORMAT '=' any_word
	;

show_words:
	  show_word
	| show_words show_word		{ $$ = myp_cat3(px, $1, " ", $2); }
	;

show_word:
	  IDENT | TABLES | COLUMNS | FIELDS | INDEX | KEY | DATABASE | DATABASES | SCHEMA | SESSION | GLOBAL
	| FULL | EXTENDED | OPEN | TABLE | TRIGGER | EVENT | PROCEDURE | FUNCTION | PLUGIN | PRIVILEGES
	| ENGINE | INNODB | USER | BINARY | CHARACTER SET	{ $$ = myp_str(px, "character set"); }
	;

describe_stmt:
	  DESCRIBE qname opt_col	{ myp_object(px, $2); myp_cmd(px, MYC_DESCRIBE); }
	| DESC qname opt_col		{ myp_object(px, $2); myp_cmd(px, MYC_DESCRIBE); }
	| EXPLAIN qname opt_col		{ myp_object(px, $2); myp_cmd(px, MYC_DESCRIBE); }
	;

opt_col:
	  %empty | ident | text
	;

explain_stmt:
	  explain_kw explain_opts explainable	{ myp_flag(px, MYF_EXPLAIN); }
	| ANALYZE explain_opts explainable	{ myp_flag(px, MYF_ANALYZE); }
	| explain_kw ANALYZE explain_opts explainable	{ myp_flag(px, MYF_ANALYZE); }
	| explain_kw opt_format_eq FOR CONNECTION expr	{ myp_name(px, "explain for"); myp_cmd(px, MYC_SHOW); }
	| ANALYZE opt_format_eq FOR CONNECTION expr	{ myp_name(px, "analyze for"); myp_cmd(px, MYC_SHOW); }
	;

explain_kw:
	  EXPLAIN | DESCRIBE | DESC
	;

explain_opts:
	  %empty
	| EXTENDED
	| FORMAT '=' any_word
	;

explainable:
	  select_stmt | insert_stmt | update_stmt | delete_stmt
	;

use_stmt:
	  USE ident	{ myp_name(px, $2); myp_object(px, $2); myp_cmd(px, MYC_USE); }
	;

do_stmt:
	  DO expr_list	{ myp_cmd(px, MYC_DO); }
	;

/* Tokens a soup or a routine body may hold (not parentheses or commas). */
soup_tok:
	  IDENT | QIDENT | STRING | NUMBER | HEXNUM | BINNUM | USERVAR | SYSVAR | PARAM
	| LE | GE | NE | EQ_NULLSAFE | SET_VAR | OROR | ANDAND | SHL | SHR
	| '=' | '<' | '>' | '+' | '-' | '*' | '/' | '%' | '^' | '&' | '|' | '~' | '!' | '.' | ':' | '@' | '{' | '}'
	| SELECT	{ myp_flag(px, MYF_SOUP_SELECT); }
	| FROM | WHERE | GROUP | BY | HAVING | ORDER | LIMIT | OFFSET | UNION | EXCEPT | INTERSECT | ALL
	| DISTINCT | DISTINCTROW | AS | ON | USING | JOIN | INNER | CROSS | LEFT | RIGHT | OUTER | NATURAL
	| STRAIGHT_JOIN | FOR | UPDATE | LOCK | IN | SHARE | MODE | INTO | OUTFILE | DUMPFILE | WITH | RECURSIVE
	| AND | OR | XOR | NOT | IS | NULL | TRUE | FALSE | UNKNOWN | LIKE | REGEXP | RLIKE
	| BETWEEN | EXISTS | CASE | WHEN | THEN | ELSE | END | CAST | CONVERT | INTERVAL | DIV | MOD
	| BINARY | COLLATE | ASC | DESC | ESCAPE | ANY | SOME | INSERT | REPLACE | VALUES | VALUE | SET
	| DUPLICATE | KEY | IGNORE | LOW_PRIORITY | HIGH_PRIORITY | DELAYED | QUICK | DELETE | TRUNCATE | TABLE | LOAD | DATA
	| LOCAL | INFILE | FIELDS | COLUMNS | LINES | TERMINATED | ENCLOSED | ESCAPED | OPTIONALLY | STARTING | CHARACTER | CHARSET
	| CREATE | ALTER | DROP | RENAME | TO | VIEW | INDEX | DATABASE | SCHEMA | IF | TEMPORARY | PROCEDURE
	| FUNCTION | TRIGGER | EVENT | UNIQUE | FULLTEXT | SPATIAL | CALL | PREPARE | EXECUTE | DEALLOCATE | GLOBAL | SESSION
	| NAMES | ROLE | DEFAULT | PASSWORD | TRANSACTION | GRANT | REVOKE | USER | IDENTIFIED | OPTION | ADMIN | PRIVILEGES
	| BEGIN | WORK | START | COMMIT | ROLLBACK | SAVEPOINT | RELEASE | XA | CHAIN | NO | TABLES | UNLOCK
	| FLUSH | KILL | QUERY | CONNECTION | SHUTDOWN | INSTALL | UNINSTALL | PLUGIN | SONAME | HANDLER | OPEN | READ
	| CLOSE | FIRST | NEXT | PREV | LAST | SHOW | DESCRIBE | EXPLAIN | ANALYZE | FORMAT | USE | DO
	| PERSIST | DEFINER | ROW | EACH | BEFORE | AFTER | SCHEDULE | NOWAIT | WAIT | SKIP | LOCKED | EXTENDED
	| FULL | WRITE | ISOLATION | LEVEL | COMMITTED | UNCOMMITTED | REPEATABLE | SERIALIZABLE | ONLY | CONSISTENT | SNAPSHOT | RECOVER
	| SEPARATOR | CONCURRENT | ROWS | RETURNS | ALGORITHM | SQL | SECURITY | CHECK | AGGREGATE | RESTRICT | CASCADE | NONE
	| RELOAD | FILE | USAGE | DATABASES | PROCESS | REFERENCES | SUPER | CURRENT_USER | NO_WRITE_TO_BINLOG | HARD | SOFT | ENGINE
	| INNODB | FORCE | REPEAT | OPTIMIZE | STATEMENT | SEQUENCE | ID
	| NEXTVAL | LASTVAL | SETVAL | NEXT_VALUE_FOR | PREVIOUS_VALUE_FOR
	| OVER | PARTITION | RANGE | UNBOUNDED | PRECEDING | FOLLOWING | CURRENT | WINDOW | CHECKSUM | REPAIR
	;

%%

/* Keywords: a word spelled like one of these (any case) is that keyword, except right after '.'. */
static const struct {
	const char *word;
	int tok;
} kw_table[] = {
	{ "ADMIN", TK_ADMIN },
	{ "AFTER", TK_AFTER },
	{ "AGGREGATE", TK_AGGREGATE },
	{ "ALGORITHM", TK_ALGORITHM },
	{ "ALL", TK_ALL },
	{ "ALTER", TK_ALTER },
	{ "ANALYZE", TK_ANALYZE },
	{ "AND", TK_AND },
	{ "ANY", TK_ANY },
	{ "AS", TK_AS },
	{ "ASC", TK_ASC },
	{ "BEFORE", TK_BEFORE },
	{ "BEGIN", TK_BEGIN },
	{ "BETWEEN", TK_BETWEEN },
	{ "BINARY", TK_BINARY },
	{ "BY", TK_BY },
	{ "CALL", TK_CALL },
	{ "CASCADE", TK_CASCADE },
	{ "CASE", TK_CASE },
	{ "CAST", TK_CAST },
	{ "CHAIN", TK_CHAIN },
	{ "CHARACTER", TK_CHARACTER },
	{ "CHARSET", TK_CHARSET },
	{ "CHECK", TK_CHECK },
	{ "CHECKSUM", TK_CHECKSUM },
	{ "CLOSE", TK_CLOSE },
	{ "COLLATE", TK_COLLATE },
	{ "COLUMNS", TK_COLUMNS },
	{ "COMMIT", TK_COMMIT },
	{ "COMMITTED", TK_COMMITTED },
	{ "CONCURRENT", TK_CONCURRENT },
	{ "CONNECTION", TK_CONNECTION },
	{ "CONSISTENT", TK_CONSISTENT },
	{ "CONVERT", TK_CONVERT },
	{ "CREATE", TK_CREATE },
	{ "CROSS", TK_CROSS },
	{ "CURRENT", TK_CURRENT },
	{ "CURRENT_USER", TK_CURRENT_USER },
	{ "DATA", TK_DATA },
	{ "DATABASE", TK_DATABASE },
	{ "DATABASES", TK_DATABASES },
	{ "DEALLOCATE", TK_DEALLOCATE },
	{ "DEFAULT", TK_DEFAULT },
	{ "DEFINER", TK_DEFINER },
	{ "DELAYED", TK_DELAYED },
	{ "DELETE", TK_DELETE },
	{ "DESC", TK_DESC },
	{ "DESCRIBE", TK_DESCRIBE },
	{ "DISTINCT", TK_DISTINCT },
	{ "DISTINCTROW", TK_DISTINCTROW },
	{ "DIV", TK_DIV },
	{ "DO", TK_DO },
	{ "DROP", TK_DROP },
	{ "DUMPFILE", TK_DUMPFILE },
	{ "DUPLICATE", TK_DUPLICATE },
	{ "EACH", TK_EACH },
	{ "ELSE", TK_ELSE },
	{ "ENCLOSED", TK_ENCLOSED },
	{ "END", TK_END },
	{ "ENGINE", TK_ENGINE },
	{ "ESCAPE", TK_ESCAPE },
	{ "ESCAPED", TK_ESCAPED },
	{ "EVENT", TK_EVENT },
	{ "EXCEPT", TK_EXCEPT },
	{ "EXECUTE", TK_EXECUTE },
	{ "EXISTS", TK_EXISTS },
	{ "EXPLAIN", TK_EXPLAIN },
	{ "EXTENDED", TK_EXTENDED },
	{ "FALSE", TK_FALSE },
	{ "FIELDS", TK_FIELDS },
	{ "FILE", TK_FILE },
	{ "FIRST", TK_FIRST },
	{ "FLUSH", TK_FLUSH },
	{ "FOLLOWING", TK_FOLLOWING },
	{ "FOR", TK_FOR },
	{ "FORCE", TK_FORCE },
	{ "FORMAT", TK_FORMAT },
	{ "FROM", TK_FROM },
	{ "FULL", TK_FULL },
	{ "FULLTEXT", TK_FULLTEXT },
	{ "FUNCTION", TK_FUNCTION },
	{ "GLOBAL", TK_GLOBAL },
	{ "GRANT", TK_GRANT },
	{ "GROUP", TK_GROUP },
	{ "HANDLER", TK_HANDLER },
	{ "HARD", TK_HARD },
	{ "HAVING", TK_HAVING },
	{ "HIGH_PRIORITY", TK_HIGH_PRIORITY },
	{ "IDENTIFIED", TK_IDENTIFIED },
	{ "IF", TK_IF },
	{ "IGNORE", TK_IGNORE },
	{ "IN", TK_IN },
	{ "INDEX", TK_INDEX },
	{ "INFILE", TK_INFILE },
	{ "INNER", TK_INNER },
	{ "INNODB", TK_INNODB },
	{ "INSERT", TK_INSERT },
	{ "INSTALL", TK_INSTALL },
	{ "INTERSECT", TK_INTERSECT },
	{ "INTERVAL", TK_INTERVAL },
	{ "INTO", TK_INTO },
	{ "IS", TK_IS },
	{ "ISOLATION", TK_ISOLATION },
	{ "JOIN", TK_JOIN },
	{ "KEY", TK_KEY },
	{ "KILL", TK_KILL },
	{ "LAST", TK_LAST },
	{ "LEFT", TK_LEFT },
	{ "LEVEL", TK_LEVEL },
	{ "LIKE", TK_LIKE },
	{ "LIMIT", TK_LIMIT },
	{ "LINES", TK_LINES },
	{ "LOAD", TK_LOAD },
	{ "LOCAL", TK_LOCAL },
	{ "LOCK", TK_LOCK },
	{ "LOCKED", TK_LOCKED },
	{ "LOW_PRIORITY", TK_LOW_PRIORITY },
	{ "MOD", TK_MOD },
	{ "MODE", TK_MODE },
	{ "NAMES", TK_NAMES },
	{ "NATURAL", TK_NATURAL },
	{ "NEXT", TK_NEXT },
	{ "NO", TK_NO },
	{ "NONE", TK_NONE },
	{ "NOT", TK_NOT },
	{ "NOWAIT", TK_NOWAIT },
	{ "NO_WRITE_TO_BINLOG", TK_NO_WRITE_TO_BINLOG },
	{ "NULL", TK_NULL },
	{ "OFFSET", TK_OFFSET },
	{ "ON", TK_ON },
	{ "ONLY", TK_ONLY },
	{ "OPEN", TK_OPEN },
	{ "OPTIMIZE", TK_OPTIMIZE },
	{ "OPTION", TK_OPTION },
	{ "OPTIONALLY", TK_OPTIONALLY },
	{ "OR", TK_OR },
	{ "ORDER", TK_ORDER },
	{ "OUTER", TK_OUTER },
	{ "OUTFILE", TK_OUTFILE },
	{ "OVER", TK_OVER },
	{ "PARTITION", TK_PARTITION },
	{ "PASSWORD", TK_PASSWORD },
	{ "PERSIST", TK_PERSIST },
	{ "PLUGIN", TK_PLUGIN },
	{ "PRECEDING", TK_PRECEDING },
	{ "PREPARE", TK_PREPARE },
	{ "PREV", TK_PREV },
	{ "PRIVILEGES", TK_PRIVILEGES },
	{ "PROCEDURE", TK_PROCEDURE },
	{ "PROCESS", TK_PROCESS },
	{ "QUERY", TK_QUERY },
	{ "QUICK", TK_QUICK },
	{ "RANGE", TK_RANGE },
	{ "READ", TK_READ },
	{ "RECOVER", TK_RECOVER },
	{ "RECURSIVE", TK_RECURSIVE },
	{ "REFERENCES", TK_REFERENCES },
	{ "REGEXP", TK_REGEXP },
	{ "RELEASE", TK_RELEASE },
	{ "RELOAD", TK_RELOAD },
	{ "RENAME", TK_RENAME },
	{ "REPAIR", TK_REPAIR },
	{ "REPEAT", TK_REPEAT },
	{ "REPEATABLE", TK_REPEATABLE },
	{ "REPLACE", TK_REPLACE },
	{ "RESTRICT", TK_RESTRICT },
	{ "RETURNS", TK_RETURNS },
	{ "REVOKE", TK_REVOKE },
	{ "RIGHT", TK_RIGHT },
	{ "RLIKE", TK_RLIKE },
	{ "ROLE", TK_ROLE },
	{ "ROLLBACK", TK_ROLLBACK },
	{ "ROW", TK_ROW },
	{ "ROWS", TK_ROWS },
	{ "SAVEPOINT", TK_SAVEPOINT },
	{ "SCHEDULE", TK_SCHEDULE },
	{ "SCHEMA", TK_SCHEMA },
	{ "SECURITY", TK_SECURITY },
	{ "SELECT", TK_SELECT },
	{ "SEPARATOR", TK_SEPARATOR },
	{ "SEQUENCE", TK_SEQUENCE },
	{ "SERIALIZABLE", TK_SERIALIZABLE },
	{ "SESSION", TK_SESSION },
	{ "SET", TK_SET },
	{ "SHARE", TK_SHARE },
	{ "SHOW", TK_SHOW },
	{ "SHUTDOWN", TK_SHUTDOWN },
	{ "SKIP", TK_SKIP },
	{ "SNAPSHOT", TK_SNAPSHOT },
	{ "SOFT", TK_SOFT },
	{ "SOME", TK_SOME },
	{ "SONAME", TK_SONAME },
	{ "SPATIAL", TK_SPATIAL },
	{ "SQL", TK_SQL },
	{ "START", TK_START },
	{ "STARTING", TK_STARTING },
	{ "STATEMENT", TK_STATEMENT },
	{ "STRAIGHT_JOIN", TK_STRAIGHT_JOIN },
	{ "SUPER", TK_SUPER },
	{ "TABLE", TK_TABLE },
	{ "TABLES", TK_TABLES },
	{ "TEMPORARY", TK_TEMPORARY },
	{ "TERMINATED", TK_TERMINATED },
	{ "THEN", TK_THEN },
	{ "TO", TK_TO },
	{ "TRANSACTION", TK_TRANSACTION },
	{ "TRIGGER", TK_TRIGGER },
	{ "TRUE", TK_TRUE },
	{ "TRUNCATE", TK_TRUNCATE },
	{ "UNBOUNDED", TK_UNBOUNDED },
	{ "UNCOMMITTED", TK_UNCOMMITTED },
	{ "UNINSTALL", TK_UNINSTALL },
	{ "UNION", TK_UNION },
	{ "UNIQUE", TK_UNIQUE },
	{ "UNKNOWN", TK_UNKNOWN },
	{ "UNLOCK", TK_UNLOCK },
	{ "UPDATE", TK_UPDATE },
	{ "USAGE", TK_USAGE },
	{ "USE", TK_USE },
	{ "USER", TK_USER },
	{ "USING", TK_USING },
	{ "VALUE", TK_VALUE },
	{ "VALUES", TK_VALUES },
	{ "VIEW", TK_VIEW },
	{ "WAIT", TK_WAIT },
	{ "WHEN", TK_WHEN },
	{ "WHERE", TK_WHERE },
	{ "WINDOW", TK_WINDOW },
	{ "WITH", TK_WITH },
	{ "WORK", TK_WORK },
	{ "WRITE", TK_WRITE },
	{ "XA", TK_XA },
	{ "XOR", TK_XOR }
};

static int keyword(const char *w)
{
	for (size_t i = 0; i < sizeof(kw_table) / sizeof(kw_table[0]); i++)
		if (strcasecmp(kw_table[i].word, w) == 0)
			return kw_table[i].tok;
	return 0;
}

/* Character set introducers (_utf8mb4'..'): the literal is what counts. */
static bool charset_introducer(const char *w)
{
	static const char *const cs[] = { "_utf8mb4", "_utf8mb3", "_utf8", "_latin1", "_binary", "_ascii", "_ucs2",
					  "_utf16", "_utf16le", "_utf32", "_latin2", "_cp1251", "_cp1250", "_koi8r" };
	for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++)
		if (strcasecmp(cs[i], w) == 0)
			return true;
	return false;
}

static int op_token(const char *v)
{
	static const struct { const char *op; int tok; } ops[] = {
		{ "<=>", TK_EQ_NULLSAFE }, { "<=", TK_LE }, { ">=", TK_GE }, { "<>", TK_NE }, { "!=", TK_NE },
		{ ":=", TK_SET_VAR }, { "||", TK_OROR }, { "&&", TK_ANDAND }, { "<<", TK_SHL }, { ">>", TK_SHR },
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i].op, v) == 0)
			return ops[i].tok;
	return (unsigned char)v[0];
}

static bool word_at(const struct my_pctx *px, size_t i, const char *w)
{
	return i < px->end && px->lx->t[i].kind == MY_T_WORD && strcasecmp(px->lx->t[i].value, w) == 0;
}

/*
 * Words that are keywords only in context, as the server's grammar reads them: NEXTVAL, LASTVAL,
 * SETVAL before '(' (their argument is a sequence), NEXT/PREVIOUS VALUE FOR (one token here), and
 * KILL ... QUERY ID. t is the token just handed out (px->i is past it). 0: not in context.
 */
static int contextual(struct my_pctx *px, const struct my_token *t)
{
	size_t at = px->i - 1;
	bool paren = px->i < px->end && px->lx->t[px->i].kind == MY_T_OP && strcmp(px->lx->t[px->i].value, "(") == 0;

	if (paren && strcasecmp(t->value, "nextval") == 0)
		return TK_NEXTVAL;
	if (paren && strcasecmp(t->value, "lastval") == 0)
		return TK_LASTVAL;
	if (paren && strcasecmp(t->value, "setval") == 0)
		return TK_SETVAL;
	if ((strcasecmp(t->value, "next") == 0 || strcasecmp(t->value, "previous") == 0) &&
	    word_at(px, px->i, "value") && word_at(px, px->i + 1, "for")) {
		int tok = strcasecmp(t->value, "next") == 0 ? TK_NEXT_VALUE_FOR : TK_PREVIOUS_VALUE_FOR;
		px->i += 2;
		px->last = px->i - 1;
		return tok;
	}
	if (strcasecmp(t->value, "id") == 0 && at > px->start && word_at(px, at - 1, "query") &&
	    word_at(px, px->start, "kill"))
		return TK_ID;
	return 0;
}

static int my_yylex(MY_YYSTYPE *lval, struct my_pctx *px)
{
	for (;;) {
		const struct my_token *t;
		bool after_dot;

		if (px->i >= px->end)
			return 0;
		t = &px->lx->t[px->i];
		after_dot = px->i > 0 && px->lx->t[px->i - 1].kind == MY_T_OP &&
			    strcmp(px->lx->t[px->i - 1].value, ".") == 0;
		px->last = px->i++;
		lval->s = myp_str(px, t->value);
		switch (t->kind) {
		case MY_T_WORD: {
			int kw = after_dot ? 0 : contextual(px, t);
			if (kw)
				return kw;
			if (!after_dot && t->value[0] == '_' && px->i < px->end &&
			    (px->lx->t[px->i].kind == MY_T_STRING || px->lx->t[px->i].kind == MY_T_HEX ||
			     px->lx->t[px->i].kind == MY_T_BIN) && charset_introducer(t->value))
				continue;
			kw = after_dot ? 0 : keyword(t->value);
			return kw ? kw : TK_IDENT;
		}
		case MY_T_QIDENT:
			return TK_QIDENT;
		case MY_T_STRING:
			if (t->vlen != strlen(t->value)) {
				my_yyerror(px, "a string literal holds a NUL byte");
				return TK_MY_YYUNDEF;
			}
			return TK_STRING;
		case MY_T_HEX:
			return TK_HEXNUM;
		case MY_T_BIN:
			return TK_BINNUM;
		case MY_T_NUMBER:
			return TK_NUMBER;
		case MY_T_USERVAR:
			return TK_USERVAR;
		case MY_T_SYSVAR:
			return TK_SYSVAR;
		case MY_T_PARAM:
			return TK_PARAM;
		case MY_T_OP:
			return op_token(t->value);
		case MY_T_SEMI:
			return ';';
		}
		return TK_MY_YYUNDEF;
	}
}

static void my_yyerror(struct my_pctx *px, const char *msg)
{
	const struct my_token *t = px->last < px->lx->n ? &px->lx->t[px->last] : NULL;

	if (px->error)
		return;
	if (px->i >= px->end && px->last + 1 >= px->end)
		px->error = sw_xasprintf("%s at the end of the statement", msg);
	else
		px->error = sw_xasprintf("%s near \"%.40s\"", msg, t ? t->value : "");
	px->err_line = t ? t->line : 1;
	px->err_col = t ? t->col : 1;
}

