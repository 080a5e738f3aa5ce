# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Storage volume XML, built and read with lxml (pure).

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from collections import namedtuple

from ansible_collections.virter.core.plugins.module_utils._lxml import etree

from ansible_collections.virter.core.plugins.module_utils.store.names import (
    backing_path,
    layer_of_backing,
)

# `parent` is the layer volume the backing file names, None when there is no backing
# file or it is not a layer; `backing` is the path as libvirt reports it.
# Times are seconds since the epoch as floats; `mtime_ns` keeps libvirt's full precision.
VolumeInfo = namedtuple("VolumeInfo", [
    "name", "path", "format", "capacity", "physical", "backing", "parent",
    "atime", "mtime", "mtime_ns", "ctime",
])


def volume_xml(name, capacity=0, fmt="qcow2", backing_digest=None):
    """A new volume: `capacity` bytes of format `fmt`, optionally backed by a layer
    through its relative `./virter:layer:...` path (virter's layout)."""
    root = etree.Element("volume")
    etree.SubElement(root, "name").text = name
    etree.SubElement(root, "capacity", unit="bytes").text = str(int(capacity))
    target = etree.SubElement(root, "target")
    etree.SubElement(target, "format", type=fmt)
    if backing_digest:
        store = etree.SubElement(root, "backingStore")
        etree.SubElement(store, "path").text = backing_path(backing_digest)
        etree.SubElement(store, "format", type="qcow2")
    return etree.tostring(root, encoding="unicode")


def parse_volume(xml):
    root = etree.fromstring(xml)
    backing = root.findtext("backingStore/path")
    atime = _timestamp(root, "atime")
    mtime = _timestamp(root, "mtime")
    ctime = _timestamp(root, "ctime")
    fmt = root.find("target/format")
    return VolumeInfo(
        name=root.findtext("name"),
        path=root.findtext("target/path"),
        format=fmt.get("type") if fmt is not None else None,
        capacity=_bytes(root, "capacity"),
        # <physical> is the file's length; older libvirt only reports <allocation>.
        physical=_bytes(root, "physical") if root.find("physical") is not None else _bytes(root, "allocation"),
        backing=backing,
        parent=layer_of_backing(backing),
        atime=_seconds(atime),
        mtime=_seconds(mtime),
        mtime_ns=_nanoseconds(mtime),
        ctime=_seconds(ctime),
    )


_UNIT_FACTORS = {"bytes": 1, "b": 1, "kib": 1024, "k": 1024, "mib": 1024 ** 2, "m": 1024 ** 2,
                 "gib": 1024 ** 3, "g": 1024 ** 3, "tib": 1024 ** 4, "t": 1024 ** 4}


def _bytes(root, tag):
    elem = root.find(tag)
    if elem is None or not (elem.text or "").strip():
        return 0
    return int(elem.text) * _UNIT_FACTORS.get(elem.get("unit", "bytes").lower(), 1)


def _timestamp(root, tag):
    return root.findtext("target/timestamps/" + tag)


def _seconds(text):
    return float(text) if text else None


def _nanoseconds(text):
    """'1795806349.126585055' -> integer nanoseconds, exactly (a float loses digits)."""
    if not text:
        return None
    sec, _dot, frac = text.partition(".")
    return int(sec) * 10 ** 9 + int((frac + "000000000")[:9])


def pool_target_path(xml):
    """The directory of a `dir` pool (None for other pool types)."""
    root = etree.fromstring(xml)
    return root.findtext("target/path") if root.get("type") == "dir" else None
