/*
 * What a running statement must equal to be an approved plan's step
 * (plan.h): the token digest of one statement.
 */
#ifndef SQLWARD_PLAN_DIGEST_H
#define SQLWARD_PLAN_DIGEST_H

#include <stddef.h>
#include "statement.h"

/*
 * SHA-256 over the
 * statement's tokens (the engine's own lexer), without comments, white space
 * or a trailing ';'. Keywords, identifiers and constants are compared exactly
 * as written (token text), so only layout and comments may differ between the
 * reviewed file and what the client sends. Fails (-1, err says why) on text the
 * lexer rejects.
 */
int sw_plan_stmt_digest(enum sw_engine e, const char *sql, size_t len, char out[65], char *err, size_t errlen);

#endif
