/* The checks of `sqlward doctor` (see doctor_checks.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <zlib.h>
#include "bpf_gate.h"
#include "doctor_checks.h"
#include "gate_abi.h"
#include "ledger.h"
#include "my_layout.h"
#include "my_watch_stops.h"
#include "pg_backend.h"
#include "pg_layout.h"
#include "policy.h"
#include "sha256_hex.h"
#include "sqlward.h"
#include "tracefs_mount.h"
#include "util.h"

#define BPF_FS_MAGIC_NUMBER 0xcafe4a11
#define DEFAULT_PTRACE_SCOPE "/proc/sys/kernel/yama/ptrace_scope"
#define DEFAULT_LOCKDOWN "/sys/kernel/security/lockdown"
#define INSTALL_POLICY "install -d -m 0750 /etc/sqlward && install -m 0640 policies/default.yaml /etc/sqlward/policy.yaml"

/* ---- parsers ------------------------------------------------------------ */

bool sw_doctor_kernel_version(const char *release, int *major, int *minor)
{
	return release && sscanf(release, "%d.%d", major, minor) == 2;
}

int sw_doctor_kconfig_value(const char *text, size_t len, const char *key, char *val, size_t vlen)
{
	size_t klen = strlen(key);
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
		size_t ll = (size_t)(le - p);
		if (ll > klen && memcmp(p, key, klen) == 0 && p[klen] == '=') {
			const char *v = p + klen + 1;
			size_t n = (size_t)(le - v);
			if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
				v++;
				n -= 2;
			}
			if (vlen)
				snprintf(val, vlen, "%.*s", (int)n, v);
			return 1;
		}
		/* "# CONFIG_X is not set" */
		if (ll == klen + 13 && memcmp(p, "# ", 2) == 0 && memcmp(p + 2, key, klen) == 0 &&
		    memcmp(p + 2 + klen, " is not set", 11) == 0)
			return 0;
		p = le + 1;
	}
	return -1;
}

char *sw_doctor_read_maybe_gz(const char *path, size_t *len, char *err, size_t errlen)
{
	gzFile f = gzopen(path, "rb");
	size_t cap = 1 << 16, n = 0;
	char *buf;

	if (!f) {
		snprintf(err, errlen, "cannot open %s: %s", path, errno ? strerror(errno) : "out of memory");
		return NULL;
	}
	buf = sw_xmalloc(cap);
	for (;;) {
		int got;
		if (cap - n < 4096) {
			cap *= 2;
			buf = sw_xrealloc(buf, cap);
		}
		got = gzread(f, buf + n, (unsigned)(cap - n - 1));
		if (got < 0) {
			int zerr;
			snprintf(err, errlen, "cannot read %s: %s", path, gzerror(f, &zerr));
			gzclose(f);
			free(buf);
			return NULL;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	gzclose(f);
	buf[n] = 0;
	*len = n;
	return buf;
}

int sw_doctor_parse_ptrace_scope(const char *text)
{
	char *end;
	long v;

	if (!text)
		return -1;
	while (isspace((unsigned char)*text))
		text++;
	if (!isdigit((unsigned char)*text))
		return -1;
	v = strtol(text, &end, 10);
	while (isspace((unsigned char)*end))
		end++;
	return *end == 0 && v >= 0 && v <= 3 ? (int)v : -1;
}

bool sw_doctor_parse_lockdown(const char *text, char *mode, size_t len)
{
	const char *o = text ? strchr(text, '[') : NULL, *c = o ? strchr(o, ']') : NULL;

	if (!o || !c || c == o + 1)
		return false;
	snprintf(mode, len, "%.*s", (int)(c - o - 1), o + 1);
	return true;
}

bool sw_doctor_parse_capeff(const char *status, uint64_t *caps)
{
	const char *p = status;

	while (p && *p) {
		unsigned long long v;
		if (strncmp(p, "CapEff:", 7) == 0 && sscanf(p + 7, " %llx", &v) == 1) {
			*caps = v;
			return true;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

/* A small text file (/proc, /sys), NUL-terminated; NULL when it cannot be read. */
static char *read_small(const char *path)
{
	size_t len;
	char err[256];

	return sw_doctor_read_maybe_gz(path, &len, err, sizeof(err));
}

bool sw_doctor_build_id(const char *path, char *hex, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *e;
	Elf_Scn *scn = NULL;
	bool found = false;

	if (fd < 0)
		return false;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	while (e && !found && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		GElf_Nhdr nh;
		size_t off = 0, name_off, desc_off;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE || !(d = elf_getdata(scn, NULL)))
			continue;
		while (!found && (off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp((const char *)d->d_buf + name_off, "GNU", 4) != 0 || nh.n_descsz * 2 + 1 > len)
				continue;
			for (size_t i = 0; i < nh.n_descsz; i++)
				sprintf(hex + 2 * i, "%02x", ((const unsigned char *)d->d_buf)[desc_off + i]);
			found = true;
		}
	}
	if (e)
		elf_end(e);
	close(fd);
	return found;
}

int sw_doctor_missing_dynsyms(const char *path, const char *const *names, size_t n, bool *missing)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), count = 0;
	Elf *e;
	Elf_Scn *scn = NULL;
	bool any = false;

	if (fd < 0)
		return -1;
	for (size_t k = 0; k < n; k++)
		missing[k] = true;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		if (e)
			elf_end(e);
		close(fd);
		return -1;
	}
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
			continue;
		any = true;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;
			if (!gelf_getsym(d, (int)i, &sym) || !sym.st_value)
				continue;
			name = elf_strptr(e, sh.sh_link, sym.st_name);
			for (size_t k = 0; name && k < n; k++)
				if (missing[k] && strcmp(name, names[k]) == 0)
					missing[k] = false;
		}
	}
	elf_end(e);
	close(fd);
	for (size_t k = 0; k < n; k++)
		count += missing[k];
	return any ? count : (int)n;
}

/* ---- privileges and kernel ---------------------------------------------- */

static bool is_root(void)
{
	return geteuid() == 0;
}

void sw_doctor_check_privileges(struct sw_doctor_report *r)
{
	static const struct { int bit; const char *name; } needed[] = {
		{ 39, "CAP_BPF" }, { 38, "CAP_PERFMON" }, { 19, "CAP_SYS_PTRACE" }, { 5, "CAP_KILL" },
		{ 21, "CAP_SYS_ADMIN" },
	};
	char *status = read_small("/proc/self/status");
	uint64_t caps = 0;
	char missing[160] = "";
	struct sw_doctor_check *c;

	if (!status || !sw_doctor_parse_capeff(status, &caps)) {
		free(status);
		c = sw_doctor_add(r, "privileges", is_root() ? SW_DOCTOR_WARN : SW_DOCTOR_FAIL,
				  "euid %d; cannot read CapEff from /proc/self/status", (int)geteuid());
		sw_doctor_fix(c, "run on a host where /proc is mounted, as root (sudo sqlward doctor)");
		return;
	}
	free(status);
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++)
		if (!(caps & (1ull << needed[i].bit)))
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s",
				 missing[0] ? " " : "", needed[i].name);
	if (!is_root()) {
		c = sw_doctor_add(r, "privileges", SW_DOCTOR_FAIL,
				  "running as uid %d, not root: sqlward run refuses to start, and the checks that need "
				  "root (BPF, pins) are skipped", (int)geteuid());
		sw_doctor_fix(c, "run as root: sudo sqlward doctor (sqlward run must run as root as well)");
	} else if (missing[0]) {
		c = sw_doctor_add(r, "privileges", SW_DOCTOR_FAIL, "root, but without %s (CapEff %016llx)", missing,
				  (unsigned long long)caps);
		sw_doctor_fix(c, "give sqlward %s: in a container add them (--cap-add BPF --cap-add PERFMON "
			      "--cap-add SYS_PTRACE --cap-add KILL --cap-add SYS_ADMIN); in a systemd unit do not "
			      "drop them with CapabilityBoundingSet=", missing);
	} else {
		sw_doctor_add(r, "privileges", SW_DOCTOR_OK, "root with CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE, CAP_KILL, "
			      "CAP_SYS_ADMIN");
	}
}

