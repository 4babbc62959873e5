/* Ledger readers by POSIX ACL (see ledger_access.h). */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "ledger_access.h"
#include "util.h"

#define ACL_XATTR         "system.posix_acl_access"
#define ACL_DEFAULT_XATTR "system.posix_acl_default"
#define ACL_ENTRIES 128

struct acl {
	struct posix_acl_xattr_entry e[ACL_ENTRIES];
	size_t n;
};

static int by_tag_then_id(const void *x, const void *y)
{
	const struct posix_acl_xattr_entry *a = x, *b = y;
	if (a->e_tag != b->e_tag)
		return a->e_tag < b->e_tag ? -1 : 1;
	return a->e_id < b->e_id ? -1 : a->e_id > b->e_id;
}

/* The ACL of path, or the three entries its mode stands for. */
static int acl_read(const char *path, struct acl *a)
{
	struct {
		struct posix_acl_xattr_header h;
		struct posix_acl_xattr_entry e[ACL_ENTRIES];
	} buf;
	struct stat st;
	ssize_t got;

	memset(a, 0, sizeof(*a));
	got = getxattr(path, ACL_XATTR, &buf, sizeof(buf));
	if (got >= (ssize_t)sizeof(buf.h) && buf.h.a_version == POSIX_ACL_XATTR_VERSION) {
		a->n = ((size_t)got - sizeof(buf.h)) / sizeof(buf.e[0]);
		memcpy(a->e, buf.e, a->n * sizeof(buf.e[0]));
		return 0;
	}
	if (got >= 0 || (errno != ENODATA && errno != EOPNOTSUPP) || stat(path, &st) < 0)
		return -1;
	a->e[a->n++] = (struct posix_acl_xattr_entry){ ACL_USER_OBJ, (st.st_mode >> 6) & 7, (__u32)ACL_UNDEFINED_ID };
	a->e[a->n++] = (struct posix_acl_xattr_entry){ ACL_GROUP_OBJ, (st.st_mode >> 3) & 7, (__u32)ACL_UNDEFINED_ID };
	a->e[a->n++] = (struct posix_acl_xattr_entry){ ACL_OTHER, st.st_mode & 7, (__u32)ACL_UNDEFINED_ID };
	return 0;
}

/* Drop the named entries and the mask: what the mode alone says. */
static void acl_keep_owner_entries(struct acl *a)
{
	size_t k = 0;
	for (size_t i = 0; i < a->n; i++)
		if (a->e[i].e_tag == ACL_USER_OBJ || a->e[i].e_tag == ACL_GROUP_OBJ || a->e[i].e_tag == ACL_OTHER)
			a->e[k++] = a->e[i];
	a->n = k;
}

/* Add perm to the named entry (tag, id), creating it. */
static void acl_grant(struct acl *a, unsigned tag, unsigned id, unsigned perm)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->e[i].e_tag == tag && a->e[i].e_id == id) {
			a->e[i].e_perm |= (__u16)perm;
			return;
		}
	if (a->n < ACL_ENTRIES - 1)   /* room for the mask */
		a->e[a->n++] = (struct posix_acl_xattr_entry){ (__u16)tag, (__u16)perm, id };
}

/* Write a as xattr name (the mask recomputed: what the group class needs), sorted as the kernel wants it. */
static int acl_write_as(const char *path, const char *name, struct acl *a)
{
	struct {
		struct posix_acl_xattr_header h;
		struct posix_acl_xattr_entry e[ACL_ENTRIES];
	} buf = { .h.a_version = POSIX_ACL_XATTR_VERSION };
	unsigned mask = 0;
	bool named = false;
	size_t k = 0;

	for (size_t i = 0; i < a->n; i++) {
		unsigned tag = a->e[i].e_tag;
		if (tag == ACL_MASK)
			continue;
		if (tag == ACL_USER || tag == ACL_GROUP || tag == ACL_GROUP_OBJ)
			mask |= a->e[i].e_perm;
		named |= tag == ACL_USER || tag == ACL_GROUP;
		buf.e[k++] = a->e[i];
	}
	if (named)
		buf.e[k++] = (struct posix_acl_xattr_entry){ ACL_MASK, (__u16)mask, (__u32)ACL_UNDEFINED_ID };
	qsort(buf.e, k, sizeof(buf.e[0]), by_tag_then_id);
	return setxattr(path, name, &buf, sizeof(buf.h) + k * sizeof(buf.e[0]), 0);
}

