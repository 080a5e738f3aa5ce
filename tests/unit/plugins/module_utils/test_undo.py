"""A clean-up after a failure never hides the failure."""
import pytest

from ansible_collections.virter.core.plugins.module_utils._errors import NotFound, TransferFailed, undo


def test_a_failing_clean_up_keeps_the_first_error():
    done = []

    def clean_up(what):
        done.append(what)
        raise NotFound("volume gone with the connection")

    with pytest.raises(TransferFailed, match="broke off after 5 of 9 bytes"):
        try:
            raise TransferFailed("the upload of layer x", 5, 9, "connection reset")
        except TransferFailed:
            undo(clean_up, "layer x")
            raise
    assert done == ["layer x"]
