"""The toolkit stands alone: importing all of it loads neither Django nor any portal app."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import ttgateway

PORTAL_PACKAGES = (
    "django",
    "rest_framework",
    "channels",
    "celery",
    "gateways",
    "orders",
    "ttportal",
)

IMPORT_EVERYTHING = """
import importlib, json, pkgutil, sys
import ttgateway
names = [m.name for m in pkgutil.walk_packages(ttgateway.__path__, "ttgateway.")
         if not m.name.endswith("__main__")]
for name in names:
    importlib.import_module(name)
print(json.dumps({"modules": names, "loaded": sorted(sys.modules)}))
"""


def test_importing_every_toolkit_module_loads_no_django_and_no_portal_app():
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", IMPORT_EVERYTHING],
        capture_output=True,
        text=True,
        check=True,
        env={
            "PATH": "",
            "PYTHONPATH": str(__import__("pathlib").Path(ttgateway.__file__).parents[1]),
        },
    )
    report = json.loads(result.stdout)
    offenders = [name for name in report["loaded"] if name.split(".")[0] in PORTAL_PACKAGES]
    assert offenders == []
    assert len(report["modules"]) >= 20  # the walk really imported the toolkit


def test_the_toolkit_lists_its_own_modules():
    names = {m.name for m in pkgutil.walk_packages(ttgateway.__path__, "ttgateway.")}
    assert {"ttgateway.protocol", "ttgateway.client", "ttgateway.simulator"} <= names