static int acl_write(const char *path, struct acl *a)
{
	return acl_write_as(path, ACL_XATTR, a);
}

/* Grant perm to every reader in a; names that are not users or groups are listed in unknown. */
static void grant_readers(struct acl *a, const struct sw_strv *readers, unsigned perm, struct sw_sbuf *unknown)
{
	for (size_t i = 0; readers && i < readers->n; i++) {
		const char *r = readers->v[i];
		if (strncmp(r, "group:", 6) == 0) {
			struct group *g = getgrnam(r + 6);
			if (g)
				acl_grant(a, ACL_GROUP, g->gr_gid, perm);
			else if (unknown)
				sw_sbuf_printf(unknown, "%s%s", unknown->len ? ", " : "", r);
		} else {
			struct passwd *pw = getpwnam(r);
			if (pw)
				acl_grant(a, ACL_USER, pw->pw_uid, perm);
			else if (unknown)
				sw_sbuf_printf(unknown, "%s%s", unknown->len ? ", " : "", r);
		}
	}
}

/* Give readers perm on path: exactly them (replace: earlier named entries go) or in addition. */
static int grant(const char *path, const struct sw_strv *readers, unsigned perm, bool replace, struct sw_sbuf *unknown)
{
	struct acl a;

	if (acl_read(path, &a) < 0)
		return -1;
	if (replace)
		acl_keep_owner_entries(&a);
	grant_readers(&a, readers, perm, unknown);
	return acl_write(path, &a);
}

/* New files and directories in dir inherit read access for readers (a default ACL). */
static int grant_inherited(const char *dir, const struct sw_strv *readers)
{
	struct acl a = { .n = 0 };

	if (!readers || readers->n == 0)
		return removexattr(dir, ACL_DEFAULT_XATTR) < 0 && errno != ENODATA ? -1 : 0;
	a.e[a.n++] = (struct posix_acl_xattr_entry){ ACL_USER_OBJ, 7, (__u32)ACL_UNDEFINED_ID };
	a.e[a.n++] = (struct posix_acl_xattr_entry){ ACL_GROUP_OBJ, ACL_READ | ACL_EXECUTE, (__u32)ACL_UNDEFINED_ID };
	a.e[a.n++] = (struct posix_acl_xattr_entry){ ACL_OTHER, 0, (__u32)ACL_UNDEFINED_ID };
	grant_readers(&a, readers, ACL_READ | ACL_EXECUTE, NULL);
	return acl_write_as(dir, ACL_DEFAULT_XATTR, &a);
}

/*
 * What the last walk of each store saw: its directory's mtime before the walk.
 * A store is walked again when that changed (a segment renamed into it from
 * the ledger's path keeps the live file's ACL, which may predate the readers'
 * grant) or when something moved during the walk. The daemon's loop is the
 * only caller.
 */
static struct store_watch {
	struct stat seen;
	bool known;
} seg_watch, blob_watch;

static void store_watch_forget(void)
{
	seg_watch.known = blob_watch.known = false;
}

static bool same_mtime(const struct stat *a, const struct stat *b)
{
	return a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ino == b->st_ino;
}

/*
 * A store of files (PATH.blobs/<2 hex>/<sha>.z, PATH.seg/<segment>):
 * directories r-x and inherited by what is created later, files r. The path
 * that failed is left in failed. *moved is set when a directory changed while
 * it was read: a file renamed meanwhile (a segment's compressed copy taking
 * its final name) can be missed by readdir under both names, so the caller
 * walks again later.
 */
