"""The test servers answer on 127.0.0.1 inside the namespace."""
import json
import urllib.request

NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def test_registry_speaks_distribution_api(registry):
    with NO_PROXY.open(f"http://{registry['address']}/v2/", timeout=10) as resp:
        assert resp.status == 200
        assert resp.headers["Docker-Distribution-Api-Version"] == "registry/2.0"
    with NO_PROXY.open(f"http://{registry['address']}/v2/_catalog", timeout=10) as resp:
        # Other tests of the session may have pushed to it already.
        assert isinstance(json.load(resp)["repositories"], list)


def test_http_server_serves_the_guest_image(served_guest_image, guest_image_file):
    with NO_PROXY.open(served_guest_image, timeout=10) as resp:
        assert resp.status == 200
        assert int(resp.headers["Content-Length"]) == guest_image_file.stat().st_size
        assert resp.read(4) == b"QFI\xfb"  # qcow2 magic
