"""Where a cache directory lives: SQLite (diskcache) is unsafe on network filesystems (bus errors
and lost locks on Lustre/NFS, see DSPy's docs PR #8843), so the store warns when it finds one."""

from __future__ import annotations

import os
from pathlib import Path

NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "lustre",
        "cifs",
        "smb3",
        "smbfs",
        "fuse.sshfs",
        "beegfs",
        "gpfs",
        "ceph",
        "glusterfs",
        "9p",
    }
)


def filesystem_type(path: str | Path, mounts_file: str = "/proc/mounts") -> str | None:
    """The type of the filesystem holding ``path`` (longest matching mount point), if known."""
    target = os.path.realpath(path)
    best, best_type = "", None
    try:
        with open(mounts_file, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount = parts[1].replace("\\040", " ")
        inside = target == mount or target.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) >= len(best):
            best, best_type = mount, parts[2]
    return best_type


def is_network_filesystem(path: str | Path, mounts_file: str = "/proc/mounts") -> bool:
    return (filesystem_type(path, mounts_file) or "") in NETWORK_FILESYSTEMS
