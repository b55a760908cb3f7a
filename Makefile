# fnhost: one Makefile for the host, the SDK, the plugins, tests and benches.
#
#   make                build everything into $(B)/
#   make check          unit, known-answer, end-to-end and hostile tests
#   make run            the demo (see README.md)
#   make bench          benchmarks against same-run baselines
#   make format-check   fail listing the C files clang-format would change
#   make format         reformat them in place
#   make install        PREFIX=/usr/local DESTDIR=
#   SANITIZER=address|undefined   build and test with a sanitizer, in build-$(SANITIZER)/

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
INCDIR ?= $(PREFIX)/include
LIBDIR ?= $(PREFIX)/lib
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
VERSION = 0.1.0

SANITIZER ?=
B := build$(if $(SANITIZER),-$(SANITIZER))

# A fresh machine has nothing but make: install what is missing first,
# the build's dependencies for every goal, the tests' too for make check.
ifeq ($(filter clean distclean format format-check,$(MAKECMDGOALS)),)
DEPS_STATUS := $(shell sh mk/deps.sh \
	$(if $(filter check,$(MAKECMDGOALS)),test) >&2 && echo ok)
ifneq ($(DEPS_STATUS),ok)
$(error build dependencies are missing; see the message above)
endif
endif

CC ?= cc
PKGS = libseccomp openssl json-c libmicrohttpd libcurl libjwt libpq
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral -Wvla
HARDEN = -D_FORTIFY_SOURCE=3 -fstack-protector-strong \
	-fstack-clash-protection -fcf-protection
HARDEN_LD = -Wl,-z,relro,-z,now -Wl,-z,noexecstack
OPT ?= -O2 -g

ifeq ($(SANITIZER),address)
SAN = -fsanitize=address -fno-omit-frame-pointer
else ifeq ($(SANITIZER),undefined)
SAN = -fsanitize=undefined -fno-sanitize-recover=all
else ifneq ($(SANITIZER),)
$(error SANITIZER must be address or undefined)
endif
ifneq ($(SAN),)
HARDEN := $(filter-out -D_FORTIFY_SOURCE=3,$(HARDEN))
endif

BASE_CFLAGS = -std=gnu11 $(OPT) $(WARN) $(HARDEN) $(SAN) -pipe \
	-Isdk/include -Ihost -DFNHOST_VERSION='"$(VERSION)"'
HOST_CFLAGS = $(BASE_CFLAGS) -fPIE $(PKG_CFLAGS) $(CFLAGS)
HOST_LDFLAGS = -pie $(HARDEN_LD) $(SAN) $(LDFLAGS)
# -ffp-contract=off: the plugins repeat Python's float arithmetic operation
# by operation (hide_and_seek's geodesic, pyfloat); a fused multiply-add
# would round once where Python rounds twice.
PLUGIN_CFLAGS = $(BASE_CFLAGS) -fPIC -fvisibility=hidden -ffp-contract=off \
	-Iplugins/common $(CFLAGS)
PLUGIN_LDFLAGS = -shared $(HARDEN_LD) -Wl,--no-undefined $(SAN) $(LDFLAGS)

# ---- host: libfnhost.a holds every module but the three mains -----------
# host/base (the base layer), formats (bundles, keys, HPKE, attestation,
# fnhost.conf), sandbox (the worker side), daemon (fnhostd), cli (fnhost),
# node (fnhost-node, the leader election's gossip peer).
HOST_MAINS = host/cli/fnhost.c host/daemon/fnhostd.c host/node/node.c \
	host/sandbox/zygote-main.c
