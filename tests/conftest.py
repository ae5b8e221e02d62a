"""Shared fixtures: real local servers (moto S3, http.server) and the spec folder."""

from __future__ import annotations

import contextlib
import pathlib
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

SHARED = pathlib.Path(__file__).resolve().parents[2] / "shared"
SPEC = SHARED / "ngff-spec"


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=1)  # noqa: S310 - loopback only
            return
        except Exception as err:  # server not up yet: any error until the deadline
            if "HTTP Error" in str(err):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"server at {url} did not start") from err
            time.sleep(0.1)


@pytest.fixture(scope="session")
def spec_dir() -> pathlib.Path:
    """The official schemas and examples (``../shared/ngff-spec``); skip when absent."""
    if not SPEC.is_dir():
        pytest.skip("../shared/ngff-spec is not present")
    return SPEC


@pytest.fixture(scope="session")
def s3_server():
    """A moto S3 server on 127.0.0.1 with a bucket ``test-bucket``.

    Yields a dict with ``endpoint_url``, ``bucket`` and ready-made fsspec ``storage_options``.
    """
    pytest.importorskip("moto")
    pytest.importorskip("s3fs")
    boto3 = pytest.importorskip("boto3")
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    creds = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **creds)
    client.create_bucket(Bucket="test-bucket")
    try:
        yield {
            "endpoint_url": endpoint,
            "bucket": "test-bucket",
            "storage_options": {
                "key": creds["aws_access_key_id"],
                "secret": creds["aws_secret_access_key"],
                "client_kwargs": {"endpoint_url": endpoint, "region_name": "us-east-1"},
            },
        }
    finally:
        server.stop()


@pytest.fixture
def http_server(tmp_path_factory):
    """Serve a fresh directory over HTTP on 127.0.0.1 with ``python -m http.server``.

    Yields ``(directory, base_url)``; write stores into ``directory`` and read them back from
    ``base_url + "/name.ome.zarr"``.
    """
    root = tmp_path_factory.mktemp("http-root")
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "http.server",
            str(port),
            "--bind",
            "127.0.0.1",
            "--directory",
            str(root),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_http(base + "/")
        yield root, base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
