"""An S3-compatible bucket for the tests of STORAGE_BACKEND=s3: a local moto server and the
portal's storage set up as the production settings build it (fixtures in conftest.py)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer
from pytest_django.fixtures import Settings

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Bucket:
    name: str
    endpoint: str
    client: Any

    def keys(self) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.name)
        return [item["Key"] for item in listing.get("Contents", [])]

    def read(self, key: str) -> bytes:
        return bytes(self.client.get_object(Bucket=self.name, Key=key)["Body"].read())


def production_storage(env: dict[str, str], tmp_path: Path) -> dict[str, Any]:
    """STORAGES["default"] as extranet.settings builds it from these environment variables."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_") and k not in {"DATABASE_URL", "STORAGE_BACKEND"}
    }
    clean.update({"ALLOW_INSECURE_KEY": "1", "VAR_DIR": str(tmp_path / "var"), **env})
    code = "import json, extranet.settings as s; print(json.dumps(s.STORAGES['default']))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


@contextmanager
def moto_server() -> Iterator[str]:
    """A local S3-compatible server on a free port; yields its address."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # One line per S3 call otherwise.
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def new_bucket(endpoint: str, settings: Settings, tmp_path: Path) -> Bucket:
    """A new bucket, made the portal's storage with the production settings' options."""
    name = f"tutti-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="tutti",
        aws_secret_access_key="secret-of-the-test",
    )
    client.create_bucket(Bucket=name)
    secret = tmp_path / "s3_secret"
    secret.write_text("secret-of-the-test\n", encoding="utf-8")
    storage = production_storage(
        {
            "STORAGE_BACKEND": "s3",
            "AWS_STORAGE_BUCKET_NAME": name,
            "AWS_S3_ENDPOINT_URL": endpoint,
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_S3_ADDRESSING_STYLE": "path",
            "AWS_ACCESS_KEY_ID": "tutti",
            "AWS_SECRET_ACCESS_KEY_FILE": str(secret),
        },
        tmp_path,
    )
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    # Django resets its storages (default_storage, FileField.storage) when STORAGES changes.
    settings.STORAGES = {**settings.STORAGES, "default": storage}
    return Bucket(name=name, endpoint=endpoint, client=client)
