/* The one lock-mode representation: names (an output contract), order, parsing. */
#include <string.h>
#include "unit.h"
#include "lock_mode.h"

static void names_round_trip(void **state)
{
	(void)state;
	assert_null(sw_lock_name(SW_LOCK_NONE));
	assert_string_equal(sw_lock_name(SW_LOCK_ACCESS_SHARE), "AccessShareLock");
	assert_string_equal(sw_lock_name(SW_LOCK_SHARE_UPDATE_EXCLUSIVE), "ShareUpdateExclusiveLock");
	assert_string_equal(sw_lock_name(SW_LOCK_ACCESS_EXCLUSIVE), "AccessExclusiveLock");
	for (int m = SW_LOCK_ACCESS_SHARE; m <= SW_LOCK__MAX; m++)
		assert_int_equal(sw_lock_parse(sw_lock_name((enum sw_lockmode)m)), m);
	assert_int_equal(sw_lock_parse(NULL), SW_LOCK_NONE);
	assert_int_equal(sw_lock_parse("AccessExclusive"), SW_LOCK_ACCESS_EXCLUSIVE);
}

static void name_list_is_the_policy_message(void **state)
{
	char buf[200], small[20];
	(void)state;
	sw_lock_name_list(buf, sizeof(buf));
	assert_string_equal(buf, "AccessShareLock, RowShareLock, RowExclusiveLock, ShareUpdateExclusiveLock, "
				 "ShareLock, ShareRowExclusiveLock, ExclusiveLock or AccessExclusiveLock");
	sw_lock_name_list(small, sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

static void order(void **state)
{
	(void)state;
	assert_int_equal(sw_lock_stronger(SW_LOCK_NONE, SW_LOCK_ROW_SHARE), SW_LOCK_ROW_SHARE);
	assert_int_equal(sw_lock_stronger(SW_LOCK_SHARE, SW_LOCK_ROW_EXCLUSIVE), SW_LOCK_SHARE);
	assert_int_equal(sw_lock_stronger(SW_LOCK_ACCESS_EXCLUSIVE, SW_LOCK_NONE), SW_LOCK_ACCESS_EXCLUSIVE);
	assert_true(sw_lock_at_least(SW_LOCK_SHARE, SW_LOCK_SHARE));
	assert_true(sw_lock_at_least(SW_LOCK_ACCESS_EXCLUSIVE, SW_LOCK_ROW_SHARE));
	assert_false(sw_lock_at_least(SW_LOCK_ROW_EXCLUSIVE, SW_LOCK_SHARE));
	assert_false(sw_lock_at_least(SW_LOCK_NONE, SW_LOCK_NONE));
	assert_false(sw_lock_conflicts(SW_LOCK_NONE, SW_LOCK_ACCESS_EXCLUSIVE));
	assert_true(sw_lock_conflicts(SW_LOCK_ACCESS_SHARE, SW_LOCK_ACCESS_EXCLUSIVE));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_round_trip),
		cmocka_unit_test(name_list_is_the_policy_message),
		cmocka_unit_test(order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
