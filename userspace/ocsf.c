/* Ledger records as OCSF Datastore Activity events (ocsf.h; the mapping is README's table). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ocsf.h"
#include "time_text.h"

/* OCSF 1.2.0 datastore_activity activity_id values used here. */
enum {
	ACT_UPDATE = 2, ACT_CONNECT = 3, ACT_QUERY = 4, ACT_WRITE = 5, ACT_CREATE = 6, ACT_DELETE = 7,
	ACT_OTHER = 99,
};
/* security_control profile: action_id and disposition_id values used here. */
enum { ACTION_ALLOWED = 1, ACTION_DENIED = 2 };
enum {
	DISP_ALLOWED = 1, DISP_BLOCKED = 2, DISP_APPROVED = 8, DISP_DELAYED = 14, DISP_LOGGED = 17,
	DISP_REJECTED = 25,
};
enum { SEV_INFORMATIONAL = 1, SEV_LOW = 2, SEV_MEDIUM = 3, SEV_HIGH = 4 };
enum { STATUS_UNKNOWN = 0, STATUS_SUCCESS = 1, STATUS_FAILURE = 2 };

static const char *jstr(json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

static bool eq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static bool starts(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

bool sw_ocsf_maps_type(const char *t)
{
	static const char *const mapped[] = {
		"statement", "completion", "session_start", "session_end", "approval", "approval_refused",
		"outcome", "hold_unresolved", "failure_mode",
	};
	for (size_t i = 0; t && i < sizeof(mapped) / sizeof(mapped[0]); i++)
		if (strcmp(t, mapped[i]) == 0)
			return true;
	return false;
}

/* A statement's activity from its class and command (the classifier's, never the text). */
static int statement_activity(const char *cls, const char *cmd, const char **name)
{
	if (eq(cls, "read"))
		return *name = "Query", ACT_QUERY;
	if (eq(cls, "write")) {
		if (eq(cmd, "UPDATE"))
			return *name = "Update", ACT_UPDATE;
		if (eq(cmd, "DELETE") || eq(cmd, "TRUNCATE") || eq(cmd, "TRUNCATE TABLE"))
			return *name = "Delete", ACT_DELETE;
		if (eq(cmd, "INSERT"))
			return *name = "Create", ACT_CREATE;
		return *name = "Write", ACT_WRITE;
	}
	if (eq(cls, "ddl")) {
		if (starts(cmd, "CREATE"))
			return *name = "Create", ACT_CREATE;
		if (starts(cmd, "DROP"))
			return *name = "Delete", ACT_DELETE;
		return *name = "Update", ACT_UPDATE;
	}
	*name = "Other";
	return ACT_OTHER;
}

static int activity_of(const char *type, json_t *rec, const char **name)
{
	if (eq(type, "statement"))
		return statement_activity(jstr(rec, "class"), jstr(rec, "command"), name);
	if (eq(type, "session_start"))
		return *name = "Connect", ACT_CONNECT;
	*name = eq(type, "session_end") ? "Disconnect" : eq(type, "completion") ? "Completion" :
		eq(type, "approval") ? "Approval" : eq(type, "approval_refused") ? "Approval Refused" :
		eq(type, "outcome") ? "Approved Statement Outcome" : eq(type, "hold_unresolved") ? "Hold Unresolved" :
		"Failure Mode";
	return ACT_OTHER;
}

/* Did what the record reports succeed? A statement's outcome, a completion's, a note's. */
static int status_of(const char *type, const char *outcome)
{
	static const char *const ok[] = { "ran", "released", "observed", "applied", "completed", "allowed" };
	static const char *const failed[] = {
		"cancelled", "denied", "timed_out", "abandoned", "error", "over_budget", "terminated", "client_gone",
		"failed", "refused",
	};

	if (eq(type, "approval") || eq(type, "session_start") || eq(type, "session_end"))
		return STATUS_SUCCESS;
	if (eq(type, "approval_refused"))
		return STATUS_FAILURE;
	for (size_t i = 0; outcome && i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(outcome, ok[i]) == 0)
			return STATUS_SUCCESS;
	for (size_t i = 0; outcome && i < sizeof(failed) / sizeof(failed[0]); i++)
		if (strcmp(outcome, failed[i]) == 0)
			return STATUS_FAILURE;
	return STATUS_UNKNOWN;
}

static const char *status_caption(int id)
{
	return id == STATUS_SUCCESS ? "Success" : id == STATUS_FAILURE ? "Failure" : "Unknown";
}

/* action_id, disposition_id (0: leave out) and severity_id of a record. */
static void control_of(const char *type, json_t *rec, int *action, int *disp, int *sev)
{
	const char *v = jstr(rec, "verdict"), *outcome = jstr(rec, "outcome");

	*action = ACTION_ALLOWED;   /* OCSF: no action equates to Allowed */
	*disp = 0;
	*sev = SEV_INFORMATIONAL;
	if (eq(type, "statement")) {
		bool decided_hold = json_object_get(rec, "hold_seq") != NULL;
		if (eq(v, "deny")) {
			*action = ACTION_DENIED, *disp = DISP_BLOCKED, *sev = SEV_MEDIUM;
		} else if (eq(v, "hold")) {
			*disp = DISP_DELAYED, *sev = SEV_LOW;
		} else if (decided_hold) {
			*disp = DISP_APPROVED, *sev = SEV_LOW;
		} else {
			*disp = eq(outcome, "observed") ? DISP_LOGGED : DISP_ALLOWED;
		}
	} else if (eq(type, "approval")) {
		*disp = DISP_APPROVED;
	} else if (eq(type, "approval_refused")) {
		*action = ACTION_DENIED, *disp = DISP_REJECTED, *sev = SEV_MEDIUM;
	} else if (eq(type, "failure_mode") || eq(type, "hold_unresolved")) {
		*sev = SEV_HIGH;
	} else if (eq(type, "completion") && eq(outcome, "over_budget")) {
		*sev = SEV_LOW;
	}
}

static const char *disposition_caption(int d)
{
	switch (d) {
	case DISP_ALLOWED: return "Allowed";
	case DISP_BLOCKED: return "Blocked";
	case DISP_APPROVED: return "Approved";
	case DISP_DELAYED: return "Delayed";
	case DISP_LOGGED: return "Logged";
	case DISP_REJECTED: return "Rejected";
	default: return "Unknown";
	}
}

static const char *severity_caption(int s)
{
	return s == SEV_HIGH ? "High" : s == SEV_MEDIUM ? "Medium" : s == SEV_LOW ? "Low" : "Informational";
}

static json_t *millis(const char *rfc3339)
{
	struct timespec ts;

	if (!rfc3339 || sw_parse_rfc3339(rfc3339, &ts) != 0)
		return NULL;
	return json_integer((json_int_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* "addr:port" as ip and port when addr is an IP address; anything else ("local", a host name) as name. */
static json_t *endpoint(const char *client)
{
	const char *colon = client ? strrchr(client, ':') : NULL;
	unsigned char buf[16];

	if (!client || !*client)
		return json_pack("{s:s}", "name", "unknown");
	if (colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1) && colon - client < 64) {
		char addr[64];
		long port = strtol(colon + 1, NULL, 10);
		memcpy(addr, client, (size_t)(colon - client));
		addr[colon - client] = 0;
		if (addr[0] == '[' && addr[strlen(addr) - 1] == ']') {   /* [v6]:port */
			memmove(addr, addr + 1, strlen(addr));
			addr[strlen(addr) - 1] = 0;
		}
		if ((inet_pton(AF_INET, addr, buf) == 1 || inet_pton(AF_INET6, addr, buf) == 1) && port <= 65535)
			return json_pack("{s:s, s:i}", "ip", addr, "port", (int)port);
	}
	if (inet_pton(AF_INET, client, buf) == 1 || inet_pton(AF_INET6, client, buf) == 1)
		return json_pack("{s:s}", "ip", client);
	/* "local": a Unix-domain socket; anything else is the host name the server reported. */
	return json_pack("{s:s}", strcmp(client, "local") == 0 ? "name" : "hostname", client);
}

static bool is_ip_client(const char *client)
{
	json_t *e = endpoint(client);
	bool ip = json_object_get(e, "ip") != NULL;
	json_decref(e);
	return ip;
}

static const char *engine_product(const char *engine)
{
	return eq(engine, "mysql") ? "MariaDB" : "PostgreSQL";
}

/* Members the event carries in its own fields; every other one goes to "unmapped". */
static bool mapped_member(const char *k)
{
	static const char *const names[] = {
		"seq", "type", "time", "hash", "engine", "pid", "role", "database", "client", "application_name",
		"statement", "statement_sha256", "verdict", "outcome", "sqlstate", "duration_ms", "thread",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(k, names[i]) == 0)
			return true;
	return false;
}

static json_t *actor_of(const char *type, json_t *rec, const struct sw_log_session *s)
{
	const char *engine = jstr(rec, "engine") ? jstr(rec, "engine") : s ? s->engine : NULL;
	const char *app = jstr(rec, "application_name") ? jstr(rec, "application_name") : s ? s->application : NULL;
	const char *role = jstr(rec, "role") ? jstr(rec, "role") : s ? s->role : NULL;
	json_t *actor = json_object(), *user, *pid = json_object_get(rec, "pid");

	/* A note about a hold is done by its approver (an OS user); everything else by the database role. */
	if ((eq(type, "approval") || eq(type, "approval_refused")) && jstr(rec, "user"))
		user = json_pack("{s:s, s:s}", "name", jstr(rec, "user"), "type", "approver (OS user)");
	else
		user = json_pack("{s:s, s:s}", "name", role ? role : "unknown", "type", "database role");
	json_object_set_new(actor, "user", user);
	if (!json_is_integer(pid) && s)
		pid = json_integer(s->pid);
	else
		json_incref(pid);
	if (json_is_integer(pid)) {
		json_t *proc = json_pack("{s:O, s:s}", "pid", pid, "name", eq(engine, "mysql") ? "mariadbd" : "postgres");
		if (json_is_integer(json_object_get(rec, "thread")))
			json_object_set(proc, "tid", json_object_get(rec, "thread"));
		json_object_set_new(actor, "process", proc);
	}
	json_decref(pid);
	if (s) {
		json_t *sess = json_pack("{s:s}", "uid", s->id);
		json_t *created = s->connect_seen ? millis(s->first_time) : NULL;
		if (created)
			json_object_set_new(sess, "created_time", created);
		if (s->client)
			json_object_set_new(sess, "is_remote", json_boolean(is_ip_client(s->client) &&
								       !starts(s->client, "127.") &&
								       !starts(s->client, "::1")));
		json_object_set_new(actor, "session", sess);
	}
	if (app)
		json_object_set_new(actor, "app_name", json_string(app));
	return actor;
}

static json_t *message_of(const char *type, json_t *rec, const char *activity)
{
	const char *cmd = jstr(rec, "command"), *v = jstr(rec, "verdict"), *rule = jstr(rec, "rule");
	const char *outcome = jstr(rec, "outcome");
	char buf[512];

	if (eq(type, "statement"))
		snprintf(buf, sizeof(buf), "%s %s by rule %s (%s)", cmd ? cmd : "statement",
			 eq(v, "allow") ? "allowed" : eq(v, "deny") ? "denied" : eq(v, "hold") ? "held" : "judged",
			 rule ? rule : "-", outcome ? outcome : "-");
	else if (eq(type, "approval") || eq(type, "approval_refused"))
		snprintf(buf, sizeof(buf), "%s", jstr(rec, "message") ? jstr(rec, "message") : activity);
	else if (eq(type, "completion"))
		snprintf(buf, sizeof(buf), "%s ended: %s", cmd ? cmd : "statement", outcome ? outcome : "-");
	else
		snprintf(buf, sizeof(buf), "%s%s%s", activity, outcome ? ": " : "", outcome ? outcome : "");
	return json_string(buf);
}

json_t *sw_ocsf_event(json_t *rec, const struct sw_log_session *s)
{
	const char *type = jstr(rec, "type"), *activity, *k;
	const char *engine, *database, *client, *outcome = jstr(rec, "outcome");
	json_t *ev, *v, *unmapped, *t, *seq = json_object_get(rec, "seq");
	int act, action, disp, sev, status;
	char uid[128];

	if (!sw_ocsf_maps_type(type) || !(t = millis(jstr(rec, "time"))))
		return NULL;
	engine = jstr(rec, "engine") ? jstr(rec, "engine") : s ? s->engine : NULL;
	database = jstr(rec, "database") ? jstr(rec, "database") : s ? s->database : NULL;
	client = jstr(rec, "client") ? jstr(rec, "client") : s ? s->client : NULL;
	act = activity_of(type, rec, &activity);
	control_of(type, rec, &action, &disp, &sev);
	status = status_of(type, outcome);

	/* A completion carried by its statement's record (record_completion.h) shares its seq and hash. */
	snprintf(uid, sizeof(uid), "%lld:%s%s", json_is_integer(seq) ? (long long)json_integer_value(seq) : 0LL,
		 jstr(rec, "hash") ? jstr(rec, "hash") : "", json_is_true(json_object_get(rec, "embedded")) ? ":completion" : "");
	ev = json_pack("{s:i, s:s, s:i, s:s, s:i, s:s, s:I, s:s, s:o, s:i, s:s}",
		       "activity_id", act, "activity_name", activity, "category_uid", SW_OCSF_CATEGORY_UID,
		       "category_name", "Application Activity", "class_uid", SW_OCSF_CLASS_UID, "class_name",
		       "Datastore Activity", "type_uid", (json_int_t)SW_OCSF_CLASS_UID * 100 + act, "type_name", "",
		       "time", t, "severity_id", sev, "severity", severity_caption(sev));
	{
		char tn[96];
		snprintf(tn, sizeof(tn), "Datastore Activity: %s", activity);
		json_object_set_new(ev, "type_name", json_string(tn));
	}
	json_object_set_new(ev, "status_id", json_integer(status));
	json_object_set_new(ev, "status", json_string(status_caption(status)));
	if (outcome)
		json_object_set_new(ev, "status_detail", json_string(outcome));
	if (jstr(rec, "sqlstate"))
		json_object_set_new(ev, "status_code", json_string(jstr(rec, "sqlstate")));
	json_object_set_new(ev, "action_id", json_integer(action));
	json_object_set_new(ev, "action", json_string(action == ACTION_DENIED ? "Denied" : "Allowed"));
	if (disp) {
		json_object_set_new(ev, "disposition_id", json_integer(disp));
		json_object_set_new(ev, "disposition", json_string(disposition_caption(disp)));
	}
	json_object_set_new(ev, "message", message_of(type, rec, activity));
	if (json_is_integer(json_object_get(rec, "duration_ms")))
		json_object_set(ev, "duration", json_object_get(rec, "duration_ms"));

	json_object_set_new(ev, "metadata",
			    json_pack("{s:s, s:{s:s, s:s, s:s}, s:s, s:s, s:s, s:[s]}", "version",
				      SW_OCSF_SCHEMA_VERSION, "product", "name", "sqlward", "vendor_name", "sqlward",
				      "version", SQLWARD_VERSION, "uid", uid, "log_name", "sqlward ledger",
				      "original_time", jstr(rec, "time"), "profiles", "security_control"));
	if (json_is_integer(seq))
		json_object_set(json_object_get(ev, "metadata"), "sequence", seq);
	if (s)
		json_object_set_new(json_object_get(ev, "metadata"), "correlation_uid", json_string(s->id));

	json_object_set_new(ev, "actor", actor_of(type, rec, s));
	json_object_set_new(ev, "src_endpoint", endpoint(client));
	json_object_set_new(ev, "database", json_pack("{s:s, s:s, s:i}", "name", database ? database : "unknown",
						      "type", engine_product(engine), "type_id", 1 /* Relational */));
	json_object_set_new(ev, "type_id", json_integer(1));   /* the datastore is a Database */
	json_object_set_new(ev, "type", json_string("Database"));
	if (eq(type, "statement") && jstr(rec, "statement")) {
		json_t *q = json_pack("{s:s, s:s?}", "query_string", jstr(rec, "statement"), "uid",
				      jstr(rec, "statement_sha256"));
		json_object_set_new(ev, "query_info", q);
	}

	unmapped = json_object();
	json_object_foreach(rec, k, v)
		if (!mapped_member(k))
			json_object_set(unmapped, k, v);
	json_object_set_new(unmapped, "record_type", json_string(type));
	if (jstr(rec, "verdict"))
		json_object_set(unmapped, "verdict", json_object_get(rec, "verdict"));
	json_object_set_new(ev, "unmapped", unmapped);
	return ev;
}
