#!/usr/bin/env python3
"""Check `sqlward log --format ocsf` output (JSON lines on stdin or in the files named) against
the OCSF 1.2.0 Datastore Activity class (class_uid 6005) as sqlward uses it: every attribute is
one the schema defines for its object, required attributes are present, types are right and enum
values valid. The attribute lists below are transcribed from ocsf-schema v1.2.0
(events/application/datastore_activity.json, events/base_event.json, includes/classification.json,
includes/occurrence.json, profiles/security_control.json, objects/*.json, dictionary.json).
Exit 0 when every event is valid; otherwise each problem is printed and the exit status is 1."""
import json
import sys

INT, LONG, STR, BOOL, OBJ, ARR_STR = "integer_t", "long_t", "string_t", "boolean_t", "object", "string_array"

# attribute -> (type or nested object name, required)
EVENT = {
    # classification, occurrence (base event)
    "activity_id": (INT, True), "activity_name": (STR, False), "category_uid": (INT, True),
    "category_name": (STR, False), "class_uid": (INT, True), "class_name": (STR, False),
    "type_uid": (LONG, True), "type_name": (STR, False), "time": ("timestamp_t", True),
    "count": (INT, False), "duration": (INT, False), "start_time": ("timestamp_t", False),
    "end_time": ("timestamp_t", False), "timezone_offset": (INT, False),
    # base event
    "message": (STR, False), "metadata": ("metadata", True), "severity": (STR, False),
    "severity_id": (INT, True), "status": (STR, False), "status_code": (STR, False),
    "status_detail": (STR, False), "status_id": (INT, False), "unmapped": (OBJ, False),
    "raw_data": (STR, False), "observables": ("list", False), "enrichments": ("list", False),
    # security_control profile
    "action": (STR, False), "action_id": (INT, True), "disposition": (STR, False),
    "disposition_id": (INT, False),
    # datastore_activity
    "actor": ("actor", True), "src_endpoint": ("network_endpoint", True), "database": ("database", False),
    "databucket": (OBJ, False), "table": (OBJ, False), "type": (STR, False), "type_id": (INT, False),
    "query_info": ("query_info", False), "dst_endpoint": ("network_endpoint", False),
    "http_request": (OBJ, False),
}
OBJECTS = {
    "metadata": {"version": (STR, True), "product": ("product", True), "uid": (STR, False),
                 "sequence": (INT, False), "log_name": (STR, False), "original_time": (STR, False),
                 "correlation_uid": (STR, False), "profiles": (ARR_STR, False), "labels": (ARR_STR, False),
                 "logged_time": ("timestamp_t", False), "event_code": (STR, False)},
    "product": {"name": (STR, False), "vendor_name": (STR, True), "version": (STR, False), "uid": (STR, False)},
    "actor": {"user": ("user", False), "process": ("process", False), "session": ("session", False),
              "app_name": (STR, False), "app_uid": (STR, False), "invoked_by": (STR, False)},
    "user": {"name": (STR, False), "uid": (STR, False), "type": (STR, False), "type_id": (INT, False),
             "domain": (STR, False)},
    "process": {"pid": (INT, False), "tid": (INT, False), "name": (STR, False), "uid": (STR, False),
                "cmd_line": (STR, False), "created_time": ("timestamp_t", False)},
    "session": {"uid": (STR, False), "created_time": ("timestamp_t", False), "is_remote": (BOOL, False),
                "issuer": (STR, False)},
    "network_endpoint": {"ip": (STR, False), "port": (INT, False), "hostname": (STR, False),
                         "name": (STR, False), "uid": (STR, False), "svc_name": (STR, False)},
    "database": {"name": (STR, False), "uid": (STR, False), "type": (STR, False), "type_id": (INT, True)},
    "query_info": {"query_string": (STR, True), "uid": (STR, False), "name": (STR, False),
                   "query_time": ("timestamp_t", False), "bytes": (LONG, False)},
}
AT_LEAST_ONE = {
    "actor": ["process", "user", "invoked_by", "session", "app_name", "app_uid"],
    "user": ["name", "uid"],
    "process": ["pid", "uid"],
    "network_endpoint": ["ip", "uid", "name", "hostname", "svc_name"],
    "database": ["name", "uid"],
}
ENUMS = {
    ("event", "activity_id"): {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 99},
    ("event", "category_uid"): {6},
    ("event", "class_uid"): {6005},
    ("event", "severity_id"): {0, 1, 2, 3, 4, 5, 6, 99},
    ("event", "status_id"): {0, 1, 2, 99},
    ("event", "action_id"): {0, 1, 2, 99},
    ("event", "disposition_id"): set(range(0, 28)) | {99},
    ("event", "type_id"): {0, 1, 2, 3, 99},
    ("database", "type_id"): {0, 1, 2, 3, 4, 5, 6, 99},
    ("user", "type_id"): {0, 1, 2, 3, 99},
}
CAPTIONS = {
    "activity_id": {1: "Read", 2: "Update", 3: "Connect", 4: "Query", 5: "Write", 6: "Create", 7: "Delete",
                    8: "List", 9: "Encrypt", 10: "Decrypt"},
    "severity_id": {0: "Unknown", 1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical", 6: "Fatal"},
    "status_id": {0: "Unknown", 1: "Success", 2: "Failure"},
    "action_id": {0: "Unknown", 1: "Allowed", 2: "Denied"},
}
CAPTION_OF = {"activity_id": "activity_name", "severity_id": "severity", "status_id": "status", "action_id": "action"}


def type_ok(t, v):
    if t in (INT, LONG, "timestamp_t"):
        return isinstance(v, int) and not isinstance(v, bool)
    if t == STR:
        return isinstance(v, str)
    if t == BOOL:
        return isinstance(v, bool)
    if t == OBJ:
        return isinstance(v, dict)
    if t == ARR_STR:
        return isinstance(v, list) and all(isinstance(x, str) for x in v)
    if t == "list":
        return isinstance(v, list)
    return isinstance(v, dict)   # a nested object, checked on its own


def check_object(where, name, attrs, obj, problems):
    for k, v in obj.items():
        if k not in attrs:
            problems.append("%s: %s is not an attribute of %s" % (where, k, name))
            continue
        t = attrs[k][0]
        if not type_ok(t, v):
            problems.append("%s: %s should be %s, is %r" % (where, k, t, v))
            continue
        if t in OBJECTS:
            check_object(where + "." + k, t, OBJECTS[t], v, problems)
        allowed = ENUMS.get((name, k))
        if allowed is not None and v not in allowed:
            problems.append("%s: %s=%r is not in the enum" % (where, k, v))
    for k, (_, required) in attrs.items():
        if required and k not in obj:
            problems.append("%s: required %s is missing" % (where, k))
    one = AT_LEAST_ONE.get(name)
    if one and not any(k in obj for k in one):
        problems.append("%s: %s needs at least one of %s" % (where, name, ", ".join(one)))


def check_event(where, ev, problems):
    if not isinstance(ev, dict):
        problems.append("%s: not a JSON object" % where)
        return
    check_object(where, "event", EVENT, ev, problems)
    if isinstance(ev.get("activity_id"), int) and isinstance(ev.get("class_uid"), int):
        if ev.get("type_uid") != ev["class_uid"] * 100 + ev["activity_id"]:
            problems.append("%s: type_uid %r is not class_uid * 100 + activity_id" % (where, ev.get("type_uid")))
    for idf, cap in CAPTION_OF.items():
        known = CAPTIONS[idf].get(ev.get(idf))
        if known and cap in ev and ev[cap] != known:
            problems.append("%s: %s %r does not match %s %r" % (where, cap, ev[cap], idf, known))
    if not any(k in ev for k in ("database", "databucket", "table")):
        problems.append("%s: needs at least one of database, databucket, table" % where)
    t = ev.get("time")
    if isinstance(t, int) and not 10**12 <= t < 10**14:
        problems.append("%s: time %r is not milliseconds since the epoch" % (where, t))


def main(argv):
    problems, n = [], 0
    files = argv[1:] or ["-"]
    for name in files:
        f = sys.stdin if name == "-" else open(name)
        for i, line in enumerate(f, 1):
            if not line.strip():
                continue
            n += 1
            try:
                ev = json.loads(line)
            except ValueError as e:
                problems.append("%s:%d: not JSON (%s)" % (name, i, e))
                continue
            check_event("%s:%d" % (name, i), ev, problems)
    for p in problems:
        print(p)
    print("%d events, %d problems" % (n, len(problems)))
    return 1 if problems or n == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
