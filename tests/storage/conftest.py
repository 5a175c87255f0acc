"""Media in object storage, tested against a real S3 HTTP endpoint: moto's server on 127.0.0.1."""

from __future__ import annotations

import socket
import uuid

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from moto.server import ThreadedMotoServer

from studio.lib import media

KEYS = {"aws_access_key_id": "studio-test", "aws_secret_access_key": "studio-test-secret"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_media(settings, s3_endpoint):
    """The studio's media in a fresh bucket, configured as the settings module does it."""
    bucket = f"studio-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **KEYS)
    client.create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "access_key": KEYS["aws_access_key_id"],
                "secret_key": KEYS["aws_secret_access_key"],
                "addressing_style": "path",
                "signature_version": "s3v4",
                "location": "media",
                "file_overwrite": True,
                "max_memory_size": 2_621_440,
                "transfer_config": TransferConfig(max_concurrency=2),
            },
        },
    }
    settings.MEDIA_S3_PUBLIC_URL = s3_endpoint
    settings.MEDIA_STORAGE_ORIGIN = s3_endpoint
    settings.MEDIA_URL_EXPIRY_SECONDS = 300
    media._signing_client.cache_clear()

    class Bucket:
        name = bucket
        endpoint = s3_endpoint
        s3 = client

        def keys(self) -> dict[str, int]:
            listing = client.list_objects_v2(Bucket=bucket).get("Contents", [])
            return {item["Key"]: item["Size"] for item in listing}

    return Bucket()