void sw_doctor_check_kernel(struct sw_doctor_report *r)
{
	struct utsname u;
	int major = 0, minor = 0;
	struct sw_doctor_check *c;

	if (uname(&u) != 0 || !sw_doctor_kernel_version(u.release, &major, &minor)) {
		c = sw_doctor_add(r, "kernel", SW_DOCTOR_WARN, "cannot tell the kernel version (uname: %s)",
				  strerror(errno));
		sw_doctor_fix(c, "check by hand that the kernel is Linux 5.17 or newer (uname -r)");
		return;
	}
	if (major < 5 || (major == 5 && minor < 17)) {
		c = sw_doctor_add(r, "kernel", SW_DOCTOR_FAIL, "Linux %s %s: the gate's programs need 5.17 or newer "
				  "(bpf_loop 5.17, attach cookies 5.15, the BPF ring buffer 5.8)", u.release, u.machine);
		sw_doctor_fix(c, "boot a Linux 5.17 or newer kernel (Debian 12: its 6.1 kernel, or a newer one "
			      "from bookworm-backports)");
		return;
	}
	if (strcmp(u.machine, "x86_64") != 0) {
		c = sw_doctor_add(r, "kernel", SW_DOCTOR_WARN, "Linux %s on %s: sqlward decodes x86-64 server "
				  "binaries only", u.release, u.machine);
		sw_doctor_fix(c, "deploy on x86_64 hosts; on %s the server binaries' layouts are refused", u.machine);
		return;
	}
	sw_doctor_add(r, "kernel", SW_DOCTOR_OK, "Linux %s %s%s", u.release, u.machine,
		      major > 6 || (major == 6 && minor >= 6) ? "" :
		      " (before 6.6: no uprobe-multi links; the execution checkpoint uses one uprobe per function)");
}

void sw_doctor_check_btf(struct sw_doctor_report *r)
{
	struct stat st;
	struct sw_doctor_check *c;

	if (stat("/sys/kernel/btf/vmlinux", &st) != 0) {
		c = sw_doctor_add(r, "kernel-btf", SW_DOCTOR_FAIL, "no /sys/kernel/btf/vmlinux (%s): the kernel carries "
				  "no BTF, so the gate's CO-RE programs cannot be relocated", strerror(errno));
		sw_doctor_fix(c, "boot a kernel built with CONFIG_DEBUG_INFO_BTF=y (Debian's stock kernels are); if "
			      "/sys is not mounted, mount it (mount -t sysfs sysfs /sys)");
		return;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		c = sw_doctor_add(r, "kernel-btf", is_root() ? SW_DOCTOR_FAIL : SW_DOCTOR_SKIP,
				  "/sys/kernel/btf/vmlinux (%lld bytes) is not readable: %s", (long long)st.st_size,
				  strerror(errno));
		sw_doctor_fix(c, "run as root");
		return;
	}
	sw_doctor_add(r, "kernel-btf", SW_DOCTOR_OK, "/sys/kernel/btf/vmlinux (%lld bytes)", (long long)st.st_size);
}

void sw_doctor_check_kernel_config(struct sw_doctor_report *r, const char *path)
{
	static const struct { const char *key; bool required; const char *why; } opts[] = {
		{ "CONFIG_BPF_SYSCALL", true, "the bpf() system call" },
		{ "CONFIG_UPROBE_EVENTS", true, "uprobes on the database servers" },
		{ "CONFIG_DEBUG_INFO_BTF", true, "kernel BTF for CO-RE" },
		{ "CONFIG_BPF_EVENTS", true, "BPF programs on probes" },
		{ "CONFIG_BPF_LSM", false, "BPF LSM (not used by sqlward today)" },
	};
	struct utsname u;
	char boot[320], err[320], bad[512] = "", seen[512] = "";
	const char *src = path;
	size_t len = 0;
	char *text = NULL;
	struct sw_doctor_check *c;

	if (!src) {
		/* /proc/config.gz (CONFIG_IKCONFIG_PROC) first, then the distribution's copy in /boot. */
		src = "/proc/config.gz";
		text = sw_doctor_read_maybe_gz(src, &len, err, sizeof(err));
		if (!text && uname(&u) == 0) {
			snprintf(boot, sizeof(boot), "/boot/config-%s", u.release);
			src = boot;
			text = sw_doctor_read_maybe_gz(src, &len, err, sizeof(err));
		}
	} else {
		text = sw_doctor_read_maybe_gz(src, &len, err, sizeof(err));
	}
	if (!text) {
		sw_doctor_add(r, "kernel-config", SW_DOCTOR_SKIP, "no readable kernel config (/proc/config.gz or "
			      "/boot/config-RELEASE: %s); the BPF checks below test the kernel directly", err);
		return;
	}
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		char v[64] = "";
		int rc = sw_doctor_kconfig_value(text, len, opts[i].key, v, sizeof(v));
		bool on = rc == 1 && strcmp(v, "y") == 0;
		snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "%s%s=%s", seen[0] ? " " : "", opts[i].key,
			 rc == 1 ? v : "n");
		if (opts[i].required && !on)
			snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%s%s=y (%s)", bad[0] ? ", " : "",
				 opts[i].key, opts[i].why);
	}
	free(text);
	if (bad[0]) {
		c = sw_doctor_add(r, "kernel-config", SW_DOCTOR_FAIL, "%s: %s", src, seen);
		sw_doctor_fix(c, "boot a kernel built with %s (Debian's stock kernels have them all)", bad);
	} else {
		sw_doctor_add(r, "kernel-config", SW_DOCTOR_OK, "%s: %s", src, seen);
	}
}

