/*
 * Which build's layouts a pinned gate carries. A gate's .bss holds
 * sw_abi_version (SW_ABI_VERSION of the daemon that loaded it); it is found
 * by name through the map's BTF, so it is found whatever else the .bss of
 * that build held. A daemon reads another daemon's ring buffer and counters
 * only when they carry its own number.
 */
#ifndef SQLWARD_GATE_ABI_H
#define SQLWARD_GATE_ABI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct btf;

#define SW_ABI_VAR "sw_abi_version"

/*
 * Offset and size of the variable called name in BTF type sec_id, a DATASEC
 * (a global-data map's value). 0 when found; -1 when sec_id is not a DATASEC
 * or has no such variable.
 */
int sw_btf_datasec_var(const struct btf *btf, uint32_t sec_id, const char *name, uint32_t *off, uint32_t *size);

enum sw_abi_state {
	SW_ABI_CARRIED = 0,     /* *abi is the gate's number */
	SW_ABI_NONE = 1,        /* the map carries none: a build from before SW_ABI_VERSION, or not a gate's .bss */
	SW_ABI_UNREADABLE = -1, /* err says why */
};

/* The ABI number a pinned gate .bss map (map_fd) carries. */
enum sw_abi_state sw_gate_map_abi(int map_fd, uint32_t *abi, char *err, size_t errlen);

/* May a daemon of this build interpret a previous gate's events and counters as its own structs? */
bool sw_abi_readable(enum sw_abi_state state, uint32_t abi);

#endif
