/*
 * Fastpath function calls (protocol message 'F', libpq PQfn). The server
 * handles them in HandleFunctionRequest() (src/backend/tcop/fastpath.c):
 * the function named by OID runs directly, the SQL parser never sees it.
 * sqlward reads the message body from the held backend, decodes it here
 * exactly as the server's protocol-3.0 path does, and turns it into the
 * statement an approver and the policy see: a synthetic
 * SELECT pg_catalog.NAME($1, ...) classified by the SQL classifier.
 */
#ifndef SQLWARD_PG_FASTPATH_H
#define SQLWARD_PG_FASTPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "statement.h"

#define SW_FASTPATH_MAX_ARGS 100   /* FUNC_MAX_ARGS: the server refuses more */

struct sw_fastpath_arg {
	bool isnull;
	int16_t format;              /* 0 text, 1 binary */
	const unsigned char *data;   /* points into the body; NULL when isnull */
	uint32_t len;                /* bytes at data */
};

struct sw_fastpath_call {
	uint32_t fn_oid;
	int nargs;
	struct sw_fastpath_arg args[SW_FASTPATH_MAX_ARGS];
	int16_t result_format;       /* 0 text, 1 binary */
};

/*
 * Decode a fastpath message body (after the type byte and length word):
 * int32 function OID; int16 count of argument format codes and the codes;
 * int16 number of arguments; per argument int32 length (-1 = NULL) and the
 * bytes; int16 result format. Checks everything the server checks before
 * the function runs, and reads nothing outside body[0..len). Returns false
 * with a message in err when the server would reject the message.
 */
bool sw_pg_fastpath_decode(const unsigned char *body, size_t len, struct sw_fastpath_call *call,
			   char *err, size_t errlen);

/*
 * The statement for one fastpath call to a server of PostgreSQL major
 * `major` (function OIDs differ between majors): the synthetic SQL text
 * (SELECT pg_catalog.lo_open($1, $2); for an OID that is not a built-in
 * function of that major, or a major without a function table,
 * SELECT "fastpath function OID 16391"($1), an unknown function)
 * analysed by sw_pg_analyze(), with trait fastpath, command "FUNCTION CALL",
 * and reasons naming the OID and every argument's value. A body that does
 * not decode gives class unknown and parse_ok false (fail closed). Never fails.
 */
void sw_pg_fastpath_analyze(const unsigned char *body, size_t len, int major, struct sw_analysis *out);

#endif
