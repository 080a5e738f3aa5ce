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


def only(state, prefix):
    """The part of a libvirt_state about one test's names (domains, volumes such as
    virter:work:<vm> and virter:tag:<image>, DHCP entries named after VMs), so that others
    using the same libvirt at the same time do not disturb a before/after comparison."""
    return {
        "domains": [name for name in state["domains"] if name.startswith(prefix)],
        "volumes": [name for name in state["volumes"] if prefix in name],
        "hosts": [host for host in state["hosts"] if (host[2] or "").startswith(prefix)],
    }


def remove(conn, part, pool="default", network="default"):
    """Remove the domains, volumes and DHCP host entries a libvirt_state-shaped `part`
    names: a test's cleanup after a leak it has recorded, so the next step starts clean."""
    import libvirt

    for name in part["domains"]:
        dom = conn.lookupByName(name)
        if dom.isActive():
            dom.destroy()
        dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA | libvirt.VIR_DOMAIN_UNDEFINE_NVRAM)
    storage = conn.storagePoolLookupByName(pool)
    for name in part["volumes"]:
        storage.storageVolLookupByName(name).delete(0)
    net = conn.networkLookupByName(network)
    flags = libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG
    if net.isActive():
        flags |= libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE
    for mac, ip, name in part["hosts"]:
        host = etree.Element("host", {k: v for k, v in (("mac", mac), ("ip", ip), ("name", name)) if v})
        net.update(libvirt.VIR_NETWORK_UPDATE_COMMAND_DELETE, libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST, -1,
                   etree.tostring(host, encoding="unicode"), flags)


def clear_leftovers(conn, prefix="vtest"):
    """Remove what an interrupted earlier run of the tier left under the test prefix:
    domains, networks and pools named `prefix...`, volumes of `default` naming it and the
    default network's DHCP host entries for such VMs. Returns the names removed."""
    import libvirt

    part = only(libvirt_state(conn), prefix)
    networks = [net for net in conn.listAllNetworks(0) if net.name().startswith(prefix)]
    pools = [pool for pool in conn.listAllStoragePools(0) if pool.name().startswith(prefix)]
    remove(conn, part)
    for net in networks:
        if net.isActive():
            net.destroy()
        if net.isPersistent():
            net.undefine()
    for pool in pools:
        if pool.isActive():
            for vol in pool.listAllVolumes(0):
                vol.delete(0)
            pool.destroy()
        if pool.isPersistent():
            pool.undefine()
    return sorted(part["domains"] + part["volumes"] + [host[2] for host in part["hosts"]]
                  + [net.name() for net in networks] + [pool.name() for pool in pools])
