/* Common includes for cmocka unit tests. */
#ifndef SQLWARD_UNIT_H
#define SQLWARD_UNIT_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#endif