void sw_doctor_check_lockdown(struct sw_doctor_report *r, const char *path)
{
	const char *p = path ? path : DEFAULT_LOCKDOWN;
	char *text = read_small(p), mode[64];
	struct sw_doctor_check *c;

	if (!text) {
		sw_doctor_add(r, "lockdown", SW_DOCTOR_OK, "no %s: the lockdown LSM is not active (mode none)", p);
		return;
	}
	if (!sw_doctor_parse_lockdown(text, mode, sizeof(mode))) {
		c = sw_doctor_add(r, "lockdown", SW_DOCTOR_WARN, "%s says \"%.80s\": no mode in brackets", p, text);
		sw_doctor_fix(c, "check the kernel's lockdown mode by hand (cat %s): integrity or none is needed", p);
	} else if (strcmp(mode, "confidentiality") == 0) {
		c = sw_doctor_add(r, "lockdown", SW_DOCTOR_FAIL, "lockdown mode confidentiality: the kernel refuses "
				  "BPF programs that read memory, so the probes cannot read statements or sessions");
		sw_doctor_fix(c, "boot with lockdown=integrity (or none) on the kernel command line; the mode cannot "
			      "be lowered while the kernel runs");
	} else if (strcmp(mode, "integrity") == 0) {
		sw_doctor_add(r, "lockdown", SW_DOCTOR_OK, "lockdown mode integrity: fine (it refuses "
			      "bpf_probe_write_user, which sqlward does not use)");
	} else {
		sw_doctor_add(r, "lockdown", SW_DOCTOR_OK, "lockdown mode %s", mode);
	}
	free(text);
}

/* ---- BPF ---------------------------------------------------------------- */

void sw_doctor_check_bpf_features(struct sw_doctor_report *r)
{
	static const struct { int kind; int id; const char *name; const char *since; } feats[] = {
		{ 0, BPF_PROG_TYPE_KPROBE, "kprobe/uprobe programs", "4.1" },
		{ 1, BPF_MAP_TYPE_RINGBUF, "ring buffer maps", "5.8" },
		{ 2, BPF_FUNC_loop, "bpf_loop", "5.17" },
		{ 2, BPF_FUNC_send_signal, "bpf_send_signal", "5.3" },
		{ 2, BPF_FUNC_send_signal_thread, "bpf_send_signal_thread (MariaDB holds)", "5.5" },
		{ 2, BPF_FUNC_get_attach_cookie, "bpf_get_attach_cookie", "5.15" },
		{ 2, BPF_FUNC_probe_read_user, "bpf_probe_read_user", "5.5" },
	};
	char have[512] = "", lack[512] = "";
	struct sw_doctor_check *c;

	if (!is_root()) {
		sw_doctor_add(r, "bpf-features", SW_DOCTOR_SKIP, "needs root to load test programs");
		return;
	}
	for (size_t i = 0; i < sizeof(feats) / sizeof(feats[0]); i++) {
		int rc = feats[i].kind == 0 ? libbpf_probe_bpf_prog_type(feats[i].id, NULL) :
			 feats[i].kind == 1 ? libbpf_probe_bpf_map_type(feats[i].id, NULL) :
			 libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, feats[i].id, NULL);
		char *dst = rc == 1 ? have : lack;
		size_t used = strlen(dst);
		if (rc == 1)
			snprintf(dst + used, 512 - used, "%s%s", used ? ", " : "", feats[i].name);
		else
			snprintf(dst + used, 512 - used, "%s%s (Linux %s; %s)", used ? ", " : "", feats[i].name,
				 feats[i].since, rc == 0 ? "not supported" : strerror(-rc));
	}
	if (lack[0]) {
		c = sw_doctor_add(r, "bpf-features", SW_DOCTOR_FAIL, "missing: %s; present: %s", lack,
				  have[0] ? have : "none");
		sw_doctor_fix(c, "boot a Linux 5.17 or newer kernel built with CONFIG_BPF_SYSCALL=y and "
			      "CONFIG_BPF_EVENTS=y; if the kernel is new enough, check that unprivileged BPF "
			      "settings or a security module (lockdown, SELinux, AppArmor) do not refuse bpf()");
	} else {
		sw_doctor_add(r, "bpf-features", SW_DOCTOR_OK, "%s", have);
	}
}

static int ignore_event(void *ctx, const void *data, size_t size)
{
	(void)ctx;
	(void)data;
	(void)size;
	return 0;
}

void sw_doctor_check_bpf_programs(struct sw_doctor_report *r)
{
	/* The daemon's own load (verifier and CO-RE against this kernel), attached to nothing. */
	struct sw_gate_opts go = { .pin_dir = NULL, .enforce = false, .grace_ms = 1000 };
	struct sw_gate *g = NULL;
	char err[512];
	struct sw_doctor_check *c;

	if (!is_root()) {
		sw_doctor_add(r, "bpf-programs", SW_DOCTOR_SKIP, "needs root to load the gate's programs");
		return;
	}
	if (sw_gate_open(&go, ignore_event, NULL, &g, err, sizeof(err)) < 0) {
		c = sw_doctor_add(r, "bpf-programs", SW_DOCTOR_FAIL, "the kernel refused the gate's BPF programs: %s",
				  err);
		sw_doctor_fix(c, "SQLWARD_BPF_VERBOSE=1 sqlward doctor prints the verifier's log; fix what the checks "
			      "above name (kernel version, BTF, lockdown) or report the log with `uname -r`");
		return;
	}
	sw_gate_close(g);
	sw_doctor_add(r, "bpf-programs", SW_DOCTOR_OK, "the gate's BPF programs load and pass the verifier "
		      "(ABI %d)", SW_ABI_VERSION);
}

/* File offset of the ELF entry point of path (code that runs once, at start: a harmless probe site). */
static bool entry_file_offset(const char *path, uint64_t *off)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *e;
	GElf_Ehdr eh;
	size_t nph;
	bool ok = false;

	if (fd < 0)
		return false;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (e && gelf_getehdr(e, &eh) && elf_getphdrnum(e, &nph) == 0) {
		for (size_t i = 0; i < nph && !ok; i++) {
			GElf_Phdr ph;
			if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD && (ph.p_flags & PF_X) &&
			    eh.e_entry >= ph.p_vaddr && eh.e_entry < ph.p_vaddr + ph.p_filesz) {
				*off = eh.e_entry - ph.p_vaddr + ph.p_offset;
				ok = true;
			}
		}
	}
	if (e)
		elf_end(e);
	close(fd);
	return ok;
}

/* Attach a do-nothing BPF program to a uprobe on our own entry point, the way libbpf attaches
 * the gate's (perf event of the uprobe PMU), then remove it. 0, or -1 with err. */
static int try_uprobe(int pmu_type, char *err, size_t errlen)
{
	struct bpf_insn insns[2];
	struct perf_event_attr a;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	uint64_t off;
	int prog, pfd, rc = -1;

	if (n <= 0 || !entry_file_offset("/proc/self/exe", &off)) {
		snprintf(err, errlen, "cannot find this program's own entry point to probe (/proc/self/exe)");
		return -1;
	}
	exe[n] = 0;
	memset(insns, 0, sizeof(insns));
	insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K;   /* r0 = 0 */
	insns[1].code = BPF_JMP | BPF_EXIT;
	prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "sw_doctor", "GPL", insns, 2, NULL);
	if (prog < 0) {
		snprintf(err, errlen, "cannot load a minimal uprobe program: %s", strerror(errno));
		return -1;
	}
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = (uint32_t)pmu_type;
	a.config1 = (uint64_t)(uintptr_t)exe;
	a.config2 = off;
	pfd = (int)syscall(__NR_perf_event_open, &a, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0)
		snprintf(err, errlen, "perf_event_open of a uprobe on %.300s+0x%llx: %s", exe, (unsigned long long)off,
			 strerror(errno));
	else if (ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog) < 0)
		snprintf(err, errlen, "cannot attach a BPF program to a uprobe: %s", strerror(errno));
	else
		rc = 0;
	if (pfd >= 0)
		close(pfd);
	close(prog);
	return rc;
}

