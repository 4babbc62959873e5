/*
 * `sqlward log --follow`: the lines appended to the live ledger file after
 * the records already shown, like tail -F. It survives the file being
 * rotated (renamed and created again: the old file is followed until the new
 * one has records, since the writer appends to it until it reopens the path,
 * then read to its end first) and being truncated in place (copytruncate:
 * read again from its start). Lines whose seq was already shown are skipped, so a record is
 * never shown twice.
 */
#ifndef SQLWARD_LOG_FOLLOW_H
#define SQLWARD_LOG_FOLLOW_H

#include <stddef.h>
#include <stdint.h>

struct sw_log_follow;

/* Follow path, showing records after seq last_seq (0: all). */
struct sw_log_follow *sw_log_follow_open(const char *path, uint64_t last_seq);
/*
 * The next complete new line (without its newline; valid until the next
 * call): 1; 0 when there is none yet (poll again later); -1 when the file
 * cannot be read (err says why; polling again may recover).
 */
int sw_log_follow_next(struct sw_log_follow *f, const char **line, size_t *len, char *err, size_t errlen);
void sw_log_follow_close(struct sw_log_follow *f);

#endif
