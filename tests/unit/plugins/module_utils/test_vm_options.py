"""virter_vm's option table against the module's DOCUMENTATION, so that an option added to
one and not the other, or changed in one only, fails here."""
import re

import pytest
import yaml

from ansible_collections.virter.core.plugins.module_utils.vm import options, spec as vm_spec
from ansible_collections.virter.core.plugins.modules import virter_vm

DOC = yaml.safe_load(virter_vm.DOCUMENTATION)
# What DOCUMENTATION and an argument spec entry both say about an option.
KEYS = ("type", "elements", "default", "choices", "required")


def _said(entry):
    said = dict((key, entry.get(key)) for key in KEYS)
    said["required"] = bool(said["required"])
    sub = entry.get("suboptions", entry.get("options"))
    if sub is not None:
        said["options"] = dict((name, _said(value)) for name, value in sub.items())
    return said


def test_the_table_has_the_documented_options():
    assert sorted(options.argument_spec()) == sorted(DOC["options"])


@pytest.mark.parametrize("name", sorted(DOC["options"]))
def test_table_and_documentation_say_the_same(name):
    assert _said(options.argument_spec()[name]) == _said(DOC["options"][name])


@pytest.mark.parametrize("option", [option for option in options.OPTIONS if option.change], ids=lambda option: option.name)
def test_an_option_with_drift_is_declared_only_when_set(option):
    """A default (or required) would declare it in every task and compare it with every VM."""
    assert "default" not in option.spec and not option.spec.get("required")


def _value(value):
    if value == []:
        return "none"
    return "V(%s)" % (str(value).lower() if isinstance(value, bool) else value)


@pytest.mark.parametrize("name,value", sorted(options.new_vm_defaults().items()))
def test_the_new_vm_defaults_are_documented(name, value):
    description = DOC["options"][name]["description"]
    description = description if isinstance(description, str) else " ".join(description)
    assert re.search(r"%s when not set" % re.escape(_value(value)), description), description


def _named(text):
    return set(re.findall(r"O\((\w+)\)", text))


def test_the_drift_paragraph_names_each_option_with_its_change():
    paragraph = " ".join(line for line in DOC["description"] if line.startswith("Drift:"))
    applied, rest = paragraph.split(" are applied to ", 1)
    recreate = rest.split(" need a new VM", 1)[0]
    by_change = dict((change, set(option.name for option in options.OPTIONS if option.change == change))
                     for change in (options.APPLIED, options.RECREATE))
    assert (_named(applied), _named(recreate)) == (by_change[options.APPLIED], by_change[options.RECREATE])


def test_id_and_network_are_not_kept_in_the_record():
    """The service compares them with the VM's MAC and access NIC; in the record they
    would change what every VM made so far keeps in its metadata."""
    recorded = set(vm_spec.RECREATE_FIELDS) | set(name for names in vm_spec.RECREATE_FIELDS.values() for name in names)
    assert not recorded & {"id", "network"}


def test_every_applied_field_has_a_desired_value():
    spec = dict((key, None) for key in ("memory", "vcpus", "disk_cache", "vnc_listen"))
    desired = vm_spec.desired_settings(spec, {}, set(), None, None)
    assert set(desired) == set(vm_spec.APPLIED_FIELDS)
