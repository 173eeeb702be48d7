"""Settings read from the environment: the secret key of the embedded setup and of a
deployment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def secret_key_with(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"SECRET_KEY", "DEBUG", "ALLOW_INSECURE_KEY", "DATABASE_URL", "VAR_DIR", "TESTING"}
    }
    clean.update(env)
    code = "import extranet.settings as s; print(s.SECRET_KEY)"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_embedded_setup_makes_a_private_key_once_and_keeps_it(tmp_path: Path) -> None:
    first = secret_key_with({"VAR_DIR": str(tmp_path)})
    second = secret_key_with({"VAR_DIR": str(tmp_path)})

    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    assert len(key) >= 50 and "insecure" not in key
    assert second.stdout.strip() == key
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_a_deployment_without_secret_key_refuses_to_start(tmp_path: Path) -> None:
    result = secret_key_with(
        {"VAR_DIR": str(tmp_path), "DATABASE_URL": "postgres://u@127.0.0.1:5432/x"}
    )

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
    assert not (tmp_path / "secret_key").exists()


def test_a_given_secret_key_wins(tmp_path: Path) -> None:
    result = secret_key_with({"VAR_DIR": str(tmp_path), "SECRET_KEY": "from-the-environment"})

    assert result.stdout.strip() == "from-the-environment"
