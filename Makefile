# sqlward build. `make` builds build/sqlward; `make test` and `make demo`
# first install missing Debian packages (scripts/install-deps.sh).

CC       ?= cc
CLANG    ?= clang
BPFTOOL  ?= bpftool
# The kernel's name for this architecture (bpf_tracing.h's __TARGET_ARCH_*, vmlinux/<arch>/).
ARCH     := $(shell uname -m | sed 's/^x86_64$$/x86/;s/^i.86$$/x86/;s/^aarch64$$/arm64/;s/^armv.*/arm/;\
		s/^ppc64.*/powerpc/;s/^s390x$$/s390/;s/^riscv64$$/riscv/;s/^loongarch64$$/loongarch/;s/^mips.*/mips/')

BUILD    := build
CFLAGS_COMMON := -std=gnu11 -Wall -Wextra -Werror -g -I$(BUILD) -Ibpf -Iuserspace -Iuserspace/postgres -Iuserspace/mariadb \
                 -D_GNU_SOURCE -I$(shell pg_config --includedir) $(shell mariadb_config --cflags)
CFLAGS   ?= -O2
# pg_tree.c receives libpg_query's parse tree before it is serialized (see pg_tree.h).
PG_TREE_WRAP := -Wl,--wrap=pg_query__parse_result__get_packed_size -Wl,--wrap=pg_query__parse_result__pack
LIBS     := $(PG_TREE_WRAP) -l:libpg_query.a -lbpf -lelf -lz -lyaml -ljansson -lcrypto -lpq -lcurl -lpthread $(shell mariadb_config --libs)
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