void sw_doctor_check_uprobes(struct sw_doctor_report *r)
{
	char *t = read_small("/sys/bus/event_source/devices/uprobe/type"), err[512];
	int type = t ? atoi(t) : -1;
	struct sw_doctor_check *c;

	free(t);
	if (type < 0) {
		c = sw_doctor_add(r, "uprobes", SW_DOCTOR_FAIL, "no uprobe perf event source "
				  "(/sys/bus/event_source/devices/uprobe/type): the kernel has no uprobes");
		sw_doctor_fix(c, "boot a kernel built with CONFIG_UPROBE_EVENTS=y (Debian's stock kernels are)");
		return;
	}
	if (!is_root()) {
		sw_doctor_add(r, "uprobes", SW_DOCTOR_SKIP, "uprobe event source %d present; attaching a probe needs "
			      "root", type);
		return;
	}
	if (try_uprobe(type, err, sizeof(err)) < 0) {
		c = sw_doctor_add(r, "uprobes", SW_DOCTOR_FAIL, "a test uprobe could not be attached: %s", err);
		sw_doctor_fix(c, "check kernel.perf_event_paranoid, SELinux/AppArmor policy for perf_event and bpf, "
			      "and that the kernel has CONFIG_UPROBE_EVENTS=y and CONFIG_BPF_EVENTS=y");
		return;
	}
	sw_doctor_add(r, "uprobes", SW_DOCTOR_OK, "a test BPF uprobe attached and detached (event source %d)", type);
}

/* ---- bpffs and pins ------------------------------------------------------ */

static void parent_dir(const char *path, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(out, len, ".");
	else if (slash == path)
		snprintf(out, len, "/");
	else
		snprintf(out, len, "%.*s", (int)(slash - path), path);
}

void sw_doctor_check_bpffs(struct sw_doctor_report *r, const char *pin_dir)
{
	char parent[PATH_MAX];
	struct statfs sf;
	struct sw_doctor_check *c;

	parent_dir(pin_dir, parent, sizeof(parent));
	if (statfs(parent, &sf) != 0 || sf.f_type != BPF_FS_MAGIC_NUMBER) {
		char what[160];
		if (statfs(parent, &sf) != 0)
			snprintf(what, sizeof(what), "%s", strerror(errno));
		else
			snprintf(what, sizeof(what), "file system type 0x%llx", (unsigned long long)sf.f_type);
		c = sw_doctor_add(r, "bpffs", SW_DOCTOR_FAIL, "%s is not a mounted bpffs (%s): sqlward run cannot pin "
				  "the probes under %s, so the gate could not stay closed while the daemon restarts",
				  parent, what, pin_dir);
		sw_doctor_fix(c, "mount -t bpf bpf %s (to keep it across reboots, add to /etc/fstab: bpf %s bpf "
			      "defaults 0 0)", parent, parent);
		return;
	}
	sw_doctor_add(r, "bpffs", SW_DOCTOR_OK, "bpffs mounted at %s", parent);
}

/* The MariaDB restart watch attaches to chdir/fchdir tracepoints, found through tracefs. */
void sw_doctor_check_tracefs(struct sw_doctor_report *r)
{
	struct sw_doctor_check *c;
	const char *dir = sw_tracefs_dir();

	if (sw_tracefs_ready()) {
		sw_doctor_add(r, "tracefs", SW_DOCTOR_OK, "tracefs at %s has the syscall tracepoints (the MariaDB "
			      "restart watch)", dir);
		return;
	}
	c = sw_doctor_add(r, "tracefs", SW_DOCTOR_WARN, "no syscall tracepoints under %s: sqlward run mounts tracefs "
			  "when it governs MariaDB; where it cannot, a restarted mariadbd is gated only once a /proc look "
			  "finds it, and it may serve statements before that", dir);
	sw_doctor_fix(c, "mount -t tracefs tracefs %s (to keep it across reboots, add to /etc/fstab: tracefs %s "
		      "tracefs defaults 0 0)", dir, dir);
}

void sw_doctor_check_pins(struct sw_doctor_report *r, const char *pin_dir)
{
	DIR *d;
	struct dirent *de;
	int links = 0, maps = 0, gates = 0, live = 0, foreign_pg = 0, foreign_my = 0, unreadable = 0;
	char gate_list[1024] = "", why[512] = "", orphan_watch[512] = "";
	struct sw_doctor_check *c;

	if (!is_root()) {
		sw_doctor_add(r, "pins", SW_DOCTOR_SKIP, "reading pinned BPF objects needs root");
		return;
	}
	if (!(d = opendir(pin_dir))) {
		if (errno == ENOENT)
			sw_doctor_add(r, "pins", SW_DOCTOR_OK, "no pin directory %s: no gate is loaded", pin_dir);
		else
			sw_doctor_fix(sw_doctor_add(r, "pins", SW_DOCTOR_WARN, "cannot read %s: %s", pin_dir,
						    strerror(errno)),
				      "check that %s is a directory on bpffs readable by root", pin_dir);
		return;
	}
	while ((de = readdir(d))) {
		char path[PATH_MAX];
		int dpid = 0, mpid = 0, fd;
		char kind[8] = "";
		bool my = sscanf(de->d_name, "mariadb-%d-%d-%7s", &dpid, &mpid, kind) == 3;
		bool pg = !my && sscanf(de->d_name, "bss-%d", &dpid) == 1;
		uint32_t abi = 0;
		enum sw_abi_state st;
		char err[256] = "";

		if (de->d_name[0] == '.')
			continue;
		/* A MariaDB restart watch whose daemon is gone: it kills a server entering that data directory. */
		if (my && strcmp(kind, "chdir") == 0 && !sw_gate_pin_owner_alive(dpid))
			snprintf(orphan_watch + strlen(orphan_watch), sizeof(orphan_watch) - strlen(orphan_watch),
				 "%smariadbd %d (daemon %d gone)", orphan_watch[0] ? ", " : "", mpid, dpid);
		/* Maps: ring-PID and the .bss pins (bss-PID, mariadb-DAEMON-SERVER-bss); the rest are links. */
		if (!pg && !(my && strcmp(kind, "bss") == 0)) {
			if (strncmp(de->d_name, "ring-", 5) == 0)
				maps++;
			else
				links++;
			continue;
		}
		maps++;
		gates++;
		live += sw_gate_pin_owner_alive(dpid);
		snprintf(path, sizeof(path), "%s/%s", pin_dir, de->d_name);
		fd = bpf_obj_get(path);
		st = fd >= 0 ? sw_gate_map_abi(fd, &abi, err, sizeof(err)) : SW_ABI_UNREADABLE;
		if (fd < 0)
			snprintf(err, sizeof(err), "%s", strerror(errno));
		else
			close(fd);
		snprintf(gate_list + strlen(gate_list), sizeof(gate_list) - strlen(gate_list), "%s%s (%s, daemon %d %s)",
			 gate_list[0] ? ", " : "", de->d_name,
			 st == SW_ABI_CARRIED ? (abi == SW_ABI_VERSION ? "our ABI" : "another build's ABI") :
			 st == SW_ABI_NONE ? "no ABI number: an older build" : "unreadable",
			 dpid, sw_gate_pin_owner_alive(dpid) ? "running" : "gone");
		if (st == SW_ABI_UNREADABLE) {
			unreadable++;
			snprintf(why, sizeof(why), "%.200s: %.300s", de->d_name, err);
		} else if (!sw_abi_readable(st, abi)) {
			char proc[32];
			snprintf(proc, sizeof(proc), "/proc/%d", mpid);
			/* The daemon refuses another build's probe only on a mariadbd it is to govern (still running). */
			if (my && access(proc, F_OK) == 0)
				foreign_my++;
			else
				foreign_pg++;
		}
	}
	closedir(d);
	if (!links && !maps) {
		sw_doctor_add(r, "pins", SW_DOCTOR_OK, "%s is empty: no gate is loaded", pin_dir);
		return;
	}
	if (orphan_watch[0]) {
		c = sw_doctor_add(r, "mariadb-restart-watch", SW_DOCTOR_WARN, "%s holds the MariaDB restart watch of %s: "
				  "with no daemon to gate it, a MariaDB server started in that server's data directory is "
				  "killed as it enters it (fail closed)", pin_dir, orphan_watch);
		sw_doctor_fix(c, "start sqlward (--mariadb-pid of the running server) before restarting MariaDB; to run "
			      "MariaDB ungated instead, `sqlward detach %s`", pin_dir);
	}
	if (foreign_my) {
		c = sw_doctor_add(r, "pins", SW_DOCTOR_FAIL, "%s: %d links, %d maps; gates: %s; a MariaDB probe there "
				  "is from another sqlward build (ours: ABI %d), and sqlward run refuses to start over it",
				  pin_dir, links, maps, gate_list, SW_ABI_VERSION);
		sw_doctor_fix(c, "stop governed MariaDB clients, run `sqlward detach %s`, then start the daemon", pin_dir);
	} else if (foreign_pg || unreadable) {
		c = sw_doctor_add(r, "pins", SW_DOCTOR_WARN, "%s: %d links, %d maps; gates: %s%s%s", pin_dir, links, maps,
				  gate_list, why[0] ? "; " : "", why);
		if (foreign_pg)
			sw_doctor_fix(c, "nothing is required: the next daemon does not read another build's gate and "
				      "removes its pins (ledger event previous_gate_other_build); to remove them now, with "
				      "no daemon running, run `sqlward detach %s`", pin_dir);
		else
			sw_doctor_fix(c, "the next daemon cannot read these either and removes them; to remove them now, "
				      "with no daemon running, run `sqlward detach %s`", pin_dir);
	} else {
		sw_doctor_add(r, "pins", SW_DOCTOR_OK, "%s: %d links, %d maps; gates: %s (%d with a running daemon); "
			      "all carry this build's ABI %d", pin_dir, links, maps, gates ? gate_list : "none", live,
			      SW_ABI_VERSION);
	}
}

