/*
 * `sqlward verify --checkpoints FILE --checkpoint-pubkey PUB`: prove a ledger
 * against its signed checkpoints (ledger_checkpoint.h). Every checkpoint's
 * signature must verify; the ledger (all its segments and the live file)
 * must hold record seq with exactly the checkpoint's head hash, except where
 * a "segments_removed" record says retention deleted that record; and the
 * ledger must reach at least the last checkpoint's seq.
 */
#ifndef SQLWARD_VERIFY_CHECKPOINTS_H
#define SQLWARD_VERIFY_CHECKPOINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "ledger.h"

struct sw_cp_proof;

/* Read and check the signatures of FILE's checkpoints (only those of ledger_id, when not NULL).
 * NULL with err when the file or the key cannot be read. */
struct sw_cp_proof *sw_cp_proof_load(const char *file, const char *pubkey, const char *ledger_id, char *err,
				     size_t errlen);
/* Every record that verified, in order. */
void sw_cp_proof_record(struct sw_cp_proof *p, uint64_t seq, const char *hash);
/*
 * After the whole ledger verified: first..last is the seq range it holds,
 * removed (NULL: none) the end of what retention recorded as removed.
 * Returns the report {"file","checkpoints","ok","failures":[{line,seq,text}],
 * "notes":[...]} (new reference); *ok false when any check failed.
 */
json_t *sw_cp_proof_judge(struct sw_cp_proof *p, uint64_t first, uint64_t last,
			  const struct sw_ledger_anchor *removed, bool *ok);
/* The report for people, one line per failure and a summary. */
void sw_cp_proof_print(json_t *report);
void sw_cp_proof_free(struct sw_cp_proof *p);

#endif
