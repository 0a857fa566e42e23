"""Refuse any connect that is not to loopback (or a unix socket), before a
packet leaves: import this first. botocore and ec2-metadata default to
169.254.169.254, which answers on these cloud machines."""

import ipaddress
import socket

_connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex


def _check(sock, address):
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return
    host = address[0]
    if host == "localhost" or ipaddress.ip_address(host).is_loopback:
        return
    raise PermissionError(f"guard: refused a connect to {host} (loopback only)")


def connect(self, address):
    _check(self, address)
    return _connect(self, address)


def connect_ex(self, address):
    _check(self, address)
    return _connect_ex(self, address)


socket.socket.connect, socket.socket.connect_ex = connect, connect_ex

# The guard itself: a documentation address (RFC 5737) is refused, unsent.
try:
    socket.create_connection(("192.0.2.1", 80), timeout=0.1)
except PermissionError:
    pass
else:
    raise SystemExit("guard: a non-loopback connect went through")
