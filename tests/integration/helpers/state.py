"""Snapshots of what libvirt holds, to assert that a task changed nothing (or undid all)."""
from lxml import etree


def libvirt_state(conn, pool="default", network="default"):
    """Domains, the volumes of `pool` and the DHCP host entries of `network`."""
    storage = conn.storagePoolLookupByName(pool)
    storage.refresh(0)
    root = etree.fromstring(conn.networkLookupByName(network).XMLDesc(0))
    return {
        "domains": sorted(dom.name() for dom in conn.listAllDomains(0)),
        "volumes": sorted(vol.name() for vol in storage.listAllVolumes(0)),
        "hosts": sorted((h.get("mac"), h.get("ip"), h.get("name")) for h in root.iterfind("ip/dhcp/host")),
    }
