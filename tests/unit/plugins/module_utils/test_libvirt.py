"""The libvirt plumbing: call() and its error translation, the lookups on libvirt's
in-process test driver (test:///default: network `default`, pool `default-pool`), and
the volume stream's finish and abort."""
import libvirt
import pytest

from ansible_collections.virter.core.plugins.module_utils import _libvirt
from ansible_collections.virter.core.plugins.module_utils._errors import LibvirtError

VOLUME = "<volume><name>disk</name><capacity>1024</capacity><target><format type='raw'/></target></volume>"


def libvirt_error(message, code=libvirt.VIR_ERR_INTERNAL_ERROR):
    exc = libvirt.libvirtError(message)
    exc.err = (code, libvirt.VIR_FROM_NONE, message, 2, None, None, None, 0, 0)
    return exc


def refuse(*_args):
    raise libvirt_error("internal error: no")


def test_call_returns_what_the_call_returns():
    assert _libvirt.call("add", lambda a, b: a + b, 2, 3) == 5


def test_call_says_what_it_was_doing():
    with pytest.raises(LibvirtError) as failed:
        _libvirt.call("start VM web", refuse)
    assert failed.value.msg == "cannot start VM web: internal error: no"
    assert failed.value.code == libvirt.VIR_ERR_INTERNAL_ERROR


def test_call_leaves_other_errors_alone():
    with pytest.raises(KeyError):
        _libvirt.call("read", {}.__getitem__, "missing")


def test_call_or_none_is_none_only_for_the_missing_code():
    def missing(*_args):
        raise libvirt_error("Network not found", libvirt.VIR_ERR_NO_NETWORK)

    assert _libvirt.call_or_none("look", libvirt.VIR_ERR_NO_NETWORK, missing) is None
    with pytest.raises(LibvirtError, match="^cannot look: Network not found$"):
        _libvirt.call_or_none("look", libvirt.VIR_ERR_NO_DOMAIN, missing)


def test_lookups_find_what_exists_and_none_for_what_does_not(conn):
    assert _libvirt.lookup_network(conn, "default").name() == "default"
    assert _libvirt.lookup_network(conn, "missing") is None
    pool = _libvirt.lookup_pool(conn, "default-pool")
    assert pool.name() == "default-pool"
    assert _libvirt.lookup_pool(conn, "missing") is None
    pool.createXML(VOLUME, 0)
    assert _libvirt.lookup_volume(pool, "disk").name() == "disk"
    assert _libvirt.lookup_volume(pool, "missing") is None


class _Refusing:
    """A connection or pool whose lookups fail for another reason than a missing object."""
    networkLookupByName = storagePoolLookupByName = storageVolLookupByName = staticmethod(refuse)  # pylint: disable=invalid-name


@pytest.mark.parametrize("lookup, action", [
    (_libvirt.lookup_network, "look up network lab"),
    (_libvirt.lookup_pool, "look up storage pool lab"),
    (_libvirt.lookup_volume, "look up volume lab"),
])
def test_a_lookup_that_fails_otherwise_is_an_error(lookup, action):
    with pytest.raises(LibvirtError) as failed:
        lookup(_Refusing(), "lab")
    assert failed.value.msg == "cannot %s: internal error: no" % action


class _Uri:
    def __init__(self, uri):
        self.uri = uri

    def getURI(self):  # pylint: disable=invalid-name
        return self.uri


def test_on_hypervisor(conn):
    assert _libvirt.on_hypervisor(conn)
    assert _libvirt.on_hypervisor(_Uri("qemu:///system"))
    assert not _libvirt.on_hypervisor(_Uri("qemu+ssh://root@hv1/system"))


class _Stream:
    def __init__(self, abort_fails=False):
        self.calls = []
        self.abort_fails = abort_fails

    def finish(self):
        self.calls.append("finish")

    def abort(self):
        self.calls.append("abort")
        if self.abort_fails:
            raise libvirt_error("stream is closed")


class _Conn:
    def __init__(self, stream):
        self.stream = stream

    def newStream(self, _flags):  # pylint: disable=invalid-name
        return self.stream


def attach(stream, offset, length, flags):
    stream.calls.append(("attach", offset, length, flags))


def test_a_stream_is_finished_when_the_block_ends():
    stream = _Stream()
    with _libvirt.volume_stream(_Conn(stream), attach, 10, "upload into volume disk") as attached:
        assert attached is stream
    assert stream.calls == [("attach", 0, 10, 0), "finish"]


@pytest.mark.parametrize("error", [libvirt_error("stream had I/O failure"), OSError("disk full"), KeyboardInterrupt()])
def test_a_stream_is_aborted_when_the_block_raises(error):
    stream = _Stream()
    with pytest.raises(type(error)) as raised:
        with _libvirt.volume_stream(_Conn(stream), attach, 0, "download volume disk"):
            raise error
    assert raised.value is error
    assert stream.calls == [("attach", 0, 0, 0), "abort"]


def test_an_abort_that_fails_does_not_hide_the_error():
    stream = _Stream(abort_fails=True)
    with pytest.raises(OSError, match="disk full"):
        with _libvirt.volume_stream(_Conn(stream), attach, 0, "download volume disk"):
            raise OSError("disk full")
    assert stream.calls[-1] == "abort"


def test_a_refused_attach_is_libvirts_error_and_aborts():
    stream = _Stream()
    with pytest.raises(LibvirtError, match="^cannot upload into volume disk: internal error: no$"):
        with _libvirt.volume_stream(_Conn(stream), refuse, 10, "upload into volume disk"):
            pytest.fail("the block must not run")
    assert stream.calls == ["abort"]


def test_a_failed_finish_aborts():
    stream = _Stream()
    stream.finish = refuse
    with pytest.raises(libvirt.libvirtError):
        with _libvirt.volume_stream(_Conn(stream), attach, 10, "upload into volume disk"):
            pass
    assert stream.calls[-1] == "abort"
