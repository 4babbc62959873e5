/* Signed checkpoints of the ledger's chain: format, signing, checking (ledger_checkpoint.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "ledger_checkpoint.h"
#include "time_text.h"
#include "util.h"

char *sw_checkpoint_message(const struct sw_checkpoint *c)
{
	return sw_xasprintf("sqlward-checkpoint-v1\n%s\n%llu\n%s\n%s\n", c->ledger_id, (unsigned long long)c->seq,
			    c->head, c->time);
}

json_t *sw_checkpoint_json(const struct sw_checkpoint *c)
{
	return json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s}", "type", "sqlward_checkpoint", "ledger_id", c->ledger_id,
			 "seq", (json_int_t)c->seq, "head", c->head, "time", c->time, "key_id", c->key_id,
			 "signature", c->signature);
}

static bool hex64(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == 64;
}

static int copy_field(json_t *j, const char *key, char *out, size_t len, char *err, size_t errlen)
{
	const char *v = json_string_value(json_object_get(j, key));

	if (!v || strlen(v) >= len || strchr(v, '\n')) {
		snprintf(err, errlen, "\"%s\" is missing or not a string of at most %zu characters", key, len - 1);
		return -1;
	}
	snprintf(out, len, "%s", v);
	return 0;
}

int sw_checkpoint_from_json(json_t *j, struct sw_checkpoint *c, char *err, size_t errlen)
{
	json_t *seq = json_object_get(j, "seq");
	struct timespec ts;

	memset(c, 0, sizeof(*c));
	if (!json_is_object(j) || strcmp(json_string_value(json_object_get(j, "type")) ?: "", "sqlward_checkpoint")) {
		snprintf(err, errlen, "not a checkpoint (\"type\" is not \"sqlward_checkpoint\")");
		return -1;
	}
	if (!json_is_integer(seq) || json_integer_value(seq) < 1) {
		snprintf(err, errlen, "\"seq\" is missing or not a positive integer");
		return -1;
	}
	c->seq = (uint64_t)json_integer_value(seq);
	if (copy_field(j, "ledger_id", c->ledger_id, sizeof(c->ledger_id), err, errlen) ||
	    copy_field(j, "head", c->head, sizeof(c->head), err, errlen) ||
	    copy_field(j, "time", c->time, sizeof(c->time), err, errlen) ||
	    copy_field(j, "key_id", c->key_id, sizeof(c->key_id), err, errlen) ||
	    copy_field(j, "signature", c->signature, sizeof(c->signature), err, errlen))
		return -1;
	if (!hex64(c->head)) {
		snprintf(err, errlen, "\"head\" is not 64 lower-case hex digits");
		return -1;
	}
	if (sw_parse_rfc3339(c->time, &ts) != 0) {
		snprintf(err, errlen, "\"time\" is not an RFC 3339 time");
		return -1;
	}
	return 0;
}

int sw_checkpoint_sign(EVP_PKEY *key, struct sw_checkpoint *c, char *err, size_t errlen)
{
	char *msg;
	int rc;

	if (strchr(c->ledger_id, '\n')) {
		snprintf(err, errlen, "the ledger id contains a newline");
		return -1;
	}
	if (sw_ed25519_key_id(key, c->key_id) != 0) {
		snprintf(err, errlen, "the checkpoint key is not an Ed25519 key");
		return -1;
	}
	msg = sw_checkpoint_message(c);
	rc = sw_ed25519_sign_b64(key, msg, strlen(msg), c->signature, err, errlen);
	free(msg);
	return rc;
}

bool sw_checkpoint_valid(EVP_PKEY *pub, const struct sw_checkpoint *c)
{
	char *msg = sw_checkpoint_message(c);
	bool ok = sw_ed25519_verify_b64(pub, c->signature, msg, strlen(msg));

	free(msg);
	return ok;
}

void sw_checkpoint_ledger_id(const char *ledger_path, char *out, size_t len)
{
	char host[256] = "localhost";
	char *abs = realpath(ledger_path, NULL);

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(out, len, "%s:%s", host, abs ? abs : ledger_path);
	free(abs);
}

EVP_PKEY *sw_checkpoint_key_load(const char *path, char *err, size_t errlen)
{
	struct stat st;
	mode_t mode;

	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "cannot use checkpoint key %s: %s; make one with `sqlward plan keygen --private %s "
			 "--public PUB`", path, strerror(errno), path);
		return NULL;
	}
	mode = st.st_mode & 07777;
	if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (mode != 0600 && mode != 0400)) {
		snprintf(err, errlen, "checkpoint key %s is refused: it is %s, owned by uid %u with mode %04o, but only "
			 "root may read it; fix it with `chown root:root %s && chmod 0600 %s` (and keep the private key "
			 "nowhere else on this host that others can read)", path,
			 S_ISREG(st.st_mode) ? "a regular file" : "not a regular file", (unsigned)st.st_uid,
			 (unsigned)mode, path, path);
		return NULL;
	}
	return sw_ed25519_read_key(path, true, err, errlen);
}

int sw_checkpoints_read(const char *path, struct sw_checkpoint_line **out, size_t *n, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;

	*out = NULL;
	*n = 0;
	if (!f) {
		snprintf(err, errlen, "cannot read checkpoints %s: %s; give the file the daemon's --checkpoint-to "
			 "appends to (or a copy of it)", path, strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &cap, f)) != -1) {
		struct sw_checkpoint_line *cl;
		json_error_t jerr;
		json_t *j;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		*out = sw_xrealloc(*out, (*n + 1) * sizeof(**out));
		cl = &(*out)[(*n)++];
		memset(cl, 0, sizeof(*cl));
		cl->lineno = lineno;
		j = json_loadb(line, (size_t)len, 0, &jerr);
		if (!j)
			snprintf(cl->error, sizeof(cl->error), "not JSON: %s", jerr.text);
		else
			cl->parsed = sw_checkpoint_from_json(j, &cl->c, cl->error, sizeof(cl->error)) == 0;
		json_decref(j);
	}
	free(line);
	if (ferror(f)) {
		snprintf(err, errlen, "cannot read checkpoints %s: %s", path, strerror(errno));
		fclose(f);
		free(*out);
		*out = NULL;
		*n = 0;
		return -1;
	}
	fclose(f);
	return 0;
}
