# Entry points. `make demo` and `make test` are the two commands of the README; both
# install what they need (tools/install-deps) and are safe to rerun.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

VENV ?= $(CURDIR)/.venv
BUILD := $(CURDIR)/build
COLLECTIONS := $(BUILD)/collections
VERSION := $(shell awk '/^version:/ {print $$2}' galaxy.yml)
TARBALL := $(BUILD)/virter-core-$(VERSION).tar.gz

export VENV
export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH := false

.PHONY: deps collection unit sanity lint integration test demo demo-down \
        sandbox-start sandbox-stop sandbox-status sandbox-lifecycle image molecule bench-peers \
        fleet-test changelog-lint docs-lint docs docs-test

deps:
	tools/install-deps

# The collection as users get it: built with ansible-galaxy and installed from the tarball.
# Installed beside and swapped in, so a run that uses the old install is not cut short.
collection: deps
	rm -rf $(TARBALL) $(COLLECTIONS).new $(COLLECTIONS).old
	ansible-galaxy collection build --output-path $(BUILD) . >/dev/null
	ansible-galaxy collection install --force -p $(COLLECTIONS).new $(TARBALL) >/dev/null
	if [ -d $(COLLECTIONS) ]; then mv $(COLLECTIONS) $(COLLECTIONS).old; fi
	mv $(COLLECTIONS).new $(COLLECTIONS)
	rm -rf $(COLLECTIONS).old
	@echo "collection: $(TARBALL) installed under $(COLLECTIONS)"

unit: deps
	pytest -q tests/unit

sanity: deps
	tools/ansible-sanity

lint: deps
	ansible-lint --profile production

changelog-lint: deps
	antsibull-changelog lint

docs-lint: deps
	antsibull-docs lint-collection-docs --plugin-docs .

# The docs site under build/docs, from the collection as users install it.
docs: collection
	tools/build-docs

# Its virter_vm and lab role pages in headless Chromium (screenshots in build/docs).
docs-test: docs
	pytest -q tests/docs

sandbox-start: deps
	tools/sandbox start

sandbox-stop:
	tools/sandbox stop

sandbox-status:
	tools/sandbox status

image: deps
	tools/build-guest-image >/dev/null

integration: collection sandbox-start image
	VIRTER_TEST_IMAGE=$$(tools/build-guest-image) tools/sandbox exec pytest -q --durations=20 tests/integration

test:
	$(MAKE) unit
	$(MAKE) sanity
	$(MAKE) lint
	$(MAKE) changelog-lint
	$(MAKE) docs-lint
	$(MAKE) docs-test
	$(MAKE) integration
	$(MAKE) sandbox-lifecycle
	$(MAKE) fleet-test

# Software emulation by default: KVM is not usable on every host that offers /dev/kvm.
VIRT_TYPE ?= qemu

demo: collection sandbox-start image
	VIRTER_DEMO_IMAGE=$$(tools/build-guest-image) VIRTER_DEMO_VIRT_TYPE=$(VIRT_TYPE) \
		tools/sandbox exec ansible-playbook demo/demo.yml

demo-down: collection
	tools/sandbox exec ansible-playbook demo/demo.yml -e virter_demo_state=absent

molecule: collection sandbox-start image
	VIRTER_TEST_IMAGE=$$(tools/build-guest-image) tools/sandbox exec molecule test --scenario-name default

# The peers bench/vm_create.py compares with (kcli, community.libvirt), in their own venv.
BENCH_PEERS ?= /tmp/bench-venv
bench-peers:
	test -x $(BENCH_PEERS)/bin/kcli || { python3 -m venv $(BENCH_PEERS) && \
		$(BENCH_PEERS)/bin/pip install -q kcli ansible libvirt-python lxml pycdlib; }

sandbox-lifecycle: deps
	pytest -q tests/sandbox

# Two simulated hypervisors (tools/fleet): up, reached from the controller namespace, a lab
# placed over both, down.
fleet-test: collection image
	VIRTER_TEST_IMAGE=$$(tools/build-guest-image) pytest -q tests/fleet/test_fleet_lifecycle.py
	VIRTER_TEST_IMAGE=$$(tools/build-guest-image) pytest -q --durations=10 tests/fleet --deselect tests/fleet/test_fleet_lifecycle.py
