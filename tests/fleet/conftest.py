"""Fixtures of the fleet tier: two simulated hypervisors (tools/fleet), up once for the
tier's lab tests and down at the end. test_fleet_lifecycle.py brings up and takes down a
fleet of its own and runs on its own, first (make fleet-test)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fleet_helpers import FLEET, INVENTORY  # noqa: E402  (after the path is set)


@pytest.fixture(scope="session")
def fleet():
    up = subprocess.run([FLEET, "up", "2"], capture_output=True, text=True, timeout=300, check=False)
    assert up.returncode == 0, up.stderr
    yield INVENTORY
    subprocess.run([FLEET, "down"], capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="session")
def guest_image_file():
    path = os.environ.get("VIRTER_TEST_IMAGE")
    if not path or not Path(path).is_file():
        pytest.fail("VIRTER_TEST_IMAGE must name the guest image (make fleet-test sets it)")
    return path
