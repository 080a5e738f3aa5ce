"""The docs site (make docs) as a reader sees it: a module page and a role page opened in
headless Chromium, a screenshot of each (saved beside the site), and the text of their option
tables checked against the documentation the pages are made from."""
import json
import os
import shutil
import struct
import subprocess
from pathlib import Path

import lxml.html
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCS = Path(os.environ.get("VIRTER_DOCS_DIR", ROOT / "build" / "docs"))
WINDOW = (1280, 2400)
# Argument spec types as the option tables name them.
TYPE_NAMES = {"str": "string", "int": "integer", "bool": "boolean", "dict": "dictionary",
              "list": "list", "path": "path", "raw": "any", "float": "float"}


def chromium(profile, *args):
    binary = shutil.which("chromium")
    assert binary, "chromium is not installed (bindep.txt, tools/install-deps)"
    argv = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--user-data-dir=%s" % profile, "--window-size=%d,%d" % WINDOW, *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=True).stdout


def page_url(page):
    path = DOCS / "html" / page
    assert path.is_file(), "%s is missing: make docs builds it" % path
    return path.as_uri()


def rendered_dom(profile, page):
    return lxml.html.fromstring(chromium(profile, "--dump-dom", page_url(page)))


def screenshot(profile, page):
    """The top of the page, down to the first rows of its option table."""
    png = DOCS / (Path(page).stem + ".png")
    png.unlink(missing_ok=True)
    chromium(profile, "--screenshot=%s" % png, page_url(page))
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == WINDOW
    # A blank page compresses to a few kilobytes; a table of text does not.
    assert len(data) > 50_000, "%s looks blank" % png


def option_table(dom, prefix):
    """{option: type line} as the top-level rows of the page's option table show them
    (rows whose anchor is not under prefix, or names a sub-option, are left out)."""
    rows = {}
    for row in dom.xpath('//section[@id="parameters"]//table[contains(@class, "ansible-option-table")]/tbody/tr'):
        cell = row.xpath("./td[1]")[0]
        anchor = cell.xpath('string(.//div[contains(@class, "ansibleOptionAnchor")]/@id)')
        if not anchor.startswith(prefix) or "/" in anchor:
            continue
        name = cell.xpath('string(.//p[contains(@class, "ansible-option-title")])').strip()
        rows[name] = " ".join(cell.xpath('string(.//p[contains(@class, "ansible-option-type-line")])').split())
    return rows


def type_line(spec):
    line = TYPE_NAMES[spec.get("type", "str")]
    if "elements" in spec:
        line += " / elements=%s" % TYPE_NAMES[spec["elements"]]
    if spec.get("required"):
        line += " / required"
    return line


@pytest.fixture(scope="module")
def profile(tmp_path_factory):
    return tmp_path_factory.mktemp("chromium")


def test_module_page_lists_the_options(profile):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.environ.get(
        "ANSIBLE_COLLECTIONS_PATH", str(ROOT / "build" / "collections")))
    doc = json.loads(subprocess.run(["ansible-doc", "--json", "virter.core.virter_vm"], env=env,
                                    capture_output=True, text=True, check=True).stdout)
    options = doc["virter.core.virter_vm"]["doc"]["options"]

    dom = rendered_dom(profile, "virter_vm_module.html")
    assert dom.xpath("string(//h1)").startswith("virter.core.virter_vm module")
    rows = option_table(dom, "parameter-")
    assert rows == {name: type_line(spec) for name, spec in options.items()}
    assert rows["name"] == "string"  # required unless vms, which the module checks
    assert rows["vms"] == "list / elements=dictionary"
    assert rows["state"] == "string"
    assert rows["count"] == "integer"
    state = dom.xpath('//div[@id="parameter-state"]/ancestor::tr[1]/td[2]')[0].text_content()
    assert all('"%s"' % choice in state for choice in ("running", "stopped", "absent"))
    assert '"running" ← (default)' in state
    screenshot(profile, "virter_vm_module.html")


def test_role_page_lists_the_entry_point_options(profile):
    specs = yaml.safe_load((ROOT / "roles" / "lab" / "meta" / "argument_specs.yml").read_text())
    options = specs["argument_specs"]["main"]["options"]

    dom = rendered_dom(profile, "lab_role.html")
    assert dom.xpath("string(//h1)").startswith("virter.core.lab role")
    entry = " ".join(dom.xpath('string(//section[starts-with(@id, "entry-point-main")]/*[1])').split())
    assert entry.startswith("Entry point main")
    rows = option_table(dom, "parameter-main--")
    assert rows == {name: type_line(spec) for name, spec in options.items()}
    assert rows["virter_lab_vms"] == "list / elements=dictionary"
    assert rows["virter_lab_state"] == "string"
    screenshot(profile, "lab_role.html")
