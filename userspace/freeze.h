/*
 * Freeze: a runtime mode in which governed statements of the frozen classes
 * are denied at once. Switched by `sqlward freeze on|off` (persisted in a
 * state file, so it survives restarts) or by a policy's scheduled windows.
 */
#ifndef SQLWARD_FREEZE_H
#define SQLWARD_FREEZE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <jansson.h>

struct sw_freeze {
	bool on;                 /* manual freeze */
	char reason[512];
	char by[64];
	time_t since;
	time_t until;            /* 0: until switched off */
};

/* Load the state file; a missing file is "off". -1 with err on an unreadable or corrupt file. */
int sw_freeze_load(const char *path, struct sw_freeze *f, char *err, size_t errlen);
/* Write it atomically (temp file + rename + fsync). */
int sw_freeze_save(const char *path, const struct sw_freeze *f, char *err, size_t errlen);
json_t *sw_freeze_json(const struct sw_freeze *f);
/* The manual freeze in force at t (false once `until` has passed). */
bool sw_freeze_active(const struct sw_freeze *f, time_t t);

#endif
