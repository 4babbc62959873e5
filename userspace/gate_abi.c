/* Reading a pinned gate's ABI number (see gate_abi.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "gate_abi.h"
#include "sqlward.h"

int sw_btf_datasec_var(const struct btf *btf, uint32_t sec_id, const char *name, uint32_t *off, uint32_t *size)
{
	const struct btf_type *sec = btf__type_by_id(btf, sec_id);
	const struct btf_var_secinfo *vi;

	if (!sec || !btf_is_datasec(sec))
		return -1;
	vi = btf_var_secinfos(sec);
	for (uint16_t i = 0; i < btf_vlen(sec); i++, vi++) {
		const struct btf_type *var = btf__type_by_id(btf, vi->type);
		const char *vname = var && btf_is_var(var) ? btf__name_by_offset(btf, var->name_off) : NULL;
		if (vname && strcmp(vname, name) == 0) {
			*off = vi->offset;
			*size = vi->size;
			return 0;
		}
	}
	return -1;
}

enum sw_abi_state sw_gate_map_abi(int map_fd, uint32_t *abi, char *err, size_t errlen)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info), off, size, zero = 0;
	struct btf *btf;
	unsigned char *value;
	int rc;

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(map_fd, &info, &len) != 0) {
		snprintf(err, errlen, "cannot read the pinned map's description: %s", strerror(errno));
		return SW_ABI_UNREADABLE;
	}
	/* A gate's .bss: a one-entry array whose value is described by a DATASEC in its BTF. */
	if (info.type != BPF_MAP_TYPE_ARRAY || info.max_entries != 1 || !info.btf_id || !info.btf_value_type_id)
		return SW_ABI_NONE;
	btf = btf__load_from_kernel_by_id(info.btf_id);
	if (!btf) {
		snprintf(err, errlen, "cannot load the pinned map's BTF (id %u): %s", info.btf_id, strerror(errno));
		return SW_ABI_UNREADABLE;
	}
	rc = sw_btf_datasec_var(btf, info.btf_value_type_id, SW_ABI_VAR, &off, &size);
	btf__free(btf);
	if (rc < 0 || size != sizeof(uint32_t) || info.value_size < sizeof(uint32_t) ||
	    off > info.value_size - sizeof(uint32_t))
		return SW_ABI_NONE;
	value = calloc(1, info.value_size);
	if (!value) {
		snprintf(err, errlen, "out of memory reading a pinned map of %u bytes", info.value_size);
		return SW_ABI_UNREADABLE;
	}
	if (bpf_map_lookup_elem(map_fd, &zero, value) != 0) {
		snprintf(err, errlen, "cannot read the pinned map: %s", strerror(errno));
		free(value);
		return SW_ABI_UNREADABLE;
	}
	memcpy(abi, value + off, sizeof(*abi));
	free(value);
	return SW_ABI_CARRIED;
}

bool sw_abi_readable(enum sw_abi_state state, uint32_t abi)
{
	return state == SW_ABI_CARRIED && abi == SW_ABI_VERSION;
}