HOST_SRCS = $(filter-out $(HOST_MAINS),$(sort $(wildcard host/*/*.c)))
# dist/openapi.json, linked in as data (GET /v1/openapi.json): ld -r -b
# binary names it _binary_dist_openapi_json_start and _end.
OPENAPI_OBJ = $(B)/obj/dist/openapi.o
HOST_OBJS = $(HOST_SRCS:%.c=$(B)/obj/%.o) $(OPENAPI_OBJ)
LIBFNHOST = $(B)/libfnhost.a

BINS = $(B)/bin/fnhost $(B)/bin/fnhostd $(B)/bin/fnhost-node
# The zygote fnhostd and fnhost test execute (zygote.h), at
# libexec/fnhost/ under the prefix of the program that runs it: linked
# with only what it uses, so that no worker maps the host's libraries.
ZYGOTE_BIN = $(B)/libexec/fnhost/fnhost-zygote

# ---- plugins: plugins/<name>/*.c plus plugins/common/*.c -----------------
# Per plugin: <name>_LIBS (pkg-config modules) and an optional resource rule
# that writes files into its bundle directory before it is signed.
PLUGINS = $(notdir $(patsubst %/,%,$(dir $(wildcard plugins/*/plugin.c))))
COMMON_SRCS = $(sort $(wildcard plugins/common/*.c))
COMMON_OBJS = $(COMMON_SRCS:%.c=$(B)/obj/%.o)
LIBPLUGCOMMON = $(B)/libplugin-common.a
leader_election_LIBS = libcrypto

DEVKEY = $(B)/dev-publisher.key
DEVPUB = $(B)/dev-publisher.pub
BUNDLES = $(PLUGINS:%=$(B)/plugins/%/MANIFEST)

# ---- tests ---------------------------------------------------------------
UNIT_SRCS = $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS = $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/unit/%)
# Test plugins: tests/hostile/*.c and tests/plugins/*.c, one bundle each,
# unsigned (fnhost test needs no signature); descriptor.t's malformed ones
# are tests/plugins/bad_descriptor.c built once per variant.
BAD_PLUGINS = bad_abi bad_magic bad_name bad_reserved bad_size no_symbol \
	null_desc null_handle null_name null_version
TPLUGIN_SRCS = $(filter-out tests/plugins/bad_descriptor.c,\
	$(sort $(wildcard tests/hostile/*.c tests/plugins/*.c)))
# versions.t's two versions of one name, svc: echo and counter renamed
# (the host deploys a plugin only under its descriptor's name).
SVC_PLUGINS = svc_echo svc_counter svc_secret
OTHER_PLUGINS = other_secret
TPLUGINS = $(foreach s,$(TPLUGIN_SRCS),$(B)/$(dir $(s))$(basename $(notdir $(s)))/plugin.so) \
	$(BAD_PLUGINS:%=$(B)/tests/plugins/%/plugin.so) \
	$(SVC_PLUGINS:%=$(B)/tests/plugins/%/plugin.so) \
	$(OTHER_PLUGINS:%=$(B)/tests/plugins/%/plugin.so)

.PHONY: all check check-fresh unit test-scripts run bench install uninstall clean \
	distclean lint-man format format-check
.DELETE_ON_ERROR:

all: $(BINS) $(ZYGOTE_BIN) sdk $(BUNDLES) $(TPLUGINS)

$(B)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/obj/plugins/%.o: plugins/%.c
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_CFLAGS) $(if $($(firstword $(subst /, ,$*))_LIBS),$(shell pkg-config --cflags $($(firstword $(subst /, ,$*))_LIBS))) -MMD -MP -c -o $@ $<

%/obj/dist/openapi.o: dist/openapi.json
	@mkdir -p $(@D)
	$(LD) -r -b binary -z noexecstack -o $@ dist/openapi.json

$(LIBFNHOST): $(HOST_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(LIBPLUGCOMMON): $(COMMON_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $(COMMON_OBJS)

$(B)/bin/fnhost: $(B)/obj/host/cli/fnhost.o $(LIBFNHOST)
$(B)/bin/fnhostd: $(B)/obj/host/daemon/fnhostd.o $(LIBFNHOST)
$(B)/bin/fnhost-node: $(B)/obj/host/node/node.o $(LIBFNHOST)
$(BINS): | $(ZYGOTE_BIN)
	@mkdir -p $(@D)
	$(CC) $(HOST_LDFLAGS) -o $@ $^ $(PKG_LIBS) -ldl

$(ZYGOTE_BIN): $(B)/obj/host/sandbox/zygote-main.o $(LIBFNHOST)
	@mkdir -p $(@D)
	$(CC) $(HOST_LDFLAGS) -o $@ $^ -lseccomp -ldl

# ---- SDK ----------------------------------------------------------------
.PHONY: sdk
sdk: $(B)/sdk/fnhost-plugin.pc

# Its paths follow PREFIX and INCDIR, whose changes make can not see: it is
# remade every time and replaced only when it differs.
$(B)/sdk/fnhost-plugin.pc: sdk/fnhost-plugin.pc.in Makefile FORCE
	@mkdir -p $(@D)
	@sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@INCDIR@|$(INCDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' $< > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

.PHONY: FORCE
FORCE:

# ---- plugin bundles, signed with the development key --------------------
# fnhost sign reads the plugin's name and version in the sandbox, which a
# sanitizer build's runtime needs relaxed (README.md, Build options).
SANDBOX_ENV = $(if $(SANITIZER),FNHOST_SANDBOX_RELAXED=1)
$(DEVKEY): | $(B)/bin/fnhost
	$(B)/bin/fnhost keygen -p $(DEVPUB) -s $(DEVKEY)

$(DEVPUB): $(DEVKEY)

# leader_election signs with a key pair the build makes, never a committed one.
leader_election_RESOURCES = $(B)/plugins/leader_election/private.pem \
	$(B)/plugins/leader_election/public.pem

define plugin_rules
$(B)/plugins/$(1)/$(1).so: $(patsubst %.c,$(B)/obj/%.o,$(wildcard plugins/$(1)/*.c)) $(LIBPLUGCOMMON)
	@mkdir -p $$(@D)
	$$(CC) $$(PLUGIN_LDFLAGS) -o $$@ $$^ $$(if $$($(1)_LIBS),$$(shell pkg-config --libs $$($(1)_LIBS))) -lm

$(B)/plugins/$(1)/MANIFEST: $(B)/plugins/$(1)/$(1).so $$($(1)_RESOURCES) $(DEVKEY) $(B)/bin/fnhost
	$(SANDBOX_ENV) $(B)/bin/fnhost sign -s $(DEVKEY) $(B)/plugins/$(1) >/dev/null
endef
$(foreach p,$(PLUGINS),$(eval $(call plugin_rules,$(p))))

$(B)/plugins/leader_election/private.pem:
	@mkdir -p $(@D)
	umask 077 && openssl genpkey -algorithm RSA \
		-pkeyopt rsa_keygen_bits:2048 -out $@ 2>/dev/null
$(B)/plugins/leader_election/public.pem: $(B)/plugins/leader_election/private.pem
	openssl pkey -in $< -pubout -out $@

# ---- test plugins -------------------------------------------------------
$(B)/tests/%/plugin.so: tests/%.c sdk/include/fnhost/plugin.h
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_CFLAGS) -Wno-missing-prototypes $(PLUGIN_LDFLAGS) -o $@ $<

# Each variant defines its name in capitals: bad_magic, -DBAD_MAGIC.
$(BAD_PLUGINS:%=$(B)/tests/plugins/%/plugin.so): $(B)/tests/plugins/%/plugin.so: \
		tests/plugins/bad_descriptor.c sdk/include/fnhost/plugin.h
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_CFLAGS) -Wno-missing-prototypes -D$(shell echo $* | tr a-z A-Z) \
		$(PLUGIN_LDFLAGS) -o $@ $<

$(SVC_PLUGINS:%=$(B)/tests/plugins/%/plugin.so): $(B)/tests/plugins/svc_%/plugin.so: \
		tests/plugins/%.c sdk/include/fnhost/plugin.h
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_CFLAGS) -Wno-missing-prototypes -DTEST_PLUGIN_NAME='"svc"' \
		$(PLUGIN_LDFLAGS) -o $@ $<
$(OTHER_PLUGINS:%=$(B)/tests/plugins/%/plugin.so): $(B)/tests/plugins/other_%/plugin.so: \
		tests/plugins/%.c sdk/include/fnhost/plugin.h
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_CFLAGS) -Wno-missing-prototypes -DTEST_PLUGIN_NAME='"other"' \
		$(PLUGIN_LDFLAGS) -o $@ $<

# ---- unit tests ---------------------------------------------------------
$(B)/tests/unit/%: tests/unit/%.c $(LIBFNHOST) $(LIBPLUGCOMMON)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Iplugins/common $(HOST_LDFLAGS) -o $@ $< \
		$(LIBFNHOST) $(LIBPLUGCOMMON) $(PKG_LIBS) \
		$(shell pkg-config --libs cmocka) -ldl -lm

# tests/kat/geodiff: hide_and_seek's geodesic.c alone, for geodesic.t's
# differential test against geopy (tests/kat/gen_geodesic.py).
GEODIFF = $(B)/tests/kat/geodiff
$(GEODIFF): tests/kat/geodiff.c plugins/hide_and_seek/geodesic.c \
		plugins/hide_and_seek/geodesic.h $(LIBPLUGCOMMON)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -ffp-contract=off -Iplugins/common \
		-Iplugins/hide_and_seek $(HOST_LDFLAGS) -o $@ \
		tests/kat/geodiff.c plugins/hide_and_seek/geodesic.c \
		$(LIBPLUGCOMMON) -lm

# ---- fuzzing ------------------------------------------------------------
# tests/fuzz/fuzz_<name>.c are libFuzzer targets.  make check replays each
# one's committed corpus (tests/fuzz/corpus/<name>/) through a plain main
# (replay.c) built like the unit tests; make fuzz builds them with clang,
# libFuzzer and the address and undefined sanitizers into build-fuzz/ and
# runs each for FUZZ_SECONDS on a copy of its corpus, which stays as it is.
FUZZ_SRCS = $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES = $(FUZZ_SRCS:tests/fuzz/fuzz_%.c=%)
REPLAY_BINS = $(FUZZ_NAMES:%=$(B)/tests/fuzz/replay_%)
FUZZ_SECONDS ?= 60
FB = build-fuzz
FUZZ_CFLAGS = -std=gnu11 -O1 -g -fno-omit-frame-pointer \
	-fsanitize=fuzzer-no-link,address,undefined \
	-Isdk/include -Ihost -DFNHOST_VERSION='"$(VERSION)"' $(PKG_CFLAGS)

# fuzz_pyjson reads the seed plugins' JSON (plugins/common), not the host.
$(B)/tests/fuzz/replay_pyjson: FUZZ_INC = -Iplugins/common
$(B)/tests/fuzz/replay_pyjson: FUZZ_LIBS = $(LIBPLUGCOMMON) -lm
$(B)/tests/fuzz/replay_pyjson: $(LIBPLUGCOMMON)
$(FB)/fuzz_pyjson: FUZZ_INC = -Iplugins/common
$(FB)/fuzz_pyjson: $(COMMON_SRCS:%.c=$(FB)/obj/%.o)

$(B)/tests/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(LIBFNHOST)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(FUZZ_INC) -Wno-missing-prototypes \
		$(HOST_LDFLAGS) -o $@ $< tests/fuzz/replay.c \
		$(FUZZ_LIBS) $(LIBFNHOST) $(PKG_LIBS) -ldl

$(FB)/obj/%.o: %.c
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -c -o $@ $<

$(FB)/fuzz_%: tests/fuzz/fuzz_%.c $(HOST_SRCS:%.c=$(FB)/obj/%.o) $(FB)/obj/dist/openapi.o
	clang $(FUZZ_CFLAGS) $(FUZZ_INC) -fsanitize=fuzzer -o $@ $^ -lm \
		$(PKG_LIBS) -ldl

.PHONY: fuzz fuzz-deps
fuzz-deps:
	sh mk/deps.sh fuzz

fuzz: fuzz-deps
	$(MAKE) $(FUZZ_NAMES:%=$(FB)/fuzz_%)
	for n in $(FUZZ_NAMES); do \
		rm -rf $(FB)/corpus/$$n && mkdir -p $(FB)/corpus/$$n && \
		cp tests/fuzz/corpus/$$n/* $(FB)/corpus/$$n/ && \
		$(FB)/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) \
			-artifact_prefix=$(FB)/crash-$$n- \
			$(FB)/corpus/$$n || exit 1; \
	done

# ---- check --------------------------------------------------------------
# Every test is a TAP producer run by prove: unit binaries (cmocka) and the
# scripts in tests/*/*.t, which find the build through FNHOST_BUILD.
TEST_SCRIPTS = $(sort $(wildcard tests/*/*.t))

check: all $(UNIT_BINS) $(REPLAY_BINS) $(GEODIFF) lint-man format-check
	CMOCKA_MESSAGE_OUTPUT=TAP FNHOST_BUILD=$(CURDIR)/$(B) \
	FNHOST_SANITIZER=$(SANITIZER) \
	$(if $(SANITIZER),FNHOST_SANDBOX_RELAXED=1) \
		prove -e '' $(UNIT_BINS) $(TEST_SCRIPTS)

# The README's scenario on a fresh Debian 12 root (tests/fresh/run.sh):
# root, debootstrap and the network; never part of check.
check-fresh:
	sh tests/fresh/run.sh

lint-man:
	@for m in man/*.[1-9]; do [ -e "$$m" ] || continue; \
		mandoc -T lint -W warning "$$m" || exit 1; done

# ---- bench ----------------------------------------------------------------
$(B)/bench/%: bench/%.c bench/timing.h bench/rawhttp.h bench/baseline.h bench/harness.h $(LIBFNHOST)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(HOST_LDFLAGS) -o $@ $< $(LIBFNHOST) $(PKG_LIBS) -ldl

# hostile: the plugins' JSON and sort on hostile inputs against CPython's.
$(B)/bench/hostile: bench/hostile.c bench/timing.h $(LIBPLUGCOMMON)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(HOST_LDFLAGS) -o $@ $< $(LIBPLUGCOMMON) -lm

# bench/cluster: three hosts in network namespaces behind HAProxy and one
# PostgreSQL registry (root only; it says so and passes otherwise), with
# bench/cluster-load.c as its client.
bench: all $(B)/bench/session $(B)/bench/http $(B)/bench/hostile $(B)/bench/api \
	$(B)/bench/cluster-load
	$(B)/bench/hostile 5
	$(B)/bench/session $(B)/tests/plugins/echo 300
	$(B)/bench/api $(B) 400 5 10000
	$(B)/bench/http $(B) 300
	/usr/bin/python3 bench/cluster $(B) 5 300

# ---- format -------------------------------------------------------------
# The tracked C sources, in .clang-format's style; the generated tables
# (gen_*.py) are left as their generators write them.
FORMAT_SRCS = $(filter-out plugins/common/pyfloat_tables.h \
	plugins/common/unicode_printable.c,$(shell git ls-files -- \
	'host/*.[ch]' 'plugins/*.[ch]' 'sdk/*.[ch]' 'tests/*.[ch]' 'bench/*.[ch]'))

format-check:
	@st=0; for f in $(FORMAT_SRCS); do \
		clang-format --dry-run --Werror "$$f" 2>/dev/null || \
		{ echo "needs make format: $$f" >&2; st=1; }; done; exit $$st

format:
	clang-format -i $(FORMAT_SRCS)

# ---- run ----------------------------------------------------------------
run: all
	FNHOST_BUILD=$(CURDIR)/$(B) sh mk/run.sh

# ---- install ------------------------------------------------------------
# Binaries, SDK, man pages, the systemd units (one host, and fnhostd@NAME
# for several), bash completion, and an example fnhost.conf
# that never overwrites an operator's.
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(INCDIR)/fnhost \
		$(DESTDIR)$(PKGCONFIGDIR)
	install -m 0755 $(BINS) $(DESTDIR)$(BINDIR)/
	install -d $(DESTDIR)$(BINDIR)/../libexec/fnhost
	install -m 0755 $(ZYGOTE_BIN) $(DESTDIR)$(BINDIR)/../libexec/fnhost/
	install -m 0644 sdk/include/fnhost/plugin.h $(DESTDIR)$(INCDIR)/fnhost/
	install -m 0644 $(B)/sdk/fnhost-plugin.pc $(DESTDIR)$(PKGCONFIGDIR)/
	for m in man/*.[1-9]; do [ -e "$$m" ] || continue; \
		s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s; \
		install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/fnhost
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		dist/fnhostd.service.in >$(DESTDIR)$(UNITDIR)/fnhostd.service
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		dist/fnhostd@.service.in >$(DESTDIR)$(UNITDIR)/fnhostd@.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/fnhostd.service \
		$(DESTDIR)$(UNITDIR)/fnhostd@.service
	install -d $(DESTDIR)$(COMPLETIONDIR)
	install -m 0644 dist/fnhost.bash-completion \
		$(DESTDIR)$(COMPLETIONDIR)/fnhost
	[ -e $(DESTDIR)$(SYSCONFDIR)/fnhost/fnhost.conf ] || \
		install -m 0644 dist/fnhost.conf $(DESTDIR)$(SYSCONFDIR)/fnhost/

uninstall:
	rm -f $(BINS:$(B)/bin/%=$(DESTDIR)$(BINDIR)/%) \
		$(DESTDIR)$(BINDIR)/../libexec/fnhost/fnhost-zygote \
		$(DESTDIR)$(INCDIR)/fnhost/plugin.h \
		$(DESTDIR)$(PKGCONFIGDIR)/fnhost-plugin.pc
	for m in man/*.[1-9]; do [ -e "$$m" ] || continue; \
		s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done
	rm -f $(DESTDIR)$(UNITDIR)/fnhostd.service \
		$(DESTDIR)$(UNITDIR)/fnhostd@.service \
		$(DESTDIR)$(COMPLETIONDIR)/fnhost

clean:
	rm -rf build build-address build-undefined

distclean: clean
	rm -rf var

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
