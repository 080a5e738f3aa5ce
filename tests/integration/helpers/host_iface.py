"""An interface of the hypervisor that is not a libvirt network's, made in the namespace
the tests run in (the sandbox's, where libvirtd runs)."""
import contextlib
import subprocess


@contextlib.contextmanager
def host_interface(name, address=None):
    """A bridge device `name` (up, with `address` such as 10.1.2.5/24 when given), removed
    at the end."""
    subprocess.run(["ip", "link", "add", name, "type", "bridge"], check=True)
    try:
        if address:
            subprocess.run(["ip", "addr", "add", address, "dev", name], check=True)
        subprocess.run(["ip", "link", "set", name, "up"], check=True)
        yield name
    finally:
        subprocess.run(["ip", "link", "del", name], check=False)
