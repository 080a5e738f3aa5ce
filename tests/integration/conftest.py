"""Fixtures of the integration tier.

The tier runs inside the sandbox (tools/sandbox exec), so libvirt networks, VMs and the
servers started here all live in the test network namespace.
"""
import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

URI = os.environ.get("VIRTER_LIBVIRT_URI", "qemu:///system")


@pytest.fixture(scope="session")
def libvirt_conn():
    import libvirt

    conn = libvirt.open(URI)
    yield conn
    conn.close()


@pytest.fixture(scope="session", autouse=True)
def no_leftovers(libvirt_conn):
    """Start from a libvirt without what an interrupted earlier run left (its tests'
    before/after comparisons and fixed ids would trip over it)."""
    from helpers.state import clear_leftovers

    cleared = clear_leftovers(libvirt_conn)
    if cleared:
        print(f"removed leftovers of an interrupted run: {', '.join(cleared)}", file=sys.stderr)


@pytest.fixture(scope="session")
def guest_image_file():
    """The guest image built by tools/build-guest-image (path in VIRTER_TEST_IMAGE)."""
    path = os.environ.get("VIRTER_TEST_IMAGE")
    if not path or not Path(path).is_file():
        pytest.fail("VIRTER_TEST_IMAGE must name the guest image (make integration sets it)")
    return Path(path)


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port, proc, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{what} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"{what} did not listen on 127.0.0.1:{port} within {timeout}s")


def _stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def _docker_registry(root, extra_config=""):
    """Debian's docker-registry (CNCF distribution) on a free port of 127.0.0.1, storing
    under `root`/data and logging to `root`/registry.log; yields its host:port."""
    port = _free_port()
    config = root / "config.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: info\n"
        "storage:\n  filesystem:\n    rootdirectory: {root}/data\n  delete:\n    enabled: true\n"
        "http:\n  addr: 127.0.0.1:{port}\n".format(root=root, port=port) + extra_config
    )
    with open(root / "registry.log", "w") as log:
        proc = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_for_port(port, proc, "docker-registry")
            yield f"127.0.0.1:{port}"
        finally:
            _stop(proc)


@pytest.fixture(scope="session")
def registry(tmp_path_factory):
    """A registry; yields {address, data (its storage), log (its access log)}."""
    root = tmp_path_factory.mktemp("registry")
    with _docker_registry(root) as address:
        yield {"address": address, "data": root / "data", "log": root / "registry.log"}


@pytest.fixture(scope="session")
def http_server(tmp_path_factory):
    """A plain HTTP server on 127.0.0.1 serving a directory; yields (base_url, directory)."""
    root = tmp_path_factory.mktemp("www")
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory", str(root), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_for_port(port, proc, "http.server")
    yield f"http://127.0.0.1:{port}", root
    _stop(proc)


@pytest.fixture(scope="session")
def served_guest_image(http_server, guest_image_file):
    """The guest image behind the HTTP server; yields its URL."""
    base, root = http_server
    (root / guest_image_file.name).symlink_to(guest_image_file)
    return f"{base}/{guest_image_file.name}"


@pytest.fixture(scope="session")
def debian_image(guest_image_file):
    """The guest image imported as virter image `vtest-debian`, for VMs that boot."""
    from helpers.ansible_run import run_task

    result = run_task("virter.core.virter_image", {"name": "vtest-debian", "path": str(guest_image_file)})
    assert not result.get("failed"), result
    yield "vtest-debian"
    run_task("virter.core.virter_image", {"name": "vtest-debian", "state": "absent"})


@pytest.fixture(scope="session")
def pool_guest_image(libvirt_conn, guest_image_file):
    """The guest image as a volume of the `default` pool (QEMU must be able to read it)."""
    from lxml import etree

    pool = libvirt_conn.storagePoolLookupByName("default")
    target = Path(etree.fromstring(pool.XMLDesc()).findtext("target/path")) / "virter-test-guest-base.qcow2"
    tmp = target.with_suffix(".part")
    subprocess.run(["cp", "--reflink=auto", str(guest_image_file), str(tmp)], check=True)
    tmp.chmod(0o644)
    tmp.rename(target)
    pool.refresh(0)
    yield str(target)
    target.unlink(missing_ok=True)
    pool.refresh(0)


@pytest.fixture(scope="module")
def private_pool(request, libvirt_conn):
    """The test module's own transient dir pool, named by its POOL: emptied before its
    first test, removed after its last."""
    from helpers.store import PoolFixture

    pool = PoolFixture(libvirt_conn, request.module.POOL)
    pool.empty()
    yield pool
    pool.remove()


@pytest.fixture
def pool(private_pool):
    """The test module's pool (see private_pool), emptied after each test."""
    yield private_pool
    private_pool.empty()


@pytest.fixture(scope="session")
def tiny_image(tmp_path_factory):
    """A 64 MiB empty qcow2 imported as image `vtest-tiny`: for VMs that are never booted."""
    from helpers.ansible_run import run_task

    path = tmp_path_factory.mktemp("tiny") / "tiny.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(path), "64M"], check=True)
    result = run_task("virter.core.virter_image", {"name": "vtest-tiny", "path": str(path)})
    assert not result.get("failed"), result
    yield "vtest-tiny"
    run_task("virter.core.virter_image", {"name": "vtest-tiny", "state": "absent"})


@pytest.fixture(scope="session")
def auth_registry(tmp_path_factory):
    """A second docker-registry that wants Basic auth (htpasswd, user `tester`, password
    `secret`); yields {address, username, password}."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt  # bcrypt for htpasswd without extra packages (Python 3.11)

    root = tmp_path_factory.mktemp("auth-registry")
    # Cost 4: the registry checks the password on every request.
    (root / "htpasswd").write_text("tester:%s\n" % crypt.crypt("secret", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))
    auth = "auth:\n  htpasswd:\n    realm: virter-test\n    path: {root}/htpasswd\n".format(root=root)
    with _docker_registry(root, auth) as address:
        yield {"address": address, "username": "tester", "password": "secret"}
