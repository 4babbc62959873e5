/*
 * Where the execution checkpoint (ExecutorStart, ProcessUtility) reads what a
 * backend is about to run: QueryDesc and PlannedStmt offsets and the
 * PlannedStmt node tag. They differ by major version, so they are derived
 * from the binary's own machine code (CreateQueryDesc copies commandType,
 * plannedstmt and sourceText into a QueryDesc; pg_plan_queries builds a
 * utility PlannedStmt field by field) and must equal the offsets sqlward
 * verified for that major. Anything else: the checkpoint is not attached.
 */
#ifndef SQLWARD_PG_EXEC_LAYOUT_H
#define SQLWARD_PG_EXEC_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sw_pg_exec_layout {
	int major;
	uint32_t qd_plannedstmt, qd_source_text;     /* QueryDesc (operation is at 0) */
	uint32_t ps_tag;                              /* T_PlannedStmt */
	uint32_t ps_command_type, ps_can_set_tag, ps_utility_stmt, ps_stmt_location, ps_stmt_len;
	uint32_t pu_context_arg;                      /* ProcessUtility's context argument (1-based) */
	uint32_t portal_source_text;                  /* offsetof(PortalData, sourceText) */
	uint32_t cmd_utility;                         /* CmdType CMD_UTILITY (5 before 15, which added CMD_MERGE) */
};

/* Read len bytes at ELF vaddr (the constant pg_plan_queries loads). */
typedef bool (*sw_pg_read_fn)(void *ctx, uint64_t vaddr, void *buf, size_t len);

/* CreateQueryDesc's code: offsets of plannedstmt and sourceText in QueryDesc, of commandType in PlannedStmt. */
bool sw_pg_decode_create_query_desc(const unsigned char *code, size_t n, uint32_t *qd_plannedstmt,
				    uint32_t *qd_source_text, uint32_t *ps_command_type);
/* pg_plan_queries' code at vaddr: the PlannedStmt tag and field offsets (ps_* of out). */
bool sw_pg_decode_plan_queries(const unsigned char *code, size_t n, uint64_t vaddr, sw_pg_read_fn read, void *ctx,
			       struct sw_pg_exec_layout *out);
/* PortalDefineQuery's code: where it stores sourceText (its third argument) in the portal. */
bool sw_pg_decode_portal_define(const unsigned char *code, size_t n, uint32_t *source_text);
/* The verified table entry for a major, or NULL. */
const struct sw_pg_exec_layout *sw_pg_exec_layout_known(int major);
/* Do the derived offsets equal the verified ones? If not, why (for status and the log). */
bool sw_pg_exec_layout_check(int major, const struct sw_pg_exec_layout *derived, char *why, size_t len);

#endif
