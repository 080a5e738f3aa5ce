"""A connection that breaks in the middle of a transfer becomes TransferFailed, saying
what was moving and how far it got: registry reads and uploads, http(s) downloads and
libvirt streams."""
import http.client
import io
import socket
import struct

import libvirt
import pytest
import requests
import urllib3

from ansible_collections.virter.core.plugins.module_utils.store import pool_io
from ansible_collections.virter.core.plugins.module_utils.store import qcow2
from ansible_collections.virter.core.plugins.module_utils._errors import LibvirtError, TransferFailed
from ansible_collections.virter.core.plugins.module_utils.registry.reference import parse_reference
from ansible_collections.virter.core.plugins.module_utils.registry.client import RegistryClient
from ansible_collections.virter.core.plugins.module_utils.store.http_source import HttpSource
from ansible_collections.virter.core.plugins.module_utils._transfer import reason


def _incomplete():
    inner = http.client.IncompleteRead(b"x" * 10, 90)
    return urllib3.exceptions.ProtocolError("Connection broken: %r" % inner, inner)


def _aborted():
    gone = http.client.RemoteDisconnected("Remote end closed connection without response")
    return requests.exceptions.ConnectionError(urllib3.exceptions.ProtocolError("Connection aborted.", gone))


def test_reason_is_the_innermost_cause():
    assert reason(_incomplete()) == "IncompleteRead(10 bytes read, 90 more expected)"
    assert reason(_aborted()) == "Remote end closed connection without response"
    assert reason(ConnectionResetError(104, "Connection reset by peer")) == "[Errno 104] Connection reset by peer"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(requests.exceptions.ConnectionError) as refused:
        requests.get("http://127.0.0.1:%d/" % port, timeout=5)
    assert reason(refused.value) == "[Errno 111] Connection refused"


def test_message():
    assert str(TransferFailed("the download of x", 3, 10, "gone")) == \
        "the download of x broke off after 3 of 10 bytes (gone); run the task again to retry"
    assert "after 3 bytes (gone)" in str(TransferFailed("the upload of x", 3, None, "gone"))


# -- registry ------------------------------------------------------------------------


class _Raw:
    """A streamed answer's body that breaks after `good` bytes."""

    def __init__(self, good, error):
        self._data = io.BytesIO(b"{" * good)
        self._error = error

    def read(self, size, decode_content=True):  # pylint: disable=unused-argument
        chunk = self._data.read(min(size, 4))
        if not chunk:
            raise self._error
        return chunk


class _Response:
    def __init__(self, status, raw=None, headers=None, url="http://reg.test/"):
        self.status_code = status
        self.raw = raw
        self.headers = headers or {}
        self.url = url
        self.reason = "OK"

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Session:
    """requests.Session for oras' do_request: a scripted answer per method."""

    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def request(self, method, url, data=None, **_kwargs):
        self.calls.append((method, url))
        answer = self.answers[method]
        if callable(answer):
            return answer(data)
        return answer


class _Oras:
    auth = None
    _tls_verify = True

    def __init__(self, session):
        self.session = session


def _client(answers):
    client = RegistryClient(parse_reference("reg.test:5000/lab/img:1", "ref"))
    client.connect = lambda: None
    client._oras = _Oras(_Session(answers))  # pylint: disable=protected-access
    client._base = "http://reg.test:5000/v2/lab/img/"  # pylint: disable=protected-access
    return client


def test_manifest_cut_in_its_body():
    client = _client({"GET": _Response(200, _Raw(8, _incomplete()))})
    with pytest.raises(TransferFailed) as failed:
        client.manifest()
    assert failed.value.msg.startswith("the download of the manifest of reg.test:5000/lab/img:1 from "
                                       "registry reg.test:5000 broke off after 8 bytes (IncompleteRead")


def test_config_cut_in_its_body():
    client = _client({"GET": _Response(200, _Raw(8, ConnectionResetError(104, "Connection reset by peer")))})
    with pytest.raises(TransferFailed, match=r"blob sha256:0+ of .* broke off after 8 of 20 bytes "
                                             r"\(\[Errno 104\] Connection reset by peer\)"):
        client.small_blob("sha256:" + "0" * 64, 20, 1000)


