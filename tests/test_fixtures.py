"""The shared server fixtures work (so failures elsewhere are not fixture failures)."""

import urllib.request

import fsspec


def test_http_server_serves_files(http_server):
    root, base = http_server
    (root / "hello.txt").write_text("hi")
    assert urllib.request.urlopen(base + "/hello.txt").read() == b"hi"


def test_s3_server_round_trip(s3_server):
    fs = fsspec.filesystem("s3", **s3_server["storage_options"])
    path = f"{s3_server['bucket']}/probe.txt"
    fs.pipe(path, b"payload")
    assert fs.cat(path) == b"payload"
