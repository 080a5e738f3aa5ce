"""Taking in a layer: the one read pass that hashes, checks the header and writes
through a bounded buffer in a writer thread."""
import hashlib
import io
import struct

import pytest

from ansible_collections.virter.core.plugins.module_utils.store import ingest
from ansible_collections.virter.core.plugins.module_utils.store import qcow2
from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput


def _layer(size):
    head = bytearray(512)
    struct.pack_into(">4sIQIIQ", head, 0, qcow2.MAGIC, 3, 0, 0, 16, 1 << 30)
    body = bytes(range(256)) * (size // 256)
    return bytes(head) + body


@pytest.mark.parametrize("piece", [1000, ingest.CHUNK, ingest.WRITE_BUFFER + 12345])
def test_sink_writes_hashes_and_sees_the_header(tmp_path, piece):
    """Pieces smaller than, equal to and larger than the whole write buffer (a piece
    bigger than the buffer must not wait forever for room)."""
    data = _layer(ingest.WRITE_BUFFER + 3 * ingest.WRITE_BACK_STEP // 2)
    headers = []
    with open(tmp_path / "layer", "wb") as out:
        found = ingest.pump(io.BytesIO(data).read if piece == ingest.CHUNK else _reader(data, piece),
                            ingest.LayerSink(out, headers.append))
    assert (tmp_path / "layer").read_bytes() == data
    assert found.digest == "sha256:" + hashlib.sha256(data).hexdigest()
    assert found.size == len(data)
    assert len(headers) == 1 and headers[0].backing_file is None


def _reader(data, piece):
    stream = io.BytesIO(data)
    return lambda _size: stream.read(piece)


def test_header_check_stops_the_transfer(tmp_path):
    def refuse(_header):
        raise InvalidInput("not this one")

    with open(tmp_path / "layer", "wb") as out:
        with pytest.raises(InvalidInput, match="not this one"):
            ingest.pump(io.BytesIO(_layer(4096)).read, ingest.LayerSink(out, refuse))


def test_data_that_ends_inside_the_header():
    with pytest.raises(InvalidInput, match="inside the header"):
        ingest.pump(io.BytesIO(qcow2.MAGIC).read, ingest.LayerSink(None, lambda _h: None))


def test_a_failing_disk_is_reported(tmp_path):
    class Full(io.RawIOBase):
        def writable(self):
            return True

        def write(self, _data):
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        ingest.pump(io.BytesIO(_layer(3 * ingest.CHUNK)).read, ingest.LayerSink(Full(), lambda _h: None))
