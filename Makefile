# Makefile for mod_tickets (GNU make).
#
#   make            build build/mod_tickets.so (and mod_tickets_sse.so, once it has glue)
#   make unit       build and run the Check unit tests (build/unit_tests)
#   make run        install packages, build, start PostgreSQL + httpd on :8080
#   make test       install packages, build, unit + integration tests
#   make asan       the same with ASan/UBSan, in build-asan/
#   make install    apxs install + conf snippets in mods-available/; console/
#                   and conf-available/tickets_console.conf
#   make screens    the console tests, saving screenshots to docs/screens/
#   make openapi-lint  lint docs/openapi.json (Redocly CLI, pinned)
#   make fuzz       run the libFuzzer targets (needs clang)
#   make bench      bench/run.sh
#   make bench-sse  bench/sse.sh: 1,000 to 10,000 event streams (builds sse_load)
#   make bench-jobs bench/jobs.sh: the job queue against pgbench
#   make bench-messaging  bench/messaging.sh: webhook deliveries and replies
#   make bench-webhooks   bench/webhooks.sh: outbound webhook deliveries
#   make bench-ai   bench/ai.sh: copilot job latency and agent chat overhead
#   make clean      remove build/ and build-asan/ (var/ keeps its data)
#
# Objects are compiled with the same compiler and flags apxs uses (through
# APR's libtool, one .lo per source under $(BUILD)/obj) and linked into a
# module with apxs -c; -MMD dependency files make header and
# sql/queries.sql changes rebuild what they touch.  BUILD=build-asan and
# SAN_CFLAGS select the sanitizer build (see the asan target).

SHELL := /bin/bash
.DEFAULT_GOAL := all
.DELETE_ON_ERROR:

BUILD ?= build
CONFIG := build/config.mk
CONFIGURE_FLAGS ?=
PORT ?= 8080
PYTHON ?= /usr/bin/python3
SAN_CFLAGS ?=
ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

# Targets that only orchestrate (they call $(MAKE) after scripts/deps.sh has
# made sure configure can succeed) or need no configuration at all.
NOCONFIG_GOALS := clean distclean deps node-deps openapi-lint screens run test asan bench bench-sse bench-jobs bench-messaging bench-webhooks bench-ai integration help
ifneq ($(filter-out $(NOCONFIG_GOALS),$(or $(MAKECMDGOALS),all)),)
  ifeq ($(wildcard $(CONFIG)),)
    $(info $(CONFIG) is missing: running ./configure $(CONFIGURE_FLAGS))
    CONFIGURE_STATUS := $(shell ./configure $(CONFIGURE_FLAGS) >&2; echo $$?)
    ifneq ($(CONFIGURE_STATUS),0)
      $(error ./configure failed; see above)
    endif
  endif
  include $(CONFIG)
  NEED_CONFIG := yes
endif