/* ---- database binaries -------------------------------------------------- */

static void list_missing(char *out, size_t len, const char *const *names, const bool *missing, size_t n)
{
	out[0] = 0;
	for (size_t i = 0; i < n; i++)
		if (missing[i])
			snprintf(out + strlen(out), len - strlen(out), "%s%s", out[0] ? ", " : "", names[i]);
}

static void check_one_postgres(struct sw_doctor_report *r, const char *path)
{
	const char *names[SW_FN__COUNT];
	bool missing[SW_FN__COUNT];
	size_t n = 0;
	struct sw_pg_layout *L = sw_xcalloc(1, sizeof(*L));
	char err[1024] = "", miss[512] = "", bid[128] = "", ident[320];
	int nmiss, rc;
	struct sw_doctor_check *c;

	/* The probed functions the binary must export (fmgr_info_cxt_security is static: found
	 * through fmgr_info's code, so it is not looked up by name). */
	for (int f = 0; f < SW_FN__COUNT; f++)
		if (f != SW_FN_FMGR_LOOKUP)
			names[n++] = sw_pg_layout_fn_name(f);
	nmiss = sw_doctor_missing_dynsyms(path, names, n, missing);
	if (nmiss > 0)
		list_missing(miss, sizeof(miss), names, missing, n);
	if (!sw_doctor_build_id(path, bid, sizeof(bid)))
		snprintf(bid, sizeof(bid), "none");
	rc = sw_pg_layout_load(path, L, err, sizeof(err));
	snprintf(ident, sizeof(ident), "%s%s, build id %s", L->version[0] ? "PostgreSQL " : "version unknown",
		 L->version, bid);
	if (rc < 0) {
		c = sw_doctor_add(r, "postgres-binary", SW_DOCTOR_FAIL, "%s (%s): %s%s%ssqlward run refuses it", path,
				  ident, miss[0] ? "missing probe symbols: " : "", miss, miss[0] ? "; " : "");
		sw_doctor_fix(c, "%s", err);
	} else if (miss[0] || L->exec_problem[0] || L->function_problem[0] || L->outcome_problem[0]) {
		c = sw_doctor_add(r, "postgres-binary", SW_DOCTOR_WARN, "%s (%s): gated, with parts off:%s%s%s%s%s%s%s%s",
				  path, ident, miss[0] ? " missing probe symbols: " : "", miss,
				  L->exec_problem[0] ? " execution checkpoint: " : "", L->exec_problem,
				  L->function_problem[0] ? " function checkpoint: " : "", L->function_problem,
				  L->outcome_problem[0] ? " outcomes: " : "", L->outcome_problem);
		sw_doctor_fix(c, "sqlward still gates this server but cannot see what is named above; use the "
			      "distribution's PostgreSQL %d server build (Debian: postgresql-%d), or report this "
			      "binary's version and build id to the sqlward maintainers", L->major, L->major);
	} else {
		sw_doctor_add(r, "postgres-binary", SW_DOCTOR_OK, "%s (%s): all %zu probe symbols present, layout "
			      "verified", path, ident, n);
	}
	free(L);
}

void sw_doctor_check_postgres(struct sw_doctor_report *r, const char *const *bins, int n)
{
	static char found[SW_PG_MAX_BINS][4096];
	struct sw_doctor_check *c;

	if (n == 0) {
		n = sw_pg_find_binaries(found, SW_PG_MAX_BINS);
		if (n == 0) {
			c = sw_doctor_add(r, "postgres-binary", SW_DOCTOR_FAIL, "no --pg-bin given and no running "
					  "postgres process found: sqlward run would not start");
			sw_doctor_fix(c, "start PostgreSQL first, or name the server binary: sqlward doctor --pg-bin "
				      "/usr/lib/postgresql/15/bin/postgres (and the same --pg-bin for sqlward run)");
			return;
		}
		for (int i = 0; i < n; i++)
			check_one_postgres(r, found[i]);
		return;
	}
	for (int i = 0; i < n; i++)
		check_one_postgres(r, bins[i]);
}

/* Running mariadbd (or mysqld) processes, up to max (threads are not listed in /proc). */
static int find_mariadb(int *pids, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		char exe[4096];
		const char *base;
		int pid = atoi(de->d_name);
		if (pid <= 0 || !sw_proc_exe(pid, exe, sizeof(exe)))
			continue;
		base = strrchr(exe, '/');
		base = base ? base + 1 : exe;
		if (strcmp(base, "mariadbd") != 0 && strcmp(base, "mysqld") != 0)
			continue;
		pids[n++] = pid;
	}
	closedir(d);
	return n;
}

