"""Run a command with a data home mounted read-only, as a replica or a snapshot is served.

As root (CI containers) a private mount namespace bind-mounts the home over itself
read-only (``unshare``), so even root gets "Read-only file system"; as anyone else,
taking the write bits away does the same. Either way nothing outside the command sees it.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

_MOUNT = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'


def _unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "true"], capture_output=True
    )
    return probe.returncode == 0


@contextmanager
def read_only(home: Path) -> Iterator[list[str]]:
    """A prefix for a command line that runs it with ``home`` read-only."""
    home = Path(home).resolve()
    if os.geteuid() == 0:
        if not _unshare_works():
            pytest.skip("running as root without `unshare`: cannot mount the home read-only")
        yield ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", _MOUNT, str(home)]
        return
    modes = {p: p.stat().st_mode for p in [home, *home.rglob("*")]}
    for path, mode in modes.items():
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        yield []
    finally:
        for path, mode in sorted(modes.items(), key=lambda item: len(item[0].parts)):
            path.chmod(mode)


def listing(home: Path) -> dict[str, tuple[int, int]]:
    """Every file under the home with its size and modification time."""
    return {
        str(p.relative_to(home)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(Path(home).rglob("*"))
        if p.is_file()
    }
