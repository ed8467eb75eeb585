# pixpipe — one entry point: all, demo, test, bench, install, clean.
#
#   make                 build/pixpipe and build/plugins/<name>.so
#   make SAN=1           the same with AddressSanitizer + UBSan, in build-san/
#   make test [SAN=1]    the whole test suite (test-unit, then test-e2e)
#   make demo            the default pipeline on generated sample images
#   make install PREFIX=/usr/local   also the plugin SDK (headers, pixpipe.pc)
#   make new-plugin NAME=x KIND=stage|storage|metadata [DIR=...]
#   make fresh-check     the README's quick start on a throw-away Debian 12
#   make image [image-check]   the Lambda container image [run as Lambda would]

PREFIX  ?= /usr/local
CC      ?= cc
PKGS    := vips yaml-0.1 jansson sqlite3 libcrypto libcurl libxml-2.0 libwebp
SAN     ?=
V       ?=
Q       := $(if $(V),,@)

ifeq ($(SAN),1)
BUILD   ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT     := -O1
else
BUILD   ?= build
SANFLAGS :=
OPT     := -O2
endif

# Versions, read from the sources so they are written down once.
VERSION   := $(shell sed -n 's/^\#define PIX_VERSION "\(.*\)"/\1/p' core/commands.h)
ABI_MAJOR := $(shell sed -n 's/^\#define PIX_ABI_MAJOR \([0-9]*\)/\1/p' include/pixpipe/pixpipe.h)
ABI_MINOR := $(shell sed -n 's/^\#define PIX_ABI_MINOR \([0-9]*\)/\1/p' include/pixpipe/pixpipe.h)

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Wshadow -Wno-unused-parameter -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  ?= $(OPT) -g
ALL_CFLAGS := -std=c11 $(WARN) $(CFLAGS) $(SANFLAGS) -D_GNU_SOURCE -Iinclude -Icore -Itests/lib $(PKG_CFLAGS) -MMD -MP
LDFLAGS_ALL := $(SANFLAGS) $(LDFLAGS)

