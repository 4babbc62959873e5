/*
 * A JSON document saved whole or not at all: written to a temporary file
 * beside the target, synced, and renamed over it (the state file, plan
 * files, a signed plan).
 */
#ifndef SQLWARD_JSON_FILE_H
#define SQLWARD_JSON_FILE_H

#include <stddef.h>
#include <sys/types.h>
#include <jansson.h>

/* Save j (json_dumpfd flags, then a newline) at path with mode; 0, or -1 with what went wrong in err. */
int sw_json_save_atomic(const json_t *j, const char *path, size_t flags, mode_t mode, char *err, size_t errlen);

#endif
