"""The connection to libvirt's in-process test driver (test:///default) that the unit tests
of the services share. Its default state (network `default`, pool `default-pool`, domain
`test`) lives as long as any connection to it is open, so a test's volumes go when it ends."""
import libvirt
import pytest

POOL = "default-pool"


@pytest.fixture
def conn():
    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)
    conn = libvirt.open("test:///default")
    yield conn
    for vol in conn.storagePoolLookupByName(POOL).listAllVolumes(0):
        vol.delete(0)
    conn.close()
