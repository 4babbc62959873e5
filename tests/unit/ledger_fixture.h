/* The fixture of the ledger's unit tests: a fresh directory per test, with the ledger's path in it. */
#ifndef SQLWARD_LEDGER_FIXTURE_H
#define SQLWARD_LEDGER_FIXTURE_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char tmpdir[64];
static char ledger_path[128];

static int setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/sw_ledger_XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(ledger_path, sizeof(ledger_path), "%s/ledger.jsonl", tmpdir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[160];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}
#endif