/* auto: found running here (not named by --mariadb-pid), so one that exited meanwhile is no finding. */
static void check_one_mariadb(struct sw_doctor_report *r, int pid, bool auto_found)
{
	const char *names[SW_MY_FN__COUNT];
	bool missing[SW_MY_FN__COUNT];
	struct sw_my_layout *L = sw_xcalloc(1, sizeof(*L));
	char exe[64], bin[4096] = "?", err[1024] = "", miss[512] = "", bid[128] = "", ident[400];
	ssize_t len;
	int nmiss;
	struct sw_doctor_check *c;

	snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
	len = readlink(exe, bin, sizeof(bin) - 1);
	if (len <= 0 && auto_found && errno == ENOENT) {
		sw_doctor_add(r, "mariadb-binary", SW_DOCTOR_SKIP, "mariadbd pid %d exited while doctor ran", pid);
		free(L);
		return;
	}
	if (len <= 0) {
		c = sw_doctor_add(r, "mariadb-binary", SW_DOCTOR_FAIL, "mariadbd pid %d: cannot read %s: %s", pid, exe,
				  strerror(errno));
		sw_doctor_fix(c, "pass the pid of a running mariadbd (pidof mariadbd), as root");
		free(L);
		return;
	}
	bin[len] = 0;
	for (int f = 0; f < SW_MY_FN__COUNT; f++)
		names[f] = sw_my_layout_fn_name(f);
	nmiss = sw_doctor_missing_dynsyms(exe, names, SW_MY_FN__COUNT, missing);
	if (nmiss > 0)
		list_missing(miss, sizeof(miss), names, missing, SW_MY_FN__COUNT);
	if (!sw_doctor_build_id(exe, bid, sizeof(bid)))
		snprintf(bid, sizeof(bid), "none");
	if (sw_my_layout_load(exe, L, err, sizeof(err)) < 0) {
		snprintf(ident, sizeof(ident), "build id %s", bid);
		c = sw_doctor_add(r, "mariadb-binary", SW_DOCTOR_FAIL, "pid %d %s (%s): %s%s%ssqlward run refuses it",
				  pid, bin, ident, miss[0] ? "missing probe symbols: " : "", miss, miss[0] ? "; " : "");
		sw_doctor_fix(c, "%s", err);
	} else {
		snprintf(ident, sizeof(ident), "%s%s, build id %s", L->version, L->version_suffix, bid);
		if (!L->bpf.valid || L->problem[0] || miss[0]) {
			c = sw_doctor_add(r, "mariadb-binary", SW_DOCTOR_FAIL, "pid %d %s (%s): %s%s%s%s; sqlward gates only "
					  "servers whose layout it could verify", pid, bin, ident,
					  miss[0] ? "missing probe symbols: " : "", miss, miss[0] ? "; " : "",
					  L->problem[0] ? L->problem : "layout not verified");
			sw_doctor_fix(c, "use the distribution's MariaDB 10.11 server (Debian: mariadb-server), or report "
				      "this binary's version and build id to the sqlward maintainers");
		} else if (L->done_problem[0]) {
			c = sw_doctor_add(r, "mariadb-binary", SW_DOCTOR_WARN, "pid %d %s (%s): gated; completions are not "
					  "recorded: %s", pid, bin, ident, L->done_problem);
			sw_doctor_fix(c, "sqlward still gates this server; for completion records use the "
				      "distribution's MariaDB 10.11 build, or report this binary's build id");
		} else {
			sw_doctor_add(r, "mariadb-binary", SW_DOCTOR_OK, "pid %d %s (%s): all %d probe symbols present, "
				      "layout verified", pid, bin, ident, SW_MY_FN__COUNT);
		}
	}
	free(L);
}

/* Servers stopped in their data directory by a gate's restart watch (my_watch_stops.h) that no daemon
 * gated: they serve nobody, and stay stopped if that daemon and its watchdog both died. */
static void check_watch_stopped(struct sw_doctor_report *r)
{
	pid_t stopped[8];
	char err[256], list[1024] = "", pids[256] = "";
	int n = sw_my_watch_stopped_all(stopped, 8, err, sizeof(err));
	struct sw_doctor_check *c;

	for (int i = 0; i < n; i++) {
		char cwd[64], dir[PATH_MAX] = "?";
		ssize_t k;
		snprintf(cwd, sizeof(cwd), "/proc/%d/cwd", (int)stopped[i]);
		if ((k = readlink(cwd, dir, sizeof(dir) - 1)) > 0)
			dir[k] = 0;
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%d (in %.300s)", i ? ", " : "",
			 (int)stopped[i], dir);
		snprintf(pids + strlen(pids), sizeof(pids) - strlen(pids), "%s%d", i ? " " : "", (int)stopped[i]);
	}
	if (n <= 0)
		return;
	c = sw_doctor_add(r, "mariadb-restart-watch", SW_DOCTOR_FAIL, "MariaDB server process %s stopped (state T) "
			  "where a sqlward restart watch stopped it entering its data directory, and no daemon has gated "
			  "it: it serves nobody (if this lasts more than a moment, the daemon that watched it and its "
			  "watchdog died)", list);
	sw_doctor_fix(c, "start `sqlward run --mariadb-pid PID` (with your usual options) for %s: it gates the server, "
		      "then resumes it; or kill it", pids);
}

void sw_doctor_check_mariadb(struct sw_doctor_report *r, const int *pids, int n)
{
	int found[SW_DOCTOR_MARIADB_MAX];
	bool auto_found = n == 0;

	check_watch_stopped(r);
	if (n == 0) {
		n = find_mariadb(found, SW_DOCTOR_MARIADB_MAX);
		pids = found;
		if (n == 0) {
			sw_doctor_add(r, "mariadb-binary", SW_DOCTOR_SKIP, "no --mariadb-pid given and no running mariadbd%s",
				      is_root() ? "" : " seen (other users' processes are visible to root only)");
			return;
		}
	}
	for (int i = 0; i < n; i++)
		check_one_mariadb(r, pids[i], auto_found);
}

void sw_doctor_check_ptrace_scope(struct sw_doctor_report *r, const char *path)
{
	const char *p = path ? path : DEFAULT_PTRACE_SCOPE;
	char *text = read_small(p);
	int scope = sw_doctor_parse_ptrace_scope(text);
	struct sw_doctor_check *c;

	if (!text) {
		sw_doctor_add(r, "ptrace-scope", SW_DOCTOR_OK, "no %s: Yama is not active", p);
		return;
	}
	if (scope < 0) {
		c = sw_doctor_add(r, "ptrace-scope", SW_DOCTOR_WARN, "%s holds \"%.40s\", not a Yama scope (0-3)", p,
				  text);
		sw_doctor_fix(c, "check it by hand: sysctl kernel.yama.ptrace_scope (0, 1 or 2 are fine for root)");
	} else if (scope == 3) {
		c = sw_doctor_add(r, "ptrace-scope", SW_DOCTOR_FAIL, "Yama ptrace_scope 3 (no attach): the MariaDB hold "
				  "(PTRACE_SEIZE of a connection's thread) and reading a held backend's memory "
				  "(process_vm_readv) are refused, even for root");
		sw_doctor_fix(c, "set kernel.yama.ptrace_scope=2 (or 1) in /etc/sysctl.d/ and reboot: scope 3 cannot "
			      "be lowered while the kernel runs");
	} else {
		sw_doctor_add(r, "ptrace-scope", SW_DOCTOR_OK, "Yama ptrace_scope %d: root (CAP_SYS_PTRACE) may trace "
			      "and read the servers", scope);
	}
	free(text);
}

