"""How long one DHCP host reservation takes on a network with many host entries.

Creates network vtest-bench (10.211.0.1/16, bridge vtbr-bench) with `--entries`
host entries (ids 2..), then reserves the lowest free id and releases it again
`--rounds` times, and prints the median reservation time in milliseconds. The network
is removed at the end. Run it where the VMs' network lives (the release drops leases):

    tools/sandbox exec .venv/bin/python bench/reservation.py
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "build" / "src"  # made by tests/conftest.py: the tree as ansible_collections.virter.core


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uri", default="qemu:///system")
    parser.add_argument("--entries", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()

    if not SRC.is_dir():
        (SRC / "ansible_collections" / "virter").mkdir(parents=True, exist_ok=True)
        (SRC / "ansible_collections" / "virter" / "core").symlink_to(ROOT)
    sys.path.insert(0, str(SRC))
    from ansible_collections.virter.core.plugins.module_utils import _ansible_module as ansible_module
    from ansible_collections.virter.core.plugins.module_utils.network import reservations
    from ansible_collections.virter.core.plugins.module_utils.network.service import NetworkService

    conn = ansible_module.connect(args.uri)
    name = "vtest-bench"
    service = NetworkService(conn)
    service.present({
        "name": name, "cidr": "10.211.0.1/16", "forward_mode": "nat", "dhcp": True,
        "dhcp_ids": {"first": 2, "count": args.entries}, "domain": None, "bridge": "vtbr-bench",
        "autostart": False, "dnsmasq_options": [], "restart": "never",
    })
    try:
        reserve_ms, release_ms = [], []
        for _round in range(args.rounds):
            start = time.perf_counter()
            vm_id, mac, _ip = reservations.reserve(conn, name)
            reserve_ms.append((time.perf_counter() - start) * 1000)
            assert vm_id == args.entries + 2, vm_id
            start = time.perf_counter()
            reservations.release(conn, name, mac)
            release_ms.append((time.perf_counter() - start) * 1000)
    finally:
        service.absent(name, force=True)
        conn.close()
    print("reservation with %d existing host entries: median %.1f ms (min %.1f, max %.1f) over %d rounds;"
          " release: median %.1f ms" % (args.entries, statistics.median(reserve_ms), min(reserve_ms),
                                        max(reserve_ms), args.rounds, statistics.median(release_ms)))


if __name__ == "__main__":
    main()