CORE_SRC := $(filter-out core/main.c,$(wildcard core/*.c))
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/default_pipeline.o
PLUGINS  := $(notdir $(wildcard plugins/*))
PLUGIN_SO := $(PLUGINS:%=$(BUILD)/plugins/%.so)

# tests/unit: in-process (parsers, options, keys, record, registry, AWS
# client); tests/e2e: the CLI forked against the test servers.
UNIT_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tests/unit/*.c) tests/lib/testutil.c)
E2E_OBJ  := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tests/e2e/*.c) tests/lib/testutil.c)
TEST_PLUGIN_SRC := $(wildcard tests/plugins/*.c)
TEST_PLUGIN_SO := $(TEST_PLUGIN_SRC:tests/plugins/%.c=$(BUILD)/test-plugins/%.so)

.PHONY: all demo test test-unit test-e2e deps bench bench-bucket install clean memcheck docs new-plugin fresh-check image image-check
all: $(BUILD)/pixpipe $(PLUGIN_SO)

$(BUILD)/libpixcore.a: $(CORE_OBJ)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/pixpipe: $(BUILD)/obj/core/main.o $(BUILD)/libpixcore.a
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS) -ldl -lpthread -lm

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

# The default pipeline is compiled into the binary, so `pixpipe run FILE`
# works from any folder with nothing installed.
$(BUILD)/gen/default_pipeline.c: pipelines/default.yaml scripts/embed.sh
	@mkdir -p $(@D)
	sh scripts/embed.sh pix_default_pipeline $< > $@

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# One folder per plugin, one .so per plugin; plugins see only include/.
.SECONDEXPANSION:
$(BUILD)/plugins/%.so: $$(wildcard plugins/%/*.c) $$(wildcard plugins/%/*.h) $(wildcard include/pixpipe/*.h)
	@mkdir -p $(@D)
	@echo "  PLUGIN  $@"
	$(Q)$(CC) -std=c11 $(WARN) $(CFLAGS) $(SANFLAGS) -D_GNU_SOURCE -Iinclude $(PKG_CFLAGS) -fPIC -shared \
	  -fvisibility=hidden -o $@ $(filter %.c,$^) -Wl,--as-needed $(PKG_LIBS) $(LDFLAGS_ALL)

$(BUILD)/test-plugins/%.so: tests/plugins/%.c include/pixpipe/pixpipe.h
	@mkdir -p $(@D)
	@echo "  PLUGIN  $@"
	$(Q)$(CC) -std=c11 $(WARN) $(CFLAGS) $(SANFLAGS) -D_GNU_SOURCE -Iinclude -fPIC -shared -o $@ $< $(LDFLAGS_ALL)

# The describe stage's computations as a program, for the tests to compare
# with the npm encoders (tests/e2e/test_describe.c).
DESCRIBE_PARTS := $(filter-out plugins/describe/describe.c,$(wildcard plugins/describe/*.c))
$(BUILD)/describe-probe: tests/tools/describe_probe.c $(DESCRIBE_PARTS) $(wildcard plugins/describe/*.h) $(wildcard include/pixpipe/*.h)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) -std=c11 $(WARN) $(CFLAGS) $(SANFLAGS) -D_GNU_SOURCE -Iinclude -Iplugins/describe $(PKG_CFLAGS) \
	  -o $@ $(filter %.c,$^) $(PKG_LIBS) $(LDFLAGS_ALL) -lm

# The SSIM `quality: auto` aims at, as a program: for the tests, and for
# the bench to score other tools' outputs with the same metric.
$(BUILD)/similarity-probe: $(BUILD)/obj/tests/tools/similarity_probe.o $(BUILD)/libpixcore.a
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS) -ldl -lpthread -lm

# The default pipeline's pixel work as a bare libvips program, linked with
# libvips alone: what `make bench` times pixpipe against (bench/floor.c).
VIPS_CFLAGS := $(shell pkg-config --cflags vips 2>/dev/null)
VIPS_LIBS   := $(shell pkg-config --libs vips 2>/dev/null)
$(BUILD)/bench-floor: bench/floor.c
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) -std=c11 $(WARN) $(CFLAGS) $(SANFLAGS) -D_GNU_SOURCE $(VIPS_CFLAGS) -o $@ $< \
	  $(VIPS_LIBS) $(LDFLAGS_ALL) -lm

# Fixed quality against quality auto on unencoded renditions, timed in
# one process (bench/quality.c): the bench's bytes table.
$(BUILD)/bench-quality: $(BUILD)/obj/bench/quality.o $(BUILD)/libpixcore.a
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS) -ldl -lpthread -lm

$(BUILD)/unit-tests: $(UNIT_OBJ) $(BUILD)/libpixcore.a
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS) -lcriterion -ldl -lpthread -lm

$(BUILD)/e2e-tests: $(E2E_OBJ) $(BUILD)/libpixcore.a
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS) -lcriterion -ldl -lpthread -lm

# Packages: `make deps` installs what is missing when run as root.
# `make test` runs the suite with the local S3/DynamoDB test servers up
# (scripts/with-servers.sh, tests/servers/README.md).
deps:
	@sh scripts/deps.sh

# `make test` runs both suites; `make test-unit` / `make test-e2e` one.
TEST_ENV = PIXPIPE_BUILD=$(abspath $(BUILD)) PIXPIPE_SRC=$(CURDIR) PIXPIPE_SAN=$(SAN) \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp

test: deps
	@$(MAKE) --no-print-directory all $(BUILD)/unit-tests $(BUILD)/e2e-tests $(BUILD)/describe-probe $(BUILD)/similarity-probe $(TEST_PLUGIN_SO)
	$(TEST_ENV) sh scripts/with-servers.sh sh -c '$(BUILD)/unit-tests $(TEST_ARGS) && $(BUILD)/e2e-tests $(TEST_ARGS)'

test-unit: deps
	@$(MAKE) --no-print-directory all $(BUILD)/unit-tests $(TEST_PLUGIN_SO)
	$(TEST_ENV) sh scripts/with-servers.sh $(BUILD)/unit-tests $(TEST_ARGS)

test-e2e: deps
	@$(MAKE) --no-print-directory all $(BUILD)/e2e-tests $(BUILD)/describe-probe $(BUILD)/similarity-probe $(TEST_PLUGIN_SO)
	$(TEST_ENV) sh scripts/with-servers.sh $(BUILD)/e2e-tests $(TEST_ARGS)

demo: deps
	@$(MAKE) --no-print-directory all $(BUILD)/mkimage
	@sh scripts/demo.sh $(BUILD)

# Benchmarks: pixpipe beside the floor (bench-floor), sharp, vipsthumbnail
# and ImageMagick, and fixed quality beside quality: auto (bench/run.sh);
# writes docs/performance.md and docs/img/perf*.png. About 15 minutes.
bench: deps
	@sh bench/deps.sh
	@$(MAKE) --no-print-directory all $(BUILD)/mkimage $(BUILD)/bench-floor \
	  $(BUILD)/similarity-probe $(BUILD)/bench-quality
	@sh bench/run.sh $(BUILD)

# A bucket's life at scale against the test servers: listing rate, a
# backfill of 10 000 objects and its re-runs, two SQS workers with one
# killed (bench/bucket.sh). About 15 minutes; figures printed, not kept.
bench-bucket: deps
	@sh scripts/deps.sh bench-bucket
	@$(MAKE) --no-print-directory all $(BUILD)/mkimage
	@sh bench/bucket.sh $(BUILD)

$(BUILD)/mkimage: tools/mkimage.c tests/lib/testutil.c tests/lib/testutil.h
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ tools/mkimage.c tests/lib/testutil.c $(PKG_LIBS) $(LDFLAGS_ALL)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pixpipe/plugins \
	  $(DESTDIR)$(PREFIX)/include/pixpipe $(DESTDIR)$(PREFIX)/share/pixpipe/pipelines
	install -m 755 $(BUILD)/pixpipe $(DESTDIR)$(PREFIX)/bin/pixpipe
	install -m 755 $(PLUGIN_SO) $(DESTDIR)$(PREFIX)/lib/pixpipe/plugins/
	install -m 644 include/pixpipe/*.h $(DESTDIR)$(PREFIX)/include/pixpipe/
	install -m 644 pipelines/*.yaml $(DESTDIR)$(PREFIX)/share/pixpipe/pipelines/
	install -d $(DESTDIR)$(PREFIX)/share/pixpipe/pipelines/assets
	install -m 644 pipelines/assets/* $(DESTDIR)$(PREFIX)/share/pixpipe/pipelines/assets/
	@# The plugin SDK: pixpipe.pc for pkg-config, and the scaffolder.
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/share/pixpipe/new-plugin
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' \
	  -e 's|@ABI_MAJOR@|$(ABI_MAJOR)|' -e 's|@ABI_MINOR@|$(ABI_MINOR)|' \
	  scripts/pixpipe.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/pixpipe.pc
	install -m 755 scripts/new-plugin.sh $(DESTDIR)$(PREFIX)/bin/pixpipe-new-plugin
	install -m 644 scripts/new-plugin/* $(DESTDIR)$(PREFIX)/share/pixpipe/new-plugin/

# A plugin folder from the templates, built against the installed SDK:
#   make new-plugin NAME=blur KIND=stage [DIR=../blur]
new-plugin:
	@sh scripts/new-plugin.sh '$(NAME)' '$(KIND)' '$(or $(DIR),$(NAME))'

clean:
	rm -rf build build-san build-fuzz out demo

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# Regenerates the option tables embedded in docs/*.md from the plugins.
docs: all
	@sh scripts/stage-docs.sh $(BUILD) < /dev/null

# The core paths under valgrind: a good, a corrupt and a missing input, two
# jobs at once, through the default pipeline.  Fails on any definite leak or
# memory error.
# The README's quick start on a throw-away fresh Debian 12 (as root).
fresh-check:
	@sh scripts/fresh-check.sh

# The Lambda container image, built with podman (as root; no registry
# needed), and run as Lambda runs it against the test servers.
image:
	@sh scripts/image.sh

image-check: image $(BUILD)/mkimage
	@sh scripts/image-check.sh $(BUILD)

memcheck: all $(BUILD)/mkimage
	@sh scripts/deps.sh memcheck
	@sh scripts/memcheck.sh $(BUILD)

# ---------------------------------------------------------------- fuzzing
# `make fuzz [FUZZ_SECONDS=N]`: the libFuzzer targets of tests/fuzz, built
# with clang under ASan+UBSan into build-fuzz/ and run N seconds each
# (scripts/fuzz.sh, docs/testing.md).  Fails on any crash; the input is
# kept in build-fuzz/crashes/TARGET/.
FUZZ_SECONDS ?= 60
.PHONY: fuzz
fuzz:
	@sh scripts/deps.sh fuzz
	@MAKE='$(MAKE)' sh scripts/fuzz.sh '$(FUZZ_SECONDS)'