/* ---- policy, ledger, daemon --------------------------------------------- */

void sw_doctor_check_policy(struct sw_doctor_report *r, const char *path)
{
	struct sw_policy *p = NULL;
	char err[1024];
	struct sw_doctor_check *c;

	if (access(path, F_OK) != 0 && errno == ENOENT) {
		c = sw_doctor_add(r, "policy", SW_DOCTOR_WARN, "no policy file at %s: sqlward run would not start", path);
		if (strcmp(path, "/etc/sqlward/policy.yaml") == 0)
			sw_doctor_fix(c, "%s (from the sqlward source tree), then edit it", INSTALL_POLICY);
		else
			sw_doctor_fix(c, "install -m 0640 policies/default.yaml %s (from the sqlward source tree), "
				      "or pass --policy FILE", path);
		return;
	}
	if (sw_policy_load(path, &p, err, sizeof(err)) < 0) {
		c = sw_doctor_add(r, "policy", SW_DOCTOR_FAIL, "the policy does not load: %s", err);
		sw_doctor_fix(c, "correct %s where the message above points, then check it with sqlward doctor "
			      "--policy %s (or try statements against it: sqlward check --policy %s FILE.sql)", path,
			      path, path);
		return;
	}
	sw_doctor_add(r, "policy", SW_DOCTOR_OK, "%s loads (sha256 %.16s...)", path, sw_policy_digest(p));
	sw_policy_free(p);
}

void sw_doctor_check_ledger(struct sw_doctor_report *r, const char *path)
{
	struct sw_verify_opts vo = { .skip_blobs = false };
	struct sw_verify_result res;
	struct sw_ledger_anchor head = { 0 };
	char herr[512];
	int head_rc;
	struct stat st;
	char dir[PATH_MAX];
	struct sw_doctor_check *c;

	if (stat(path, &st) != 0) {
		struct stat ds;
		parent_dir(path, dir, sizeof(dir));
		if (stat(dir, &ds) != 0) {
			c = sw_doctor_add(r, "ledger", SW_DOCTOR_WARN, "no ledger at %s, and its directory %s does not "
					  "exist: sqlward run cannot create the ledger", path, dir);
			sw_doctor_fix(c, "install -d -m 0750 %s (or pass --ledger FILE to sqlward run)", dir);
		} else if (is_root() && access(dir, W_OK | X_OK) != 0) {
			c = sw_doctor_add(r, "ledger", SW_DOCTOR_WARN, "no ledger at %s, and its directory %s is not "
					  "writable: %s", path, dir, strerror(errno));
			sw_doctor_fix(c, "make %s a directory root can write (install -d -m 0750 %s), or pass --ledger "
				      "FILE to sqlward run", dir, dir);
		} else {
			sw_doctor_add(r, "ledger", SW_DOCTOR_SKIP, "no ledger at %s yet: the daemon starts one there", path);
		}
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		sw_doctor_add(r, "ledger", SW_DOCTOR_SKIP, "%s is a directory; verify its files with sqlward verify",
			      path);
		return;
	}
	/* PATH.head: the chain end the writer last synced; sqlward run refuses a ledger that ends before it. */
	head_rc = sw_ledger_read_head_file(path, &head, herr, sizeof(herr));
	if (head_rc < 0 && errno == EINVAL) {
		c = sw_doctor_add(r, "ledger", SW_DOCTOR_FAIL, "%s; sqlward run refuses to start until it is fixed", herr);
		sw_doctor_fix(c, "%s.head must hold {\"seq\":N,\"head\":\"...\"} as the daemon wrote it: find out who "
			      "changed it, then restore it or move it aside (the ledger is then checked without it)", path);
		return;
	}
	vo.probe_seq = head_rc > 0 ? head.seq : 0;
	if (sw_ledger_verify_opts(path, &vo, &res) != 0) {
		c = sw_doctor_add(r, "ledger", SW_DOCTOR_FAIL, "cannot read the ledger %s: %s", path, res.reason);
		sw_doctor_fix(c, "%s", strstr(res.reason, "ermission") ? "run as root or as a member of the ledger's group" :
			      "check the file's permissions and the disk (the daemon must read and append it)");
		return;
	}
	if (res.ok && head_rc > 0 && res.records && res.last_seq < head.seq) {
		c = sw_doctor_add(r, "ledger", SW_DOCTOR_FAIL, "%s ends at seq %llu, but %s.head says the chain had reached "
				  "seq %llu: records were deleted from its end, or this is an older copy; sqlward run "
				  "refuses to append to it", path, (unsigned long long)res.last_seq, path,
				  (unsigned long long)head.seq);
		sw_doctor_fix(c, "restore the missing records from a backup of %s, or keep this file as evidence and "
			      "move it aside (mv %s %s.truncated): the daemon then starts a new file that continues "
			      "the chain from %s.head", path, path, path, path);
	} else if (res.ok && head_rc > 0 && res.probe_found && strcmp(res.probe_head, head.head) != 0) {
		c = sw_doctor_add(r, "ledger", SW_DOCTOR_FAIL, "%s: record %llu has hash %.16s..., but %s.head says "
				  "%.16s...: the file is not the chain its head file describes; sqlward run refuses it",
				  path, (unsigned long long)head.seq, res.probe_head, path, head.head);
		sw_doctor_fix(c, "the ledger was rewritten or replaced: keep it as evidence, restore the original "
			      "from a backup (sqlward verify --ledger %s shows the details)", path);
	} else if (res.ok) {
		sw_doctor_add(r, "ledger", SW_DOCTOR_OK, "%s: %zu records verify (seq %llu..%llu, head %.16s...)%s%s",
			      path, res.records, (unsigned long long)res.first_seq, (unsigned long long)res.last_seq,
			      res.head, head_rc > 0 ? ", its .head file is in the chain" : "",
			      res.gaps ? ", with gap records (sqlward verify lists them)" : "");
	} else if (res.torn_tail) {
		c = sw_doctor_add(r, "ledger", SW_DOCTOR_WARN, "%s: %zu records verify; the last line has no newline "
				  "(a writer died mid-write)", path, res.records);
		sw_doctor_fix(c, "nothing to do by hand: the daemon sets the torn bytes aside (PATH.torn-SEQ) when it "
			      "opens the ledger and records that it did");
	} else if (res.bad_line) {
		c = sw_doctor_add(r, "ledger", SW_DOCTOR_FAIL, "%s does not verify: line %zu: %s (%zu records before it "
				  "verify); sqlward run refuses to append to it", path, res.bad_line, res.reason,
				  res.records);
		sw_doctor_fix(c, "the ledger was altered or damaged: keep it as evidence (sqlward verify --ledger %s "
			      "shows the details), move it aside (mv %s %s.broken) so the daemon starts a new one, "
			      "and find out who changed it", path, path, path);
	} else {
		c = sw_doctor_add(r, "ledger", SW_DOCTOR_FAIL, "%s: %zu records verify, but %zu statement texts are "
				  "missing or bad (line %zu: %s)", path, res.records, res.blob_errors,
				  res.blob_bad_line, res.blob_reason);
		sw_doctor_fix(c, "restore %s.blobs/ from a backup; sqlward verify --ledger %s lists every bad text",
			      path, path);
	}
}