static int grant_store(const char *store, const struct sw_strv *readers, char *failed, size_t len, bool *moved)
{
	struct stat before, after;
	struct dirent *de;
	int rc = 0;
	DIR *d;

	if (stat(store, &before) != 0)
		return errno == ENOENT ? 0 : (snprintf(failed, len, "%s", store), -1);
	if (grant(store, readers, ACL_READ | ACL_EXECUTE, true, NULL) < 0 || grant_inherited(store, readers) < 0) {
		snprintf(failed, len, "%s", store);
		return -1;
	}
	/* Granting above changed no mtime (ACLs are the inode's, not the directory's entries). */
	if (!(d = opendir(store)))
		return errno == ENOENT ? 0 : (snprintf(failed, len, "%s", store), -1);
	while (rc == 0 && (de = readdir(d))) {
		char *sub;
		if (de->d_name[0] == '.')
			continue;
		sub = sw_xasprintf("%s/%s", store, de->d_name);
		if (de->d_type == DT_DIR)
			rc = grant_store(sub, readers, failed, len, moved);
		else if (de->d_type == DT_REG && grant(sub, readers, ACL_READ, true, NULL) < 0 && errno != ENOENT) {
			/* ENOENT: renamed or removed since readdir; the directory's change says walk again. */
			snprintf(failed, len, "%s", sub);
			rc = -1;
		}
		free(sub);
	}
	closedir(d);
	if (stat(store, &after) != 0 || !same_mtime(&before, &after))
		*moved = true;
	return rc;
}

int sw_ledger_access_apply(const struct sw_strv *readers, const char *ledger_path, char *err, size_t errlen)
{
	struct sw_sbuf unknown = { 0 };
	char *dir = sw_xstrdup(ledger_path), *slash = strrchr(dir, '/');
	char *head = sw_xasprintf("%s.head", ledger_path), *store = sw_xasprintf("%s.blobs", ledger_path);
	char *segs = sw_xasprintf("%s.seg", ledger_path);
	char what[4096];
	bool moved = false;
	int rc = -1;

	if (!slash) {
		free(dir);
		dir = sw_xstrdup(".");
	} else if (slash == dir) {
		slash[1] = 0;   /* the root directory */
	} else {
		*slash = 0;
	}
	/* The file and what belongs to it: exactly the policy's readers. */
	snprintf(what, sizeof(what), "%s", ledger_path);
	if (grant(ledger_path, readers, ACL_READ, true, &unknown) < 0)
		goto sys;
	snprintf(what, sizeof(what), "%s", head);
	if (access(head, F_OK) == 0 && grant(head, readers, ACL_READ, true, NULL) < 0)
		goto sys;
	if (grant_store(store, readers, what, sizeof(what), &moved) < 0)
		goto sys;
	/* The rotated segments (ledger_segments.h): the same, a directory of files. */
	if (grant_store(segs, readers, what, sizeof(what), &moved) < 0)
		goto sys;
	/* The next refresh walks again: what moved during this walk (moved), and what came after it. */
	store_watch_forget();
	/* Its directory: they may pass through it (earlier entries stay). */
	snprintf(what, sizeof(what), "%s", dir);
	if (readers && readers->n && grant(dir, readers, ACL_EXECUTE, false, NULL) < 0)
		goto sys;
	if (unknown.len) {
		snprintf(err, errlen, "ledger_readers %s: no such OS user or group, so they cannot read the ledger; "
			 "create them or remove them from the policy's `access: ledger_readers:`", unknown.s);
		goto out;
	}
	rc = 0;
	goto out;
sys:
	if (errno == EOPNOTSUPP)
		snprintf(err, errlen, "cannot give ledger_readers read access to %s: its file system does not support "
			 "POSIX ACLs; mount it with ACL support or let readers reach the ledger another way", what);
	else
		snprintf(err, errlen, "cannot give ledger_readers read access to %s: %s", what, strerror(errno));
out:
	free(unknown.s);
	free(dir);
	free(head);
	free(store);
	free(segs);
	return rc;
}

