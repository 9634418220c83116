"""The ``--workers`` listening sockets: one ``SO_REUSEPORT`` group, one socket per worker slot.

On one shared socket every worker's event loop (libuv) accepts until the queue is empty, so the
worker that woke first took nearly all of a client's burst of connections (50 of wrk's 50,
measured) and kept them. In a ``SO_REUSEPORT`` group the kernel puts each new connection on one
socket of the group, so each worker gets its share.

Closing a socket of the group resets the connections queued on it; so the supervisor keeps every
slot's socket open for its whole life and hands slot ``i``'s socket to whichever worker serves slot
``i`` (a roll's new worker accepts on the very socket its predecessor leaves).

A slot without a worker (one that died, until its replacement serves; for good while a broken ACL
file keeps the replacement from starting) would still receive its share of new connections, which
would wait there unanswered. ``steer`` attaches a classic BPF program to the group that sends new
connections only to the slots that have a worker (the kernel runs it for each SYN; unprivileged).

Security: the kernel lets only processes of the same effective user join a group, and those can
already signal or trace wafproxy; a second ``wafproxy serve`` by mistake is refused
(``reuse_port_listener``).
"""

from __future__ import annotations

import ctypes
import socket
import struct
from collections.abc import Sequence

BACKLOG = 2048  # as cli.listen_socket and the worker's server
SO_ATTACH_REUSEPORT_CBPF = 51  # <asm-generic/socket.h>; not exported by the socket module

# Classic BPF (<linux/filter.h>): opcodes and the ancillary load of a random number.
_LD_ABS_W = 0x20  # BPF_LD | BPF_W | BPF_ABS
_MOD_K = 0x94  # BPF_ALU | BPF_MOD | BPF_K
_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_RET_K = 0x06  # BPF_RET | BPF_K
_SKF_AD_RANDOM = 0xFFFFF000 + 56  # SKF_AD_OFF + SKF_AD_RANDOM


def in_group(sock: socket.socket) -> bool:
    return bool(sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT))


def reuse_port_listener(sock: socket.socket) -> socket.socket:
    """``sock`` (bound and listening alone) exchanged for a ``SO_REUSEPORT`` socket on its address.

    Binding alone first keeps a taken address an error: a socket that joins a group binds even
    where another of the same user's processes (a second ``wafproxy serve``) already listens in
    one, and the two would then share connections silently. ``sock`` is closed."""
    host, port = sock.getsockname()[:2]
    family = sock.family
    sock.close()
    return socket.create_server((host, port), family=family, backlog=BACKLOG, reuse_port=True)


def listen_slots(sock: socket.socket, count: int) -> list[socket.socket]:
    """``count`` listening sockets for ``count`` workers: ``sock`` and siblings bound to its address
    in its ``SO_REUSEPORT`` group, or ``sock`` for all when it is not in one.

    Slot ``i`` is the group's ``i``-th socket (the kernel numbers them in the order they start
    listening, and none of them closes before the supervisor ends): ``steer`` relies on it."""
    if not in_group(sock):
        return [sock] * count
    host, port = sock.getsockname()[:2]
    slots = [sock]
    try:
        for _ in range(count - 1):
            slots.append(socket.create_server((host, port), family=sock.family, backlog=BACKLOG,
                                              reuse_port=True))
    except OSError:
        for sibling in slots[1:]:
            sibling.close()
        raise
    return slots


def steering_program(live: Sequence[int]) -> bytes:
    """A classic BPF program answering, for each new connection, one of the slots ``live`` (the
    group's socket index), each equally likely. The kernel numbers ``sock_filter`` instructions:
    ``code`` (u16), ``jt``, ``jf`` (u8), ``k`` (u32)."""
    if not live:
        raise ValueError("no slot to steer to")

    def insn(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
        return struct.pack("=HBBI", code, jt, jf, k)

    program = [insn(_LD_ABS_W, _SKF_AD_RANDOM), insn(_MOD_K, len(live))]
    for choice, slot in enumerate(live[:-1]):
        program += [insn(_JEQ_K, choice, jt=0, jf=1), insn(_RET_K, slot)]
    program.append(insn(_RET_K, live[-1]))
    return b"".join(program)


def steer(slots: Sequence[socket.socket], live: Sequence[int]) -> None:
    """New connections to the group of ``slots`` go to the slots in ``live`` only (raises OSError
    where the kernel refuses; a no-op for a shared socket or when no slot is live)."""
    if not live or not in_group(slots[0]):
        return
    code = steering_program(live)
    buffer = ctypes.create_string_buffer(code, len(code))
    fprog = struct.pack("@HP", len(code) // 8, ctypes.addressof(buffer))  # struct sock_fprog
    slots[0].setsockopt(socket.SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, fprog)  # the kernel copies it
