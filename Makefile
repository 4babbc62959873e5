# sqlward build. `make` builds build/sqlward; `make test` and `make demo`
# first install missing Debian packages (scripts/install-deps.sh).

CC       ?= cc
CLANG    ?= clang
BPFTOOL  ?= bpftool
ARCH     := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

BUILD    := build
CFLAGS_COMMON := -std=gnu11 -Wall -Wextra -Werror -g -I$(BUILD) -Ibpf -Iuserspace \
                 -D_GNU_SOURCE -I$(shell pg_config --includedir)
CFLAGS   ?= -O2
# pg_tree.c receives libpg_query's parse tree before it is serialized (see pg_tree.h).
PG_TREE_WRAP := -Wl,--wrap=pg_query__parse_result__get_packed_size -Wl,--wrap=pg_query__parse_result__pack
LIBS     := $(PG_TREE_WRAP) -l:libpg_query.a -lbpf -lelf -lz -lyaml -ljansson -lcrypto -lpq -lcurl -lpthread
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

BPF_SRC  := bpf/sqlward.bpf.c
BPF_OBJ  := $(BUILD)/sqlward.bpf.o
SKEL     := $(BUILD)/sqlward.skel.h

LIB_SRC  := $(filter-out userspace/main.c,$(wildcard userspace/*.c))
LIB_OBJ  := $(patsubst userspace/%.c,$(BUILD)/obj/%.o,$(LIB_SRC))
TLIB_OBJ := $(patsubst userspace/%.c,$(BUILD)/tobj/%.o,$(LIB_SRC))
HDRS     := $(wildcard userspace/*.h) bpf/sqlward.h bpf/shape_normalize.h

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/test/%,$(UNIT_SRC))

.PHONY: all deps test unit integration demo bench clean fuzz
all: $(BUILD)/sqlward

deps:
	@scripts/install-deps.sh

$(BUILD)/.dir:
	@mkdir -p $(BUILD)/obj $(BUILD)/tobj $(BUILD)/test $(BUILD)/tools
	@touch $@

# BPF: CO-RE against the committed vmlinux.h.
$(BPF_OBJ): $(BPF_SRC) bpf/sqlward.h bpf/shape_normalize.h vmlinux/vmlinux.h | $(BUILD)/.dir
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Ivmlinux -Ibpf \
		-Wall -Werror -c $< -o $@

$(SKEL): $(BPF_OBJ)
	$(BPFTOOL) gen skeleton $< name sqlward_bpf > $@

$(BUILD)/obj/%.o: userspace/%.c $(HDRS) $(SKEL) | $(BUILD)/.dir
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) -c $< -o $@

$(BUILD)/tobj/%.o: userspace/%.c $(HDRS) $(SKEL) | $(BUILD)/.dir
	$(CC) $(CFLAGS_COMMON) -O1 $(SAN) -c $< -o $@

$(BUILD)/sqlward: $(LIB_OBJ) $(BUILD)/obj/main.o
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

# Test build: the same program under AddressSanitizer and UBSan.
$(BUILD)/test/sqlward: $(TLIB_OBJ) $(BUILD)/tobj/main.o
	$(CC) $(SAN) -o $@ $^ $(LIBS)

$(BUILD)/test/test_%: tests/unit/test_%.c $(TLIB_OBJ) tests/unit/unit.h
	$(CC) $(CFLAGS_COMMON) -O1 $(SAN) -Itests/unit -o $@ $< $(TLIB_OBJ) $(LIBS) -lcmocka

# A libpq client that uses the extended protocol (PQprepare/PQexecPrepared).
$(BUILD)/tools/pq_extended: tests/tools/pq_extended.c | $(BUILD)/.dir
	$(CC) $(CFLAGS_COMMON) -O1 -I$(shell pg_config --includedir) -o $@ $< -lpq

# A libpq client that calls a function through the fastpath interface (PQfn).
$(BUILD)/tools/pq_fastpath: tests/tools/pq_fastpath.c | $(BUILD)/.dir
	$(CC) $(CFLAGS_COMMON) -O1 -Wno-deprecated-declarations -I$(shell pg_config --includedir) -o $@ $< -lpq

# libFuzzer target for the kernel's shape normalizer (tests/fuzz/fuzz_shape.c).
$(BUILD)/fuzz/fuzz_shape: tests/fuzz/fuzz_shape.c tests/shape_oracle.h $(LIB_SRC) $(HDRS) $(SKEL)
	@mkdir -p $(BUILD)/fuzz
	$(CLANG) -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I$(BUILD) -Ibpf \
		-Iuserspace -I$(shell pg_config --includedir) -o $@ tests/fuzz/fuzz_shape.c $(LIB_SRC) $(LIBS)

FUZZ_SECONDS ?= 60
fuzz: $(BUILD)/fuzz/fuzz_shape
	@tests/run-fuzz.sh $(FUZZ_SECONDS)

unit: $(UNIT_BIN)
	@tests/run-unit.sh $(UNIT_BIN)

integration: $(BUILD)/test/sqlward $(BUILD)/tools/pq_extended $(BUILD)/tools/pq_fastpath
	@tests/integration/run.sh

test: deps
	@$(MAKE) --no-print-directory $(BUILD)/sqlward $(BUILD)/test/sqlward $(UNIT_BIN) $(BUILD)/tools/pq_extended $(BUILD)/tools/pq_fastpath \
		$(BUILD)/fuzz/fuzz_shape
	@tests/run-all.sh

demo: deps
	@$(MAKE) --no-print-directory $(BUILD)/sqlward
	@scripts/demo.sh

# A benchmark, never a test (root; about 17 minutes): bench/run.sh writes
# tests/bench/results/<date>-<host>.{md,png,tsv}.
$(BUILD)/tools/classify_bench: bench/classify_bench.c bench/bench_cpu.h $(LIB_OBJ) | $(BUILD)/.dir
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) -o $@ $< $(LIB_OBJ) $(LIBS)

$(BUILD)/tools/record_bench: bench/record_bench.c bench/bench_cpu.h $(LIB_OBJ) | $(BUILD)/.dir
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) -o $@ $< $(LIB_OBJ) $(LIBS)

bench:
	@scripts/install-deps.sh --bench
	@$(MAKE) --no-print-directory $(BUILD)/sqlward $(BUILD)/tools/classify_bench $(BUILD)/tools/record_bench
	@bench/run.sh

clean:
	rm -rf $(BUILD)