def test_upload_cut_says_how_much_was_sent():
    def patch(data):
        for _piece in zip(range(2), data):
            pass
        raise _aborted()

    client = _client({
        "POST": _Response(202, headers={"Location": "/v2/lab/img/blobs/uploads/u1"}),
        "PATCH": patch,
        "DELETE": _Response(204),
    })
    with pytest.raises(TransferFailed) as failed:
        client.upload(iter([b"a" * 100] * 5), "the compressed blob of layer sha256:abc")
    assert failed.value.msg == (
        "the upload of the compressed blob of layer sha256:abc to registry reg.test:5000 broke off after "
        "200 bytes (Remote end closed connection without response); run the task again to retry")
    # The unfinished upload is dropped.
    assert client._oras.session.calls[-1] == ("DELETE", "http://reg.test/v2/lab/img/blobs/uploads/u1")


# -- http(s) downloads ---------------------------------------------------------------


def _qcow2_file(size):
    head = bytearray(512)
    struct.pack_into(">4sIQIIQ", head, 0, qcow2.MAGIC, 3, 0, 0, 16, 1 << 30)
    return bytes(head) + b"\0" * (size - 512)


class _HttpResponse:
    def __init__(self, data, length, error=None):
        self.headers = {"Content-Length": str(length)}
        self._data = io.BytesIO(data)
        self._error = error

    def read(self, size):
        chunk = self._data.read(min(size, 100))
        if not chunk and self._error is not None:
            raise self._error
        return chunk


def _download(response):
    source = HttpSource("http://web.test/a.qcow2")
    source._response = response  # pylint: disable=protected-access
    return source.copy_into(None, lambda _header: None)


def test_download_reset_mid_file():
    with pytest.raises(TransferFailed, match=r"^the download of http://web.test/a.qcow2 broke off after 1000 of "
                                             r"4000 bytes \(\[Errno 104\] Connection reset by peer\); run the task"):
        _download(_HttpResponse(_qcow2_file(1000), 4000, ConnectionResetError(104, "Connection reset by peer")))


def test_download_closed_inside_the_header_is_a_broken_download():
    """Not 'not a qcow2 file': the server sent too few bytes."""
    with pytest.raises(TransferFailed, match=r"after 20 of 4000 bytes \(the server closed the connection\)"):
        _download(_HttpResponse(_qcow2_file(1000)[:20], 4000))


def test_complete_download():
    assert _download(_HttpResponse(_qcow2_file(1000), 1000)).size == 1000


# -- libvirt streams -----------------------------------------------------------------


class _Error(libvirt.libvirtError):
    def __init__(self, message):
        super().__init__(message)
        self.err = (1, 0, message)


class _Stream:
    def __init__(self, good):
        self.good = good
        self.aborted = False

    def send(self, data):
        if self.good <= 0:
            raise _Error("stream had I/O failure")
        sent = min(len(data), self.good)
        self.good -= sent
        return sent

    def recv(self, _size):
        if self.good <= 0:
            raise _Error("stream had I/O failure")
        self.good -= 3
        return b"abc"

    def finish(self):
        pass

    def abort(self):
        self.aborted = True


class _Conn:
    def __init__(self, stream):
        self.stream = stream

    def newStream(self, _flags):  # pylint: disable=invalid-name
        return self.stream


class _Vol:
    def __init__(self, refuse=False):
        self.refuse = refuse

    def name(self):
        return "virter:layer:sha256:abc"

    def upload(self, _stream, _offset, _length, _flags):
        if self.refuse:
            raise _Error("volume is in use")

    download = upload

    def infoFlags(self, _flags):  # pylint: disable=invalid-name
        return [0, 1 << 30, 12]


def test_stream_upload_broken(tmp_path):
    path = tmp_path / "layer"
    path.write_bytes(b"x" * 10)
    stream = _Stream(4)
    with pytest.raises(TransferFailed) as failed:
        pool_io.upload(_Conn(stream), _Vol(), str(path))
    assert failed.value.msg == ("the upload into volume virter:layer:sha256:abc broke off after 4 of 10 bytes "
                                "(stream had I/O failure); run the task again to retry")
    assert stream.aborted
    with pytest.raises(TransferFailed, match="after 2 of 5 bytes"):
        pool_io.upload_bytes(_Conn(_Stream(2)), _Vol(), b"seeds")


def test_stream_download_broken():
    out = io.BytesIO()
    with pytest.raises(TransferFailed, match=r"^the download of volume virter:layer:sha256:abc broke off after 6 "
                                             r"of 12 bytes \(stream had I/O failure\)"):
        pool_io.download(_Conn(_Stream(6)), _Vol(), out)
    assert out.getvalue() == b"abcabc"


def test_a_refused_stream_is_libvirts_error():
    with pytest.raises(LibvirtError, match="cannot upload into volume virter:layer:sha256:abc: volume is in use"):
        pool_io.upload_bytes(_Conn(_Stream(10)), _Vol(refuse=True), b"seeds")