/* Does path's ACL already let every reader read it? */
static bool readers_granted(const char *path, const struct sw_strv *readers)
{
	struct acl want, have;

	if (acl_read(path, &have) < 0)
		return true;   /* nothing we can do here; apply reports it */
	want = have;
	grant_readers(&want, readers, ACL_READ, NULL);
	/* Granting added an entry or a permission: something is missing. */
	return want.n == have.n && memcmp(want.e, have.e, have.n * sizeof(have.e[0])) == 0;
}

static int refresh_store(const char *store, const struct sw_strv *readers, struct store_watch *w, char *err,
			 size_t errlen)
{
	struct stat now;
	char failed[4096];
	bool moved = false;

	if (stat(store, &now) != 0)
		return 0;   /* not there yet: appears with the first rotation or full text */
	if (w->known && same_mtime(&w->seen, &now) && readers_granted(store, readers))
		return 0;
	w->known = false;
	if (grant_store(store, readers, failed, sizeof(failed), &moved) < 0) {
		snprintf(err, errlen, "cannot give ledger_readers read access to %s: %s", failed, strerror(errno));
		return -1;
	}
	w->seen = now;
	w->known = !moved;
	return 0;
}

int sw_ledger_access_refresh(const struct sw_strv *readers, const char *ledger_path, char *err, size_t errlen)
{
	char *head = sw_xasprintf("%s.head", ledger_path);
	char *segs = sw_xasprintf("%s.seg", ledger_path), *store = sw_xasprintf("%s.blobs", ledger_path);
	const char *paths[] = { ledger_path, head };
	int rc = 0;

	if (!readers || readers->n == 0)
		goto out;
	for (size_t i = 0; rc == 0 && i < 2; i++)
		if (access(paths[i], F_OK) == 0 && !readers_granted(paths[i], readers) &&
		    grant(paths[i], readers, ACL_READ, true, NULL) < 0) {
			snprintf(err, errlen, "cannot give ledger_readers read access to %s: %s", paths[i], strerror(errno));
			rc = -1;
		}
	/* The stores appear with the first rotation or full text; what is created in them later inherits. */
	if (rc == 0)
		rc = refresh_store(segs, readers, &seg_watch, err, errlen);
	if (rc == 0)
		rc = refresh_store(store, readers, &blob_watch, err, errlen);
out:
	free(head);
	free(segs);
	free(store);
	return rc;
}

json_t *sw_ledger_access_json(const char *ledger_path)
{
	json_t *readers = json_array();
	unsigned mask = 7;
	struct acl a;

	if (acl_read(ledger_path, &a) == 0) {
		for (size_t i = 0; i < a.n; i++)
			if (a.e[i].e_tag == ACL_MASK)
				mask = a.e[i].e_perm;
		for (size_t i = 0; i < a.n; i++) {
			const struct posix_acl_xattr_entry *e = &a.e[i];
			char *name = NULL;
			if (!(e->e_perm & mask & ACL_READ))
				continue;
			if (e->e_tag == ACL_USER) {
				struct passwd *pw = getpwuid(e->e_id);
				name = pw ? sw_xstrdup(pw->pw_name) : sw_xasprintf("uid:%u", (unsigned)e->e_id);
			} else if (e->e_tag == ACL_GROUP) {
				struct group *g = getgrgid(e->e_id);
				name = g ? sw_xasprintf("group:%s", g->gr_name) : sw_xasprintf("group:gid:%u", (unsigned)e->e_id);
			}
			if (name)
				json_array_append_new(readers, json_string(name));
			free(name);
		}
	}
	return json_pack("{s:o}", "readers", readers);
}
