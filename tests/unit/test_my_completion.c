/*
 * MariaDB completions (my_completion.c, my_layout.c's derive_done): the
 * decoders of the row-counter and error accessors (real bytes of 10.11.19 and
 * near misses), the offsets derived from the real /usr/sbin/mariadbd, the
 * outcome of an ended command and which rows it counts.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "mariadb.h"
#include "my_completion.h"
#include "my_layout.h"

#define MARIADBD "/usr/sbin/mariadbd"

static void test_decode_sent_rows(void **state)
{
	/* THD::set_sent_row_count: mov %rsi,0x3b98(%rdi); THD::inc_sent_row_count: add 0x3b98(%rdi),%rsi */
	const unsigned char set[] = { 0x48, 0x89, 0xb7, 0x98, 0x3b, 0x00, 0x00, 0x48, 0x8b, 0xbf };
	const unsigned char inc[] = { 0x48, 0x03, 0xb7, 0x98, 0x3b, 0x00, 0x00, 0x48, 0x89, 0xb7 };
	const unsigned char rax[] = { 0x48, 0x89, 0x87, 0x98, 0x3b, 0x00, 0x00 };   /* mov %rax,...: not rsi */
	uint32_t off = 0;

	(void)state;
	assert_true(sw_my_decode_store_rsi(set, sizeof(set), &off));
	assert_int_equal(off, 0x3b98);
	assert_true(sw_my_decode_add_rsi(inc, sizeof(inc), &off));
	assert_int_equal(off, 0x3b98);
	assert_false(sw_my_decode_store_rsi(inc, sizeof(inc), &off));
	assert_false(sw_my_decode_add_rsi(set, sizeof(set), &off));
	assert_false(sw_my_decode_store_rsi(rax, sizeof(rax), &off));
	assert_false(sw_my_decode_store_rsi(set, 2, &off));
}

static void test_decode_row_count_func(void **state)
{
	/* Item_func_row_count::val_int at 0xae07c0: push %rbp; mov %rsp,%rbp; call 0x735030 (_current_thd);
	 * pop %rbp; mov 0x3b88(%rax),%rax; ret */
	const unsigned char c[] = { 0x55, 0x48, 0x89, 0xe5, 0xe8, 0x67, 0x48, 0xc5, 0xff, 0x5d,
				    0x48, 0x8b, 0x80, 0x88, 0x3b, 0x00, 0x00, 0xc3 };
	uint32_t off = 0;

	(void)state;
	assert_true(sw_my_decode_current_thd_field(c, sizeof(c), 0xae07c0, 0x735030, &off));
	assert_int_equal(off, 0x3b88);
	/* Another callee: not current_thd's field. */
	assert_false(sw_my_decode_current_thd_field(c, sizeof(c), 0xae07c0, 0x735040, &off));
	assert_false(sw_my_decode_current_thd_field(c, sizeof(c) - 1, 0xae07c0, 0x735030, &off));   /* no ret */
}

static void test_decode_first_load(void **state)
{
	/* thd_get_error_message: mov 0x62e0(%rdi),%rax; add $0x1a,%rax; ret */
	const unsigned char c[] = { 0x48, 0x8b, 0x87, 0xe0, 0x62, 0x00, 0x00, 0x48, 0x83, 0xc0, 0x1a, 0xc3 };
	const unsigned char rsi[] = { 0x48, 0x8b, 0x86, 0xe0, 0x62, 0x00, 0x00, 0xc3 };   /* from %rsi */
	uint32_t off = 0;

	(void)state;
	assert_true(sw_my_decode_first_load(c, sizeof(c), &off));
	assert_int_equal(off, 0x62e0);
	assert_false(sw_my_decode_first_load(rsi, sizeof(rsi), &off));
}

static void test_real_binary(void **state)
{
	static struct sw_my_layout L;
	char err[512];

	(void)state;
	if (access(MARIADBD, R_OK) != 0) {
		print_message("SKIP: no %s (install mariadb-server: scripts/install-deps.sh)\n", MARIADBD);
		return;
	}
	assert_int_equal(sw_my_layout_load(MARIADBD, &L, err, sizeof(err)), 0);
	if (L.major != 10 || L.minor != 11) {
		print_message("SKIP: %s is MariaDB %s\n", MARIADBD, L.version);
		return;
	}
	if (!L.done.valid)
		print_message("%s\n", L.done_problem);
	assert_int_equal(L.done.valid, 1);
	assert_string_equal(L.done_problem, "");
	assert_true(L.done.thd_sent_row_count > 0 && L.done.thd_row_count_func > 0 && L.done.thd_stmt_da > 0);
	assert_int_equal(L.done.da_sql_errno, 8);   /* Sql_state_errno: char m_sqlstate[6], then uint m_sql_errno */
}

static void test_outcome_and_rows(void **state)
{
	struct sw_my_done_event ev;

	(void)state;
	assert_string_equal(sw_my_completion_outcome(0, false), "ran");
	assert_string_equal(sw_my_completion_outcome(1054, false), "error");
	assert_string_equal(sw_my_completion_outcome(1317, false), "cancelled");     /* someone's KILL QUERY */
	assert_string_equal(sw_my_completion_outcome(1317, true), "over_budget");
	assert_string_equal(sw_my_completion_outcome(0, true), "over_budget");       /* cut short, no error */
	assert_string_equal(sw_my_completion_outcome(1054, true), "error");
	assert_string_equal(sw_my_completion_outcome(1969, false), "cancelled");     /* max_statement_time */
	assert_string_equal(sw_my_completion_outcome(1927, false), "terminated");
	memset(&ev, 0, sizeof(ev));
	ev.row_count_func = -1;   /* a result set: the rows sent */
	ev.sent_rows = 7;
	assert_int_equal(sw_my_completion_rows(&ev), 7);
	ev.row_count_func = 2;    /* a write: its affected rows */
	assert_int_equal(sw_my_completion_rows(&ev), 2);
	ev.row_count_func = 0;
	assert_int_equal(sw_my_completion_rows(&ev), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_sent_rows),
		cmocka_unit_test(test_decode_row_count_func),
		cmocka_unit_test(test_decode_first_load),
		cmocka_unit_test(test_real_binary),
		cmocka_unit_test(test_outcome_and_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