# ---- sources ------------------------------------------------------------
# Each module is a library (lib/, no httpd.h) under glue (every other
# folder); docs/layout.md draws the rooms.  build/tk_queries.c is the
# statement catalogue generated from sql/queries.sql.
MOD_SRCS  := $(sort $(shell find mod_tickets -name '*.c'))
LIB_SRCS  := $(sort $(shell find mod_tickets/lib -name '*.c'))
SSE_SRCS  := $(sort $(shell find mod_tickets_sse -name '*.c'))
SSE_LIB_SRCS := $(sort $(shell find mod_tickets_sse/lib -name '*.c'))
# mod_tickets_sse.so is a module only once its httpd glue exists; until
# then its library layer (lib/) is built into the unit tests alone.
SSE_GLUE  := $(wildcard mod_tickets_sse/mod_tickets_sse.c)
UNIT_SRCS := $(sort $(wildcard tests/unit/*.c))
QUERIES_C := $(BUILD)/tk_queries.c
# Every statement, by label: the core's, then one file per area.
QUERY_SQL := sql/queries.sql $(sort $(wildcard sql/queries/*.sql))

# build/tk_openapi.c carries docs/openapi.json (GET /api/openapi.json).
OPENAPI_JSON ?= docs/openapi.json
OPENAPI_C := $(BUILD)/tk_openapi.c
MOD_LOS  := $(MOD_SRCS:%.c=$(BUILD)/obj/%.lo) $(BUILD)/obj/tk_queries.lo $(BUILD)/obj/tk_openapi.lo
SSE_LOS  := $(SSE_SRCS:%.c=$(BUILD)/obj/%.lo)
UNIT_OBJS := $(UNIT_SRCS:%.c=$(BUILD)/unit-obj/%.o) $(LIB_SRCS:%.c=$(BUILD)/unit-obj/%.o) \
	$(SSE_LIB_SRCS:%.c=$(BUILD)/unit-obj/%.o) $(BUILD)/unit-obj/tk_queries.o

MODULES := $(if $(MOD_SRCS),$(BUILD)/mod_tickets.so) $(if $(SSE_GLUE),$(BUILD)/mod_tickets_sse.so)
TEST_MODULE := $(BUILD)/mod_tickets_testjobs.so

# ---- flags ---------------------------------------------------------------
LIB_CFLAGS = $(APR_CFLAGS) $(APU_CFLAGS) $(JANSSON_CFLAGS) $(CURL_CFLAGS) $(CRYPTO_CFLAGS) $(PQ_CFLAGS)
LIB_LIBS = $(JANSSON_LIBS) $(CURL_LIBS) $(CRYPTO_LIBS) $(PQ_LIBS) $(APU_LIBS) $(APR_LIBS)
# Each module sees its own folders and the one public header (include/),
# never the other module's: no other header crosses between them.
TK_INCLUDES = -Iinclude -Imod_tickets -Imod_tickets/lib -I$(BUILD)
SSE_INCLUDES = -Iinclude -Imod_tickets_sse -Imod_tickets_sse/lib
# Modules: apxs's flags plus httpd's headers.
MOD_CFLAGS = $(APXS_CFLAGS) -I$(APXS_INCLUDEDIR) $(LIB_CFLAGS) \
	$(WARN_CFLAGS) $(SAN_CFLAGS) $(EXTRA_CFLAGS)
# Unit tests: the library layers never include httpd.h, so httpd's include
# directory is deliberately not on this path.
UNIT_CFLAGS = $(APXS_CFLAGS) $(LIB_CFLAGS) $(CHECK_CFLAGS) -Iinclude \
	-Imod_tickets/lib -Imod_tickets_sse/lib -I$(BUILD) -Itests/unit \
	-DTK_FIXTURES_DIR='"$(CURDIR)/tests/fixtures"' \
	$(WARN_CFLAGS) $(SAN_CFLAGS) $(EXTRA_CFLAGS)
# Libraries handed to apxs/libtool for the module link.  libtool mangles
# -fsanitize= on a link line, so a sanitizer build names the runtimes
# instead (httpd itself preloads them: see tests/integration/tkenv.py).
APXS_LINK = -ljansson -lcurl -lcrypto -lpq $(if $(SAN_CFLAGS),-lasan -lubsan)

LIBTOOL_COMPILE = $(APXS_LIBTOOL) --silent --mode=compile --tag=disable-static $(APXS_CC)

# ---- build -----------------------------------------------------------------
.PHONY: all check-layout modules unit unit-build fuzz fuzz-replay run test integration asan node-deps openapi-lint screens install bench bench-sse bench-jobs bench-messaging bench-webhooks bench-ai sse-load clean distclean deps help

all: modules

ifeq ($(NEED_CONFIG),yes)
# Relink when the list of sources changes, not only when one of them does.
$(shell mkdir -p $(BUILD); \
  echo '$(MOD_SRCS) | $(SSE_SRCS) | $(UNIT_SRCS) | $(SAN_CFLAGS)' | cmp -s - $(BUILD)/.sources \
  || echo '$(MOD_SRCS) | $(SSE_SRCS) | $(UNIT_SRCS) | $(SAN_CFLAGS)' > $(BUILD)/.sources)
endif

modules: $(MODULES) $(if $(wildcard tests/modules/mod_tickets_testjobs.c),$(TEST_MODULE))
	@if [ -z "$(MOD_SRCS)" ]; then echo "make: no sources in mod_tickets/ yet"; fi

$(BUILD)/tk_queries.h: $(QUERY_SQL) scripts/gen-queries.sh
	@mkdir -p $(@D)
	scripts/gen-queries.sh header $(QUERY_SQL) > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

$(QUERIES_C): $(QUERY_SQL) scripts/gen-queries.sh
	@mkdir -p $(@D)
	scripts/gen-queries.sh source $(QUERY_SQL) > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

$(BUILD)/obj/mod_tickets/%.lo: mod_tickets/%.c $(CONFIG) | $(BUILD)/tk_queries.h
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(LIBTOOL_COMPILE) $(MOD_CFLAGS) $(TK_INCLUDES) -MMD -MP -MF $(@:.lo=.d) -MT $@ -c -o $@ $<

$(BUILD)/obj/tk_queries.lo: $(QUERIES_C) $(BUILD)/tk_queries.h $(CONFIG)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(LIBTOOL_COMPILE) $(MOD_CFLAGS) $(TK_INCLUDES) -c -o $@ $<

$(OPENAPI_C): $(OPENAPI_JSON) scripts/gen-blob.sh
	@mkdir -p $(@D)
	scripts/gen-blob.sh tk_openapi_json $(OPENAPI_JSON) > $@.tmp
	@mv -f $@.tmp $@

$(BUILD)/obj/tk_openapi.lo: $(OPENAPI_C) $(CONFIG)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(LIBTOOL_COMPILE) $(MOD_CFLAGS) -c -o $@ $<

$(BUILD)/obj/mod_tickets_sse/%.lo: mod_tickets_sse/%.c $(CONFIG)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(LIBTOOL_COMPILE) $(MOD_CFLAGS) $(SSE_INCLUDES) -MMD -MP -MF $(@:.lo=.d) -MT $@ -c -o $@ $<

$(BUILD)/obj/tests/%.lo: tests/%.c $(CONFIG)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(LIBTOOL_COMPILE) $(MOD_CFLAGS) -Iinclude -MMD -MP -MF $(@:.lo=.d) -MT $@ -c -o $@ $<

# apxs links the libtool objects; the .so is copied out of .libs and
# renamed into place so a running httpd never sees a half-written file.
$(BUILD)/mod_tickets.so: $(MOD_LOS) $(BUILD)/.sources
	@echo "  APXS    $@"
	@out=$$($(APXS) -c -o $(BUILD)/mod_tickets.la $(MOD_LOS) $(APXS_LINK) 2>&1) \
		|| { echo "$$out"; exit 1; }
	@cp $(BUILD)/.libs/mod_tickets.so $@.tmp && mv -f $@.tmp $@

$(BUILD)/mod_tickets_sse.so: $(SSE_LOS) $(BUILD)/.sources
	@echo "  APXS    $@"
	@out=$$($(APXS) -c -o $(BUILD)/mod_tickets_sse.la $(SSE_LOS) $(APXS_LINK) -lpthread 2>&1) \
		|| { echo "$$out"; exit 1; }
	@cp $(BUILD)/.libs/mod_tickets_sse.so $@.tmp && mv -f $@.tmp $@

# A module for the tests only (never installed): job kinds that record,
# sleep and fail, registered through tickets_job_register.
$(TEST_MODULE): $(BUILD)/obj/tests/modules/mod_tickets_testjobs.lo
	@echo "  APXS    $@"
	@out=$$($(APXS) -c -o $(BUILD)/mod_tickets_testjobs.la $< -ljansson $(if $(SAN_CFLAGS),-lasan -lubsan) 2>&1) \
		|| { echo "$$out"; exit 1; }
	@cp $(BUILD)/.libs/mod_tickets_testjobs.so $@.tmp && mv -f $@.tmp $@

# ---- unit tests ----------------------------------------------------------
$(BUILD)/unit-obj/%.o: %.c $(CONFIG) | $(BUILD)/tk_queries.h
	@mkdir -p $(@D)
	@echo "  CC      $< (unit)"
	@$(APXS_CC) $(UNIT_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/unit-obj/tk_queries.o: $(QUERIES_C) $(BUILD)/tk_queries.h $(CONFIG)
	@mkdir -p $(@D)
	@$(APXS_CC) $(UNIT_CFLAGS) -c -o $@ $<

$(BUILD)/unit_tests: $(UNIT_OBJS) $(BUILD)/.sources
	@echo "  LD      $@"
	@$(APXS_CC) $(SAN_CFLAGS) -pthread -o $@ $(UNIT_OBJS) $(CHECK_LIBS) $(LIB_LIBS) -lpthread

unit-build: $(if $(UNIT_SRCS),$(BUILD)/unit_tests)

unit: unit-build fuzz-replay
ifeq ($(UNIT_SRCS),)
	@echo "unit: no tests in tests/unit/ yet; nothing to run"
else
	CK_DEFAULT_TIMEOUT=$${CK_DEFAULT_TIMEOUT:-30} $(BUILD)/unit_tests
endif

# ---- fuzzing (docs/fuzzing.md) --------------------------------------------
# fuzz-replay runs every corpus input through its target with gcc and
# ASan+UBSan (no libFuzzer needed); fuzz runs libFuzzer with clang.
# Every target links both library layers (mod_tickets/tk_*.c and
# mod_tickets_sse/sse_*.c).
FUZZ_TARGETS := body query headers sse webhooks multipart keyfile target redact llm
FUZZ_SECONDS ?= 60
FUZZ_REPLAYS := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/replay_%)
FUZZ_LIB_SRCS = $(LIB_SRCS) $(SSE_LIB_SRCS)

$(BUILD)/fuzz/replay_%: fuzz/fuzz_%.c fuzz/replay.c $(FUZZ_LIB_SRCS) \
		$(shell find mod_tickets/lib mod_tickets_sse/lib include -name '*.h') \
		$(CONFIG) | $(BUILD)/tk_queries.h
	@mkdir -p $(@D)
	@echo "  CC      $@"
	@$(APXS_CC) $(UNIT_CFLAGS) $(ASAN_FLAGS) -pthread -o $@ fuzz/fuzz_$*.c fuzz/replay.c \
		$(FUZZ_LIB_SRCS) $(LIB_LIBS)

fuzz-replay: $(FUZZ_REPLAYS)
	@for t in $(FUZZ_TARGETS); do \
		printf 'fuzz-replay %s: ' $$t; $(BUILD)/fuzz/replay_$$t fuzz/corpus/$$t/* || exit 1; \
	done

fuzz: $(CONFIG) $(BUILD)/tk_queries.h
	@command -v clang >/dev/null || { echo "fuzz: needs clang (apt-get install clang)"; exit 1; }
	@mkdir -p $(BUILD)/fuzz
	@for t in $(FUZZ_TARGETS); do \
		clang -g -O1 -fsanitize=fuzzer,address,undefined -pthread $(LIB_CFLAGS) -Iinclude \
			-Imod_tickets/lib -Imod_tickets_sse/lib -I$(BUILD) \
			-o $(BUILD)/fuzz/fuzz_$$t fuzz/fuzz_$$t.c $(FUZZ_LIB_SRCS) $(LIB_LIBS) || exit 1; \
		$(BUILD)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=4096 fuzz/corpus/$$t || exit 1; \
	done

-include $(MOD_LOS:.lo=.d) $(SSE_LOS:.lo=.d) $(UNIT_OBJS:.o=.d)

# The layout's rules, checked: the libraries include no httpd header, each
# glue area includes only areas below it, and no header of one module is
# included by the other (scripts/check-layout.sh).
check-layout:
	@scripts/check-layout.sh

# ---- run and test ----------------------------------------------------------
deps:
	scripts/deps.sh

run: deps
	$(MAKE) --no-print-directory all
	PORT=$(PORT) scripts/run.sh

test: deps
	$(MAKE) --no-print-directory all check-layout unit openapi-lint
	$(MAKE) --no-print-directory integration

# The Node.js packages of the tests (tests/browser/package-lock.json).
node-deps:
	@scripts/node-deps.sh

# docs/openapi.json, linted by Redocly's CLI (its rules: docs/redocly.yaml).
openapi-lint: node-deps
	tests/browser/node_modules/.bin/redocly lint --config docs/redocly.yaml docs/openapi.json

integration: node-deps
	TICKETS_BUILD_DIR=$(BUILD) PYTHON=$(PYTHON) scripts/test-integration.sh $(PYTEST_ARGS)

# The sanitizer build: modules and unit tests with ASan+UBSan in build-asan/,
# then the integration suite against an httpd that preloads the runtimes.
# The harness collects report files in build-asan/sanitizer-reports/; any
# file there fails the target.
asan: deps node-deps
	$(MAKE) --no-print-directory BUILD=build-asan SAN_CFLAGS="$(ASAN_FLAGS)" all unit
	rm -rf build-asan/sanitizer-reports
	TICKETS_BUILD_DIR=build-asan TICKETS_SANITIZE=1 PYTHON=$(PYTHON) \
		scripts/test-integration.sh $(PYTEST_ARGS)
	@if [ -n "$$(ls -A build-asan/sanitizer-reports 2>/dev/null)" ]; then \
		echo "asan: sanitizer reports:"; \
		for f in build-asan/sanitizer-reports/*; do echo "== $$f"; cat "$$f"; done; \
		exit 1; \
	fi
	@echo "asan: no sanitizer reports"

# ---- install ---------------------------------------------------------------
# apxs puts the module in Apache's module directory; the conf snippets go
# to mods-available/ (enable with: a2enmod tickets).
# The consoles' static files (conf/tickets_console.conf serves them).
CONSOLE_DIR ?= /usr/share/mod_tickets/console

install: all
	@test -f $(BUILD)/mod_tickets.so || { echo "install: nothing built"; exit 1; }
ifeq ($(DESTDIR),)
	$(APXS) -i -n tickets $(BUILD)/mod_tickets.so
	$(if $(SSE_GLUE),$(APXS) -i -n tickets_sse $(BUILD)/mod_tickets_sse.so)
else
	install -D -m 755 $(BUILD)/mod_tickets.so $(DESTDIR)$(APACHE_MODDIR)/mod_tickets.so
	$(if $(SSE_GLUE),install -D -m 755 $(BUILD)/mod_tickets_sse.so $(DESTDIR)$(APACHE_MODDIR)/mod_tickets_sse.so)
endif
	install -D -m 644 include/mod_tickets.h $(DESTDIR)$(APXS_INCLUDEDIR)/mod_tickets.h
	install -d $(DESTDIR)$(APACHE_SYSCONFDIR)/mods-available
	install -m 644 conf/tickets.load $(DESTDIR)$(APACHE_SYSCONFDIR)/mods-available/tickets.load
	@if [ -f conf/tickets.conf ]; then \
		echo install -m 644 conf/tickets.conf $(DESTDIR)$(APACHE_SYSCONFDIR)/mods-available/tickets.conf; \
		install -m 644 conf/tickets.conf $(DESTDIR)$(APACHE_SYSCONFDIR)/mods-available/tickets.conf; \
	fi
	install -d $(DESTDIR)$(CONSOLE_DIR)/js $(DESTDIR)$(CONSOLE_DIR)/css \
		$(DESTDIR)$(APACHE_SYSCONFDIR)/conf-available
	install -m 644 console/*.html $(DESTDIR)$(CONSOLE_DIR)/
	install -m 644 console/js/*.js $(DESTDIR)$(CONSOLE_DIR)/js/
	install -m 644 console/css/*.css $(DESTDIR)$(CONSOLE_DIR)/css/
	sed 's|@CONSOLEDIR@|$(CONSOLE_DIR)|g' conf/tickets_console.conf \
		> $(DESTDIR)$(APACHE_SYSCONFDIR)/conf-available/tickets_console.conf
ifneq ($(SSE_GLUE),)
	install -m 644 conf/tickets_sse.load $(DESTDIR)$(APACHE_SYSCONFDIR)/mods-available/tickets_sse.load
	install -m 644 conf/tickets_sse.conf $(DESTDIR)$(APACHE_SYSCONFDIR)/mods-available/tickets_sse.conf
endif

# ---- misc ------------------------------------------------------------------
# The console tests again, keeping their screenshots in docs/screens/
# (docs/consoles.md shows them).
screens:
	TICKETS_SCREENS_DIR=$(CURDIR)/docs/screens $(MAKE) --no-print-directory integration \
		PYTEST_ARGS="-q -k console"

bench:
	@if [ -x bench/run.sh ]; then bench/run.sh; \
	else echo "bench: bench/run.sh does not exist yet"; fi

# The stream load generator: libc only, never linked with the modules.
sse-load: $(BUILD)/sse_load

$(BUILD)/sse_load: bench/sse_load.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	@$(CC) -O2 -g $(WARN_CFLAGS) -pthread -o $@ $<

bench-sse: deps
	$(MAKE) --no-print-directory all sse-load
	bench/sse.sh

# The job queue: drain, flow and latency against pgbench (bench/jobs.sh).
bench-jobs: deps
	$(MAKE) --no-print-directory all
	bench/jobs.sh

# Messaging: signed deliveries and agent replies (bench/messaging.sh).
bench-messaging: deps
	$(MAKE) --no-print-directory all
	bench/messaging.sh

# Outbound webhooks: deliveries/s and commit -> delivery (bench/webhooks.sh).
bench-webhooks: deps
	$(MAKE) --no-print-directory all
	bench/webhooks.sh

bench-ai: deps
	$(MAKE) --no-print-directory all
	bench/ai.sh

clean:
	rm -rf build build-asan

# Also stop and remove the make-run instance (its database too).
distclean: clean
	-scripts/run.sh --destroy
	rm -rf var

help:
	@sed -n '3,13p' Makefile | sed 's/^# \{0,1\}//'
