"""``--workers N``: forked server processes on one port.

Kept simple on purpose: the parent only forks, restarts a worker that dies, and relays
signals; every worker is a complete server that loads the model itself.

Where the platform has ``SO_REUSEPORT`` (Linux, the BSDs, macOS) each worker listens on
a socket of its own and the kernel spreads new connections evenly over them; one shared
listening socket lets whichever worker wakes first take a burst of connections, and a
bare handler built that way ran at half speed in some runs. The parent keeps the port
with a bound socket that never listens (:func:`reserve_port`), so a restarted worker
binds it again and no other program can take it in between.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from typing import Any

from tornado.netutil import bind_sockets

#: Whether workers get a listening socket each (see the module's docstring).
HAS_REUSEPORT = hasattr(socket, "SO_REUSEPORT") and sys.platform != "win32"

#: ``forked`` is true in a worker process (a reload must then reach its siblings).
WORKER = {"forked": False}


def fork_workers(n: int) -> None:
    """Fork ``n`` workers sharing the listening sockets; return in each worker.

    The parent stays behind: it restarts a worker that dies, forwards SIGHUP (reload)
    to every worker, and on SIGTERM/SIGINT stops them and exits.
    """
    children: dict[int, int] = {}
    stopping = False

    def spawn(i: int) -> bool:
        pid = os.fork()
        if pid == 0:
            # Not SIG_DFL, which would kill a worker that gets a reload before its loop
            # installs the handler; that worker's first load comes after it anyway.
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            WORKER["forked"] = True
            return True
        children[pid] = i
        return False

    def forward(signum: int, _frame: Any) -> None:
        nonlocal stopping
        if signum != signal.SIGHUP:
            stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGHUP if signum == signal.SIGHUP else signal.SIGTERM)
            except OSError:
                pass

    signal.signal(signal.SIGHUP, forward)
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for i in range(n):
        if spawn(i):
            return
    while children:
        try:
            pid, _status = os.wait()
        except ChildProcessError:
            break
        i = children.pop(pid, -1)
        if not stopping and i >= 0:
            time.sleep(0.5)  # do not spin if workers crash at start
            if spawn(i):
                return
    sys.exit(0)


def reserve_port(port: int, host: str) -> list[socket.socket]:
    """Bind (without listening) ``SO_REUSEPORT`` sockets on ``host:port`` for every
    address ``host`` resolves to, as :func:`tornado.netutil.bind_sockets` would; port 0
    picks a free port, the same for every address. Connections are only ever queued on
    listening sockets, so these hold the port and receive nothing."""
    sockets: list[socket.socket] = []
    seen: set[tuple[Any, ...]] = set()
    flags = socket.AI_PASSIVE | getattr(socket, "AI_ADDRCONFIG", 0)
    try:
        infos = socket.getaddrinfo(host or None, port, socket.AF_UNSPEC, socket.SOCK_STREAM,
                                   0, flags)
        for family, kind, proto, _name, addr in sorted(infos, key=lambda i: i[0]):
            key = (family, addr)
            if key in seen:
                continue
            seen.add(key)
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            if port == 0 and len(sockets) > 1:
                addr = (addr[0], sockets[0].getsockname()[1], *addr[2:])
            sock.bind(addr)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def listen_own(reserved: list[socket.socket], host: str) -> list[socket.socket]:
    """In a worker: listening ``SO_REUSEPORT`` sockets of its own on the reserved port
    (the reserved ones, inherited from the parent, are closed in this process)."""
    port = reserved[0].getsockname()[1]
    own = bind_sockets(port, host or None, reuse_port=True)
    for sock in reserved:
        sock.close()
    return own