void sw_doctor_check_control_socket(struct sw_doctor_report *r, const char *socket_path)
{
	char dir[PATH_MAX], up[PATH_MAX];
	struct stat st;
	struct sw_doctor_check *c;

	parent_dir(socket_path, dir, sizeof(dir));
	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode) || access(dir, W_OK | X_OK) != 0) {
			c = sw_doctor_add(r, "control-socket", is_root() ? SW_DOCTOR_FAIL : SW_DOCTOR_SKIP,
					  "%s (directory of the control socket %s) is not a writable directory%s", dir,
					  socket_path, is_root() ? "" : " for this user");
			sw_doctor_fix(c, "install -d -m 0750 %s as root (systemd: RuntimeDirectory=sqlward), or pass "
				      "--socket PATH", dir);
			return;
		}
		sw_doctor_add(r, "control-socket", SW_DOCTOR_OK, "%s is writable%s", dir,
			      access(socket_path, F_OK) == 0 ? " (a socket is there: a daemon runs, or one died "
							       "before removing it; the next daemon replaces it)" : "");
		return;
	}
	parent_dir(dir, up, sizeof(up));
	if (access(up, W_OK | X_OK) == 0) {
		sw_doctor_add(r, "control-socket", SW_DOCTOR_OK, "%s does not exist yet; the daemon creates it in %s",
			      dir, up);
		return;
	}
	c = sw_doctor_add(r, "control-socket", is_root() ? SW_DOCTOR_FAIL : SW_DOCTOR_SKIP,
			  "%s does not exist and %s is not writable: the daemon cannot create its control socket %s",
			  dir, up, socket_path);
	sw_doctor_fix(c, "install -d -m 0750 %s as root, or pass --socket PATH", dir);
}

/* Holders of flocks on the file st names, from /proc/locks (read-only: no lock is taken). */
static int lock_holders(const struct stat *st, int *pids, int max, bool *exclusive)
{
	FILE *f = fopen("/proc/locks", "r");
	char line[512];
	int n = 0;

	*exclusive = false;
	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		unsigned long ino;
		int pid;
		char mode[16];
		char *s = strstr(line, "FLOCK");
		if (!s || strstr(line, "->") || sscanf(s, "FLOCK %*s %15s %d %x:%x:%lu", mode, &pid, &maj, &min, &ino) != 5)
			continue;
		if (ino == st->st_ino && makedev(maj, min) == st->st_dev) {
			pids[n++] = pid;
			*exclusive |= strcmp(mode, "WRITE") == 0;
		}
	}
	fclose(f);
	return n;
}

/* What an instance lock file stands for (instance_lock.c names them): binary-SHA16 or cluster-DEV-INO. */
static void lock_subject(const char *name, const char *const *bins, int n_bins, char *out, size_t len)
{
	snprintf(out, len, "%s", strncmp(name, "cluster-", 8) == 0 ? "a cluster, scoped with --postmaster-pid" :
			       "a server binary");
	for (int i = 0; i < n_bins && strncmp(name, "binary-", 7) == 0; i++) {
		char real[PATH_MAX], sha[65];
		if (!realpath(bins[i], real))
			snprintf(real, sizeof(real), "%s", bins[i]);
		sw_sha256_hex(real, strlen(real), sha);
		if (strncmp(name + 7, sha, 16) == 0)
			snprintf(out, len, "the server binary %.300s", real);
	}
}

void sw_doctor_check_other_daemon(struct sw_doctor_report *r, const char *lock_dir, const char *const *bins,
				  int n_bins)
{
	DIR *d = opendir(lock_dir);
	struct dirent *de;
	char found[2048] = "";
	int held = 0;
	struct sw_doctor_check *c;

	if (!d) {
		sw_doctor_add(r, "other-daemon", SW_DOCTOR_OK, "no instance locks in %s: no sqlward daemon runs", lock_dir);
		return;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char path[PATH_MAX];
		struct stat st;
		int pids[8], n;
		bool excl;
		char what[400];
		if (len < 6 || strcmp(de->d_name + len - 5, ".lock") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", lock_dir, de->d_name);
		if (stat(path, &st) != 0)
			continue;
		n = lock_holders(&st, pids, 8, &excl);
		if (n)
			lock_subject(de->d_name, bins, n_bins, what, sizeof(what));
		for (int i = 0; i < n; i++) {
			held++;
			snprintf(found + strlen(found), sizeof(found) - strlen(found), "%spid %d holds %.300s (%s, %s)",
				 found[0] ? "; " : "", pids[i], path, what, excl ? "exclusive" : "shared");
		}
	}
	closedir(d);
	if (!held) {
		sw_doctor_add(r, "other-daemon", SW_DOCTOR_OK, "no instance lock in %s is held: no sqlward daemon runs",
			      lock_dir);
		return;
	}
	c = sw_doctor_add(r, "other-daemon", SW_DOCTOR_WARN, "a sqlward daemon already runs: %s", found);
	sw_doctor_fix(c, "one daemon governs a binary (or, with --postmaster-pid, a cluster): stop the running one "
		      "(systemctl stop sqlward, or kill the pid named) before starting another, or give each its own "
		      "cluster with --postmaster-pid");
}

void sw_doctor_run_all(struct sw_doctor_report *r, const struct sw_doctor_opts *o)
{
	sw_doctor_check_privileges(r);
	sw_doctor_check_kernel(r);
	sw_doctor_check_btf(r);
	sw_doctor_check_kernel_config(r, o->kconfig_path);
	sw_doctor_check_lockdown(r, o->lockdown_path);
	sw_doctor_check_bpf_features(r);
	sw_doctor_check_bpf_programs(r);
	sw_doctor_check_uprobes(r);
	sw_doctor_check_bpffs(r, o->pin_dir);
	sw_doctor_check_tracefs(r);
	sw_doctor_check_pins(r, o->pin_dir);
	sw_doctor_check_postgres(r, o->pg_bins, o->n_pg_bins);
	sw_doctor_check_mariadb(r, o->mariadb_pids, o->n_mariadb_pids);
	sw_doctor_check_ptrace_scope(r, o->ptrace_scope_path);
	sw_doctor_check_policy(r, o->policy_path);
	sw_doctor_check_ledger(r, o->ledger_path);
	sw_doctor_check_control_socket(r, o->socket_path);
	{
		/* The binaries run would govern: those named, else those running (as the postgres check finds them). */
		static char found[SW_PG_MAX_BINS][4096];
		const char *bins[SW_PG_MAX_BINS];
		int n = o->n_pg_bins;
		for (int i = 0; i < n; i++)
			bins[i] = o->pg_bins[i];
		if (n == 0) {
			n = sw_pg_find_binaries(found, SW_PG_MAX_BINS);
			for (int i = 0; i < n; i++)
				bins[i] = found[i];
		}
		sw_doctor_check_other_daemon(r, o->lock_dir, bins, n);
	}
}
