/* JSON views of classified statements (see statement_json.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "statement_json.h"
#include "impact_json.h"
#include "util.h"

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not valid. */
/* A valid UTF-8 sequence that is not NUL: its length, else 0. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	uint32_t cp;
	size_t n = sw_utf8_decode(s, len, &cp);
	return n && cp ? n : 0;
}

bool sw_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		size_t n = utf8_seq(p + i, len - i);
		if (!n)
			return false;
		i += n;
	}
	return true;
}

json_t *sw_json_textn(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	json_t *j;
	char *buf;
	size_t i = 0, o = 0;

	if (!s)
		return json_null();
	if (sw_utf8_valid(s, len)) {
		j = json_stringn(s, len);
		if (j)
			return j;
	}
	/* Every invalid byte (and NUL) becomes U+FFFD (3 bytes). */
	buf = sw_xmalloc(len * 3 + 1);
	while (i < len) {
		size_t n = utf8_seq(p + i, len - i);
		if (n) {
			memcpy(buf + o, p + i, n);
			o += n;
			i += n;
		} else {
			memcpy(buf + o, "\xEF\xBF\xBD", 3);
			o += 3;
			i++;
		}
	}
	j = json_stringn(buf, o);
	free(buf);
	if (!j)
		abort(); /* only allocation failure is left */
	return j;
}

json_t *sw_json_text(const char *s)
{
	return s ? sw_json_textn(s, strlen(s)) : json_null();
}

static json_t *strv_json(const struct sw_strv *sv)
{
	json_t *a = json_array();

	for (size_t i = 0; i < sv->n; i++)
		json_array_append_new(a, sw_json_text(sv->v[i]));
	return a;
}

json_t *sw_traits_json(unsigned traits)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < SW_TRAIT__COUNT; i++)
		if (traits & (1u << i))
			json_array_append_new(a, json_string(sw_trait_name(i)));
	return a;
}

json_t *sw_stmt_json(const struct sw_stmt *st)
{
	json_t *o = json_object();
	json_t *objects = json_array();
	json_t *locks = json_object();

	for (size_t i = 0; i < st->n_objects; i++) {
		const struct sw_object *ob = &st->objects[i];
		json_t *name = sw_json_text(ob->name);

		json_array_append(objects, name);
		/* Key by the (possibly U+FFFD-repaired) name so objects and locks agree. */
		if (ob->lock && json_is_string(name))
			json_object_setn_new(locks, json_string_value(name), json_string_length(name),
					     json_string(ob->lock));
		json_decref(name);
	}

	json_object_set_new(o, "class", json_string(sw_class_name(st->cls)));
	json_object_set_new(o, "command", sw_json_text(st->command));
	json_object_set_new(o, "objects", objects);
	json_object_set_new(o, "locks", locks);
	json_object_set_new(o, "functions", strv_json(&st->functions));
	json_object_set_new(o, "columns", strv_json(&st->columns));
	json_object_set_new(o, "traits", sw_traits_json(st->traits));
	json_object_set_new(o, "rewrites_table", json_boolean(st->rewrites_table));
	json_object_set_new(o, "reasons", strv_json(&st->reasons));
	if (st->settings.n)
		json_object_set_new(o, "settings", strv_json(&st->settings));
	if (st->prepare_name)
		json_object_set_new(o, "prepare_name", sw_json_text(st->prepare_name));
	if (st->execute_name)
		json_object_set_new(o, "execute_name", sw_json_text(st->execute_name));
	sw_impact_json_add(o, st);  /* impact_json.c */
	return o;
}
