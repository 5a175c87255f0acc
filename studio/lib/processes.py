"""A name for this process that no other process shares, on this host or any other."""

from __future__ import annotations

import os
import secrets
import socket

_names: dict[int, str] = {}


def process_name() -> str:
    """`host:pid:random`, the same for the life of a process and new after a fork.

    Host name and PID alone are not enough: containers with host networking share the host
    name, and every container's first process is PID 1. Heartbeat rows and leases are keyed on
    this name, so two processes sharing one would merge heartbeats and release each other's
    leases.
    """
    pid = os.getpid()
    if pid not in _names:
        _names[pid] = f"{socket.gethostname()}:{pid}:{secrets.token_hex(4)}"
    return _names[pid]
