/*
 * Reading a ledger line by line, whatever shape it is kept in: one file, or
 * (after rotation) the live file plus its closed, zlib-compressed segments.
 * Readers (`sqlward log`, `verify`, doctor) go through this instead of
 * fopen/getline so that they all see the same records in the same order.
 *
 * PATH names the live ledger file (as the daemon's --ledger). The reader
 * yields the records of every segment that belongs to it (PATH.seg/, see
 * ledger_segments.h), oldest first, then the live file's. Compressed
 * segments are read through zlib; a segment compressed between listing and
 * reading is read from its .gz; a damaged segment is a read error naming it.
 */
#ifndef SQLWARD_LEDGER_READER_H
#define SQLWARD_LEDGER_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sw_ledger_reader;

/*
 * Open PATH for reading. 0, or -1 with err saying what is wrong and what to
 * do (no such ledger, no permission to read it, an unreadable segment).
 */
int sw_ledger_reader_open(const char *path, struct sw_ledger_reader **out, char *err, size_t errlen);
/*
 * The next line, without its newline, NUL-terminated (*line stays valid
 * until the next call). 1 with a line, 0 at the end of the last file, -1 on
 * a read error (err: which file, what failed). *partial is true for a last
 * line that has no newline (a write in progress or torn).
 */
int sw_ledger_reader_next(struct sw_ledger_reader *r, const char **line, size_t *len, bool *partial,
			  char *err, size_t errlen);
/* Where the last line came from: the file's path and its line number (1-based). */
const char *sw_ledger_reader_file(const struct sw_ledger_reader *r);
uint64_t sw_ledger_reader_lineno(const struct sw_ledger_reader *r);
/* Frees r (NULL is fine). */
void sw_ledger_reader_close(struct sw_ledger_reader *r);

#endif
