/*
 * A MariaDB connection's names read from a THD (my_names.c), as the probe
 * reads them, here from a THD-shaped struct in this test's own memory: the
 * login's main security context or the pointer to the effective one, the IP
 * when there is no host name, names cut at SW_MY_NAME_MAX - 1 bytes, a name
 * that ends just before an unmapped page, and an unreadable THD.
 */
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "unit.h"
#include "my_names.h"

struct fake_sctx {
	char pad[24];
	const char *user;
	const char *host;
	const char *ip;
	char priv_user[80];
	char priv_host[80];
};

struct fake_thd {
	char pad[40];
	struct fake_sctx *security_ctx;
	char pad2[8];
	struct fake_sctx main_sctx;
};

static struct sw_my_bin_layout layout(bool main_sctx)
{
	struct sw_my_bin_layout L;

	memset(&L, 0, sizeof(L));
	L.thd_main_sctx = main_sctx ? offsetof(struct fake_thd, main_sctx) : 0;
	L.thd_security_ctx = offsetof(struct fake_thd, security_ctx);
	L.sctx_user = offsetof(struct fake_sctx, user);
	L.sctx_host = offsetof(struct fake_sctx, host);
	L.sctx_ip = offsetof(struct fake_sctx, ip);
	L.sctx_priv_user = offsetof(struct fake_sctx, priv_user);
	L.sctx_priv_host = offsetof(struct fake_sctx, priv_host);
	return L;
}

static void test_read(void **state)
{
	static struct fake_thd thd;
	static struct fake_sctx other;
	struct sw_my_bin_layout L = layout(true);
	struct sw_my_names n;
	char long_name[100];

	(void)state;
	memset(&thd, 0, sizeof(thd));
	thd.main_sctx.user = "bench_app";
	thd.main_sctx.host = "localhost";
	thd.main_sctx.ip = "127.0.0.1";
	strcpy(thd.main_sctx.priv_user, "bench_app");
	strcpy(thd.main_sctx.priv_host, "%");
	assert_true(sw_my_names_read(getpid(), &L, (uint64_t)(uintptr_t)&thd, &n));
	assert_string_equal(n.user, "bench_app");
	assert_string_equal(n.host, "localhost");
	assert_string_equal(n.priv_user, "bench_app");
	assert_string_equal(n.priv_host, "%");

	/* No host name: the address. A login longer than the event carries is cut as the probe cuts it. */
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = 0;
	thd.main_sctx.user = long_name;
	thd.main_sctx.host = NULL;
	assert_true(sw_my_names_read(getpid(), &L, (uint64_t)(uintptr_t)&thd, &n));
	assert_string_equal(n.host, "127.0.0.1");
	assert_int_equal(strlen(n.user), SW_MY_NAME_MAX - 1);

	/* Without the main context's offset: the effective one through its pointer. */
	memset(&other, 0, sizeof(other));
	other.user = "analyst";
	strcpy(other.priv_user, "analyst");
	thd.security_ctx = &other;
	L = layout(false);
	assert_true(sw_my_names_read(getpid(), &L, (uint64_t)(uintptr_t)&thd, &n));
	assert_string_equal(n.user, "analyst");
	assert_string_equal(n.host, "");

	/* Unreadable: nothing. */
	assert_false(sw_my_names_read(getpid(), &L, 16, &n));
	assert_string_equal(n.user, "");
}

static void test_name_before_unmapped_page(void **state)
{
	static struct fake_thd thd;
	struct sw_my_bin_layout L = layout(true);
	struct sw_my_names n;
	long page = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)state;
	assert_true(p != MAP_FAILED);
	assert_int_equal(munmap(p + page, (size_t)page), 0);
	memcpy(p + page - 4, "bob", 4);
	memset(&thd, 0, sizeof(thd));
	thd.main_sctx.user = p + page - 4;
	assert_true(sw_my_names_read(getpid(), &L, (uint64_t)(uintptr_t)&thd, &n));
	assert_string_equal(n.user, "bob");
	munmap(p, (size_t)page);
}

static void test_event_round_trip(void **state)
{
	static struct sw_my_event ev, back;
	struct sw_my_names n;

	(void)state;
	memset(&ev, 'x', sizeof(ev));   /* unterminated names: cut at the last byte */
	memcpy(ev.user, "agent_x", 8);
	sw_my_names_of_event(&ev, &n);
	assert_string_equal(n.user, "agent_x");
	assert_int_equal(strlen(n.host), SW_MY_NAME_MAX - 1);
	memset(&back, 0, sizeof(back));
	sw_my_names_to_event(&n, &back);
	assert_string_equal(back.user, "agent_x");
	assert_string_equal(back.priv_host, n.priv_host);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_name_before_unmapped_page),
		cmocka_unit_test(test_event_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
