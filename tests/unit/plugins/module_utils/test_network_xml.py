from lxml import etree

from ansible_collections.virter.core.plugins.module_utils.network import network_xml as x

# What `virter network add -m nat -n 192.168.124.1/24 -p -d test --dhcp-id 2 --dhcp-count 2` defines.
VIRTER_NETMASK = """
<network xmlns:dnsmasq="http://libvirt.org/schemas/network/dnsmasq/1.0">
  <name>virter-net</name>
  <uuid>0b6f7a3e-1b7e-4b56-9b0a-5a2f3e4d5c6b</uuid>
  <forward mode="nat"><nat><port start="1024" end="65535"/></nat></forward>
  <bridge name="virbr7" stp="on" delay="0"/>
  <domain name="test" localOnly="yes"/>
  <ip address="192.168.124.1" netmask="255.255.255.0">
    <dhcp>
      <range start="192.168.124.2" end="192.168.124.254"/>
      <host mac="52:54:00:00:00:02" ip="192.168.124.2"/>
      <host mac="52:54:00:00:00:03" ip="192.168.124.3"/>
    </dhcp>
  </ip>
  <dnsmasq:options><dnsmasq:option value="log-dhcp"/></dnsmasq:options>
</network>
"""

# The prefix= form, isolated, no DHCP, plus IPv6.
PREFIX_NO_DHCP = """
<network>
  <name>iso</name>
  <ip family="ipv6" address="fd00::1" prefix="64"/>
  <ip address="10.9.0.1" prefix="16"/>
</network>
"""


def test_parse_virter_network():
    model = x.parse_network(VIRTER_NETMASK)
    assert model == {
        "name": "virter-net",
        "bridge": "virbr7",
        "forward_mode": "nat",
        "domain": "test",
        "cidr": "192.168.124.1/24",
        "ip_form": "netmask",
        "ranges": [("192.168.124.2", "192.168.124.254")],
        "hosts": [
            {"mac": "52:54:00:00:00:02", "ip": "192.168.124.2", "name": None},
            {"mac": "52:54:00:00:00:03", "ip": "192.168.124.3", "name": None},
        ],
        "dnsmasq_options": ["log-dhcp"],
    }


def test_parse_prefix_form_without_dhcp():
    model = x.parse_network(PREFIX_NO_DHCP)
    assert model["cidr"] == "10.9.0.1/16" and model["ip_form"] == "prefix"
    assert model["forward_mode"] == "none"
    assert model["ranges"] == [] and model["hosts"] == []
    assert model["bridge"] is None and model["domain"] is None


def test_parse_without_ipv4():
    model = x.parse_network("<network><name>n</name><forward/></network>")
    assert model["cidr"] is None
    assert model["forward_mode"] == "nat"  # libvirt's default mode


def _desired(**kw):
    desired = {
        "name": "lab", "bridge": None, "forward_mode": "nat", "domain": None,
        "cidr": "192.168.250.1/24", "ip_form": "netmask", "ranges": [("192.168.250.2", "192.168.250.254")],
        "hosts": [], "dnsmasq_options": [],
    }
    desired.update(kw)
    return desired


def test_render_new_round_trips():
    desired = _desired(bridge="br-lab", domain="lab.test", dnsmasq_options=["a=1", "b"],
                       hosts=[{"mac": "52:54:00:00:00:05", "ip": "192.168.250.5", "name": "vm"}])
    xml = x.render_network(desired)
    assert x.parse_network(xml) == desired
    ip = etree.fromstring(xml).find("ip")
    assert ip.get("netmask") == "255.255.255.0" and ip.get("prefix") is None


def test_render_isolated_without_dhcp():
    root = etree.fromstring(x.render_network(_desired(forward_mode="none", ranges=[])))
    assert root.find("forward") is None
    assert root.find("ip/dhcp") is None


def test_render_on_base_keeps_the_rest_and_writes_netmask():
    base = VIRTER_NETMASK.replace('netmask="255.255.255.0"', 'prefix="24"')
    desired = dict(x.parse_network(base), forward_mode="route", domain=None, dnsmasq_options=[], ip_form="netmask")
    root = etree.fromstring(x.render_network(desired, base))
    assert root.findtext("uuid") == "0b6f7a3e-1b7e-4b56-9b0a-5a2f3e4d5c6b"
    assert root.find("bridge").get("stp") == "on"
    forward = root.find("forward")
    assert forward.get("mode") == "route" and len(forward) == 0
    assert root.find("domain") is None
    assert root.find("ip").get("prefix") is None and root.find("ip").get("netmask") == "255.255.255.0"
    assert x.parse_network(etree.tostring(root)) == desired


def test_render_keeps_unchanged_forward_children():
    desired = x.parse_network(VIRTER_NETMASK)
    root = etree.fromstring(x.render_network(desired, VIRTER_NETMASK))
    assert root.find("forward/nat/port") is not None


def test_render_new_subnet():
    desired = dict(x.parse_network(VIRTER_NETMASK), cidr="10.5.0.1/16",
                   ranges=[("10.5.0.2", "10.5.255.254")], hosts=[])
    assert x.parse_network(x.render_network(desired, VIRTER_NETMASK)) == desired


def test_host_and_range_xml():
    assert x.host_xml({"mac": "52:54:00:00:00:05", "ip": "10.0.0.5", "name": None}) == \
        '<host mac="52:54:00:00:00:05" ip="10.0.0.5"/>'
    assert x.host_xml({"mac": "52:54:00:00:00:05", "ip": "10.0.0.5", "name": "a'b"}) == \
        '<host mac="52:54:00:00:00:05" name="a\'b" ip="10.0.0.5"/>'
    assert x.range_xml(("10.0.0.2", "10.0.0.9")) == '<range start="10.0.0.2" end="10.0.0.9"/>'
    # libvirt keeps entries without a MAC too (a name for an address)
    assert x.host_xml({"mac": None, "ip": "10.0.0.7", "name": "printer"}) == '<host name="printer" ip="10.0.0.7"/>'


def test_interface_macs():
    domain = """<domain><devices>
      <interface type="network"><mac address="52:54:00:00:00:0A"/><source network="lab"/></interface>
      <interface type="network"><mac address="52:54:00:00:00:0b"/><source network="other"/></interface>
      <interface type="bridge"><mac address="52:54:00:00:00:0c"/><source bridge="lab"/></interface>
    </devices></domain>"""
    assert x.interface_macs(domain, "lab") == ["52:54:00:00:00:0a"]
    assert x.interface_macs(domain, "none") == []


def test_footprint_has_every_address_and_the_bridge():
    bridge, subnets = x.footprint(VIRTER_NETMASK)
    assert bridge == "virbr7"
    assert [str(s) for s in subnets] == ["192.168.124.1/24"]
    assert [str(s) for s in x.footprint(PREFIX_NO_DHCP)[1]] == ["fd00::1/64", "10.9.0.1/16"]
    assert x.footprint(PREFIX_NO_DHCP)[0] is None


def test_footprint_takes_libvirts_default_prefixes():
    xml = ("<network><name>n</name><ip address='10.1.2.3'/><ip address='172.16.1.1'/>"
           "<ip address='192.168.9.1'/><ip family='ipv6' address='fd01::1'/><ip address='bogus'/></network>")
    assert [str(s) for s in x.footprint(xml)[1]] == ["10.1.2.3/8", "172.16.1.1/16", "192.168.9.1/24", "fd01::1/64"]
