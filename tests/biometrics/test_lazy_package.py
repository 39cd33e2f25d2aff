"""The API server must not pay for the fingerprint engine until it extracts or matches."""

from __future__ import annotations

import subprocess
import sys

import openpesel.biometrics as biometrics


def test_every_exported_name_resolves_to_its_module() -> None:
    assert sorted(biometrics.__all__) == sorted(biometrics._WHERE)
    for name in biometrics.__all__:
        value = getattr(biometrics, name)
        assert value.__module__.startswith(f"openpesel.biometrics.{biometrics._WHERE[name]}")


def test_the_api_app_imports_neither_numba_nor_scipy() -> None:
    probe = ("import sys, openpesel.bootstrap.asgi, openpesel.biometrics.errors; "
             "print(sorted(m for m in ('numba', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
