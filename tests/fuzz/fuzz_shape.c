/*
 * libFuzzer target for the kernel's shape normalizer: the input is two
 * statements separated by a NUL byte; if they share a shape they must share
 * a parse tree modulo constants (see tests/shape_oracle.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../shape_oracle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char a[SW_TEXT_CAP], b[SW_TEXT_CAP];
	const uint8_t *sep = memchr(data, 0, size);
	size_t la, lb;

	if (!sep)
		return 0;
	la = (size_t)(sep - data);
	lb = size - la - 1;
	if (la >= sizeof(a) || lb >= sizeof(b) || memchr(sep + 1, 0, lb))
		return 0;
	memcpy(a, data, la);
	a[la] = 0;
	memcpy(b, sep + 1, lb);
	b[lb] = 0;
	if (sw_shape_oracle(a, b) < 0)
		abort();
	return 0;
}
