"""Command-line tools built from the Go module proxy for tests that check files with the tools'
own code (helm for the chart, promtool for the alert rules and metrics, composecheck for the
compose file). Each tool's version is pinned in a go.mod of its own under deploy/; the first
run builds it into .data/gotools/, later runs reuse the binary until its module changes.

A first build takes minutes on a busy machine, longer than a test's timeout: tests that use a
tool carry the `go_tools` marker, and the session builds what they need once collection is
done (tests/conftest.py), before any test's timeout starts."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.infra import REPO_ROOT

TOOLS_DIR = REPO_ROOT / ".data" / "gotools"
BUILD_TIMEOUT_S = 1800
# name -> (the module that pins it, the main package to build)
TOOLS: dict[str, tuple[Path, str]] = {
    "helm": (REPO_ROOT / "deploy" / "helm" / "tool", "helm.sh/helm/v4/cmd/helm"),
    "promtool": (REPO_ROOT / "deploy" / "observability" / "promtool", "github.com/prometheus/prometheus/cmd/promtool"),
    "composecheck": (REPO_ROOT / "deploy" / "docker" / "composecheck", "."),
}


def go_tool(name: str) -> Path:
    """The binary of one of TOOLS, built first if its module changed."""
    module_dir, package = TOOLS[name]
    digest = hashlib.sha256()
    # The module's own Go files count too, for a tool written here (composecheck).
    for path in sorted([module_dir / "go.mod", module_dir / "go.sum", *module_dir.glob("*.go")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    binary = TOOLS_DIR / f"{name}-{digest.hexdigest()[:12]}"
    if binary.exists():
        return binary
    go = shutil.which("go")
    if go is None:
        pytest.fail(f"the Go toolchain is needed to build {name} ({package}); install Go and put `go` on PATH")
    TOOLS_DIR.mkdir(parents=True, exist_ok=True)
    partial = binary.with_suffix(f".partial-{os.getpid()}")
    env = {
        **os.environ,
        "GOTOOLCHAIN": "local",  # never fetch another toolchain
        "GOFLAGS": "-mod=readonly -buildvcs=false",  # go.mod/go.sum as committed, or fail
        "CGO_ENABLED": "0",
    }
    try:
        built = subprocess.run(
            [go, "build", "-o", str(partial), package], cwd=module_dir, env=env,
            check=False, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"building {name} took over {BUILD_TIMEOUT_S}s")
    if built.returncode != 0:
        pytest.fail(f"could not build {name} (needs the Go module proxy the first time):\n{built.stderr}")
    partial.replace(binary)
    for stale in TOOLS_DIR.glob(f"{name}-*"):
        if stale != binary and ".partial-" not in stale.name:
            stale.unlink(missing_ok=True)
    return binary
