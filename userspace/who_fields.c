/* The ledger fields that say who is asking (who_fields.h). */
#include <stdlib.h>
#include <string.h>
#include "who_fields.h"
#include "json_text.h"
#include "util.h"

static const char *const who_key[SW_WHO__COUNT] = { "application_name", "client_exe", "client_cmdline" };
/* Their lengths, so that writing a key (once per statement each) costs no strlen. */
static const size_t who_key_len[SW_WHO__COUNT] = { sizeof("application_name") - 1, sizeof("client_exe") - 1,
						   sizeof("client_cmdline") - 1 };

static void put(json_t **extra, const char *key, const char *value)
{
	if (!value || !value[0])
		return;
	if (!*extra)
		*extra = json_object();
	json_object_set_new(*extra, key, sw_json_text(value));
}

void sw_who_fields_add(json_t **extra, const char *application, const char *client_exe, const char *client_cmdline,
		       const char *request_id)
{
	put(extra, who_key[SW_WHO_APPLICATION], application);
	put(extra, who_key[SW_WHO_CLIENT_EXE], client_exe);
	put(extra, who_key[SW_WHO_CLIENT_CMDLINE], client_cmdline);
	put(extra, "request_id", request_id);
}

void sw_who_cache_free(struct sw_who_cache *c)
{
	for (int i = 0; i < SW_WHO__COUNT; i++) {
		free(c->value[i]);
		free(c->json[i]);
	}
	memset(c, 0, sizeof(*c));
}

/* One value as the record writer writes sw_json_text(value): the same functions, once. */
static void render(struct sw_who_cache *c, int i, const char *value)
{
	struct sw_jw w;
	json_t *j;

	c->value[i] = sw_xstrdup(value);
	if (!value[0])
		return;
	j = sw_json_text(value);
	sw_jw_init(&w);
	sw_jw_value(&w, j);
	json_decref(j);
	c->json[i] = sw_xstrndup(w.buf, w.len);
	c->json_len[i] = w.len;
	sw_jw_free(&w);
}

void sw_who_cache_update(struct sw_who_cache *c, const char *application, const char *client_exe,
			 const char *client_cmdline)
{
	const char *v[SW_WHO__COUNT] = { application ? application : "", client_exe ? client_exe : "",
					 client_cmdline ? client_cmdline : "" };
	int i;

	for (i = 0; c->valid && i < SW_WHO__COUNT; i++)
		if (strcmp(c->value[i], v[i]) != 0)
			break;
	if (c->valid && i == SW_WHO__COUNT)
		return;
	sw_who_cache_free(c);
	for (i = 0; i < SW_WHO__COUNT; i++)
		render(c, i, v[i]);
	if (!sw_request_id_from_application(v[SW_WHO_APPLICATION], c->app_request_id))
		c->app_request_id[0] = 0;
	c->valid = true;
}

void sw_who_ref_write(struct sw_jw *w, const struct sw_who_ref *r)
{
	for (int i = 0; r->fields && i < SW_WHO__COUNT; i++)
		if (r->fields->json[i]) {
			sw_jw_keyn(w, who_key[i], who_key_len[i]);
			sw_jw_raw(w, r->fields->json[i], r->fields->json_len[i]);
		}
	if (r->request_id && r->request_id[0]) {
		sw_jw_key(w, "request_id");
		sw_jw_string(w, r->request_id);
	}
}

static void add_ref(json_t **extra, const struct sw_who_ref *r)
{
	const struct sw_who_cache *c = r->fields;

	sw_who_fields_add(extra, c ? c->value[SW_WHO_APPLICATION] : NULL, c ? c->value[SW_WHO_CLIENT_EXE] : NULL,
			  c ? c->value[SW_WHO_CLIENT_CMDLINE] : NULL, r->request_id);
}

void sw_who_ref_into_extra(json_t **extra, const struct sw_who_ref *r)
{
	json_t *out = NULL, *v;
	const char *k;
	size_t n = 0;

	if (!json_is_object(*extra) || r->at >= json_object_size(*extra)) {
		add_ref(extra, r);   /* at the end: where they would have gone */
		return;
	}
	/* Inside: the object is rebuilt in order (jansson appends only). */
	out = json_object();
	json_object_foreach(*extra, k, v) {
		if (n++ == r->at)
			add_ref(&out, r);
		json_object_set(out, k, v);
	}
	json_decref(*extra);
	*extra = out;
}