# Every bpf/NAME.bpf.c builds to $(BUILD)/NAME.bpf.o and its skeleton $(BUILD)/NAME.skel.h
# (struct NAME_bpf; dashes and dots in NAME become underscores).
BPF_SRC  := $(wildcard bpf/*.bpf.c)
BPF_OBJ  := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRC))
SKELS    := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRC))
VMLINUX_H := vmlinux/$(ARCH)/vmlinux.h
# Which userspace object includes which skeleton, one OBJECT:NAME pair per user
# (userspace/OBJECT.c includes NAME.skel.h; OBJECT keeps its engine folder). A generated header must be an explicit
# prerequisite of its users: the compiler's .d files only exist after a first compile.
SKEL_USERS := postgres/bpf_gate:sqlward mariadb/my_gate:mariadb

# Engine-neutral code in userspace/, each engine's own in userspace/postgres/ and userspace/mariadb/.
LIB_SRC  := $(filter-out userspace/main.c,$(wildcard userspace/*.c userspace/postgres/*.c userspace/mariadb/*.c))
LIB_OBJ  := $(patsubst userspace/%.c,$(BUILD)/obj/%.o,$(LIB_SRC))
TLIB_OBJ := $(patsubst userspace/%.c,$(BUILD)/tobj/%.o,$(LIB_SRC))
# MariaDB grammar: bison turns userspace/mariadb/my_grammar.y into $(BUILD)/gen/my_grammar.tab.c, which is
# compiled into both libraries like a userspace/*.c (the -Wno- flags are for bison's output only).
MY_GRAMMAR_C := $(BUILD)/gen/my_grammar.tab.c
MY_GRAMMAR_CFLAGS := -Wno-unused-but-set-variable -Wno-unused-parameter
LIB_OBJ  += $(BUILD)/obj/my_grammar.tab.o
TLIB_OBJ += $(BUILD)/tobj/my_grammar.tab.o
$(MY_GRAMMAR_C): userspace/mariadb/my_grammar.y
	@mkdir -p $(BUILD)/gen
	bison -Wall -o $@ --defines=$(BUILD)/gen/my_grammar.tab.h $<
$(BUILD)/obj/my_grammar.tab.o: $(MY_GRAMMAR_C) | $(BUILD)/.dir
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) $(MY_GRAMMAR_CFLAGS) $(DEPFLAGS) -c $< -o $@
$(BUILD)/tobj/my_grammar.tab.o: $(MY_GRAMMAR_C) | $(BUILD)/.dir
	$(CC) $(CFLAGS_COMMON) -O1 $(SAN) $(MY_GRAMMAR_CFLAGS) $(DEPFLAGS) -c $< -o $@
HDRS     := $(wildcard userspace/*.h userspace/postgres/*.h userspace/mariadb/*.h) bpf/sqlward.h bpf/shape_normalize.h
# Header dependencies: every compile writes a .d file next to its output (-MP: a header
# that goes away does not break the build), read back by the -include at the end.
DEPFLAGS  = -MMD -MP -MF $@.d -MT $@

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/test/%,$(UNIT_SRC))

.PHONY: all deps test unit integration demo bench clean fuzz bpf vmlinux
.DELETE_ON_ERROR:
all: $(BUILD)/sqlward

deps:
	@scripts/install-deps.sh

$(BUILD)/.dir:
	@mkdir -p $(BUILD)/obj $(BUILD)/tobj $(BUILD)/test $(BUILD)/tools
	@touch $@

# BPF: CO-RE against the committed vmlinux/<arch>/vmlinux.h (`make vmlinux` makes this machine's).
bpf: $(BPF_OBJ) $(SKELS)

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(VMLINUX_H) | $(BUILD)/.dir
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Ivmlinux/$(ARCH) -Ibpf \
		-Wall -Werror $(DEPFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst .,_,$(subst -,_,$*))_bpf > $@

$(VMLINUX_H):
	@echo "no $@: there is no vmlinux.h for architecture $(ARCH) yet; generate it from" \
		"this machine's kernel with 'make vmlinux' (needs bpftool and /sys/kernel/btf/vmlinux)" >&2
	@exit 1

# This machine's kernel types for CO-RE (a kernel built with CONFIG_DEBUG_INFO_BTF).
vmlinux:
	@test -r /sys/kernel/btf/vmlinux || { echo "cannot read /sys/kernel/btf/vmlinux: run as root" \
		"on a kernel built with BTF (CONFIG_DEBUG_INFO_BTF=y)" >&2; exit 1; }
	@mkdir -p vmlinux/$(ARCH)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX_H).tmp
	mv $(VMLINUX_H).tmp $(VMLINUX_H)

skel_user = $(BUILD)/obj/$(1).o $(BUILD)/tobj/$(1).o: $(BUILD)/$(2).skel.h
$(foreach u,$(SKEL_USERS),$(eval $(call skel_user,$(firstword $(subst :, ,$(u))),$(lastword $(subst :, ,$(u))))))

$(BUILD)/obj/%.o: userspace/%.c | $(BUILD)/.dir
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/tobj/%.o: userspace/%.c | $(BUILD)/.dir
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) -O1 $(SAN) $(DEPFLAGS) -c $< -o $@

$(BUILD)/sqlward: $(LIB_OBJ) $(BUILD)/obj/main.o
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

# Test build: the same program under AddressSanitizer and UBSan.
$(BUILD)/test/sqlward: $(TLIB_OBJ) $(BUILD)/tobj/main.o
	$(CC) $(SAN) -o $@ $^ $(LIBS)

$(BUILD)/test/test_%: tests/unit/test_%.c $(TLIB_OBJ)
	$(CC) $(CFLAGS_COMMON) -O1 $(SAN) $(DEPFLAGS) -Itests/unit -o $@ $< $(TLIB_OBJ) $(LIBS) -lcmocka

# A libpq client that uses the extended protocol (PQprepare/PQexecPrepared).
$(BUILD)/tools/pq_extended: tests/tools/pq_extended.c | $(BUILD)/.dir
	$(CC) $(CFLAGS_COMMON) -O1 $(DEPFLAGS) -I$(shell pg_config --includedir) -o $@ $< -lpq

# A libpq client that calls a function through the fastpath interface (PQfn).
$(BUILD)/tools/pq_fastpath: tests/tools/pq_fastpath.c | $(BUILD)/.dir
	$(CC) $(CFLAGS_COMMON) -O1 -Wno-deprecated-declarations $(DEPFLAGS) -I$(shell pg_config --includedir) -o $@ $< -lpq

# A libmariadb client: multi-statement strings and server-side prepared statements.
$(BUILD)/tools/my_client: tests/tools/my_client.c | $(BUILD)/.dir
	$(CC) $(CFLAGS_COMMON) -O1 $(shell mariadb_config --cflags) -o $@ $< $(shell mariadb_config --libs)

# Prints what my_layout.c derives from mariadbd and reads a running server's sessions through it.
$(BUILD)/tools/my_layout_dump: tests/tools/my_layout_dump.c $(BUILD)/tobj/mariadb/my_layout.o $(BUILD)/tobj/elf_segments.o | $(BUILD)/.dir
	$(CC) $(CFLAGS_COMMON) -O1 $(SAN) $(DEPFLAGS) -o $@ $< $(BUILD)/tobj/mariadb/my_layout.o $(BUILD)/tobj/elf_segments.o -lelf

# libFuzzer target for the kernel's shape normalizer (tests/fuzz/fuzz_shape.c).
# (One compile of every source: it depends on all of them and every header.)
$(BUILD)/fuzz/fuzz_shape: tests/fuzz/fuzz_shape.c tests/shape_oracle.h $(LIB_SRC) $(HDRS) $(SKELS) $(MY_GRAMMAR_C)
	@mkdir -p $(BUILD)/fuzz
	$(CLANG) -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I$(BUILD) -Ibpf \
		-Iuserspace -Iuserspace/postgres -Iuserspace/mariadb -I$(shell pg_config --includedir) $(shell mariadb_config --cflags) \
		-o $@ tests/fuzz/fuzz_shape.c $(LIB_SRC) \
		$(MY_GRAMMAR_C) $(LIBS)

FUZZ_SECONDS ?= 60
fuzz: $(BUILD)/fuzz/fuzz_shape
	@tests/run-fuzz.sh $(FUZZ_SECONDS)

unit: $(UNIT_BIN)
	@tests/run-unit.sh $(UNIT_BIN)

integration: $(BUILD)/test/sqlward $(BUILD)/tools/pq_extended $(BUILD)/tools/pq_fastpath $(BUILD)/tools/my_client $(BUILD)/tools/my_layout_dump
	@tests/integration/run.sh

test: deps
	@$(MAKE) --no-print-directory $(BUILD)/sqlward $(BUILD)/test/sqlward $(UNIT_BIN) $(BUILD)/tools/pq_extended $(BUILD)/tools/pq_fastpath $(BUILD)/tools/my_client \
		$(BUILD)/tools/my_layout_dump $(BUILD)/fuzz/fuzz_shape
	@tests/run-all.sh

demo: deps
	@$(MAKE) --no-print-directory $(BUILD)/sqlward $(BUILD)/tools/my_client
	@scripts/demo.sh

# A benchmark, never a test (root; about 17 minutes): bench/run.sh writes
# tests/bench/results/<date>-<host>.{md,png,tsv}.
$(BUILD)/tools/classify_bench: bench/classify_bench.c $(LIB_OBJ) | $(BUILD)/.dir
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) $(DEPFLAGS) -o $@ $< $(LIB_OBJ) $(LIBS)

$(BUILD)/tools/record_bench: bench/record_bench.c $(LIB_OBJ) | $(BUILD)/.dir
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) $(DEPFLAGS) -o $@ $< $(LIB_OBJ) $(LIBS)

bench:
	@scripts/install-deps.sh --bench
	@$(MAKE) --no-print-directory $(BUILD)/sqlward $(BUILD)/tools/classify_bench $(BUILD)/tools/record_bench
	@bench/run.sh

clean:
	rm -rf $(BUILD)

-include $(wildcard $(BUILD)/*.d $(BUILD)/*/*.d $(BUILD)/*/*/*.d)
