"""UDP targets the user named (``HOST:PORT``), and a sender that writes to those and no others.

A live session sends to exactly the addresses given on the command line (``--livelink``,
``--vmc``); nothing is broadcast and no address is discovered. Each target is resolved once, when
it is parsed, so a typo fails before anything is generated.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from motiongen.core.errors import ConfigError


@dataclass(frozen=True)
class UdpTarget:
    """One destination: ``host`` as given, ``address`` the resolved ``(ip, port)``, ``flag`` the
    command-line option it came from (for messages)."""

    host: str
    port: int
    address: tuple[str, int]
    flag: str

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def parse_target(text: str, flag: str) -> UdpTarget:
    """``"HOST:PORT"`` (``[IPv6]:PORT`` too) → :class:`UdpTarget`, resolved to an IPv4/IPv6 address.

    Raises:
        ConfigError: no port, a port outside 1-65535, or a host name that does not resolve.
    """
    host, sep, port_text = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host:
        raise ConfigError(f"{flag} {text!r}: expected HOST:PORT, e.g. 127.0.0.1:11111")
    try:
        port = int(port_text)
    except ValueError:
        raise ConfigError(f"{flag} {text!r}: port {port_text!r} is not a number") from None
    if not 1 <= port <= 65535:
        raise ConfigError(f"{flag} {text!r}: port {port} is outside 1-65535")
    try:
        info = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    except socket.gaierror as err:
        raise ConfigError(f"{flag} {text!r}: host {host!r} does not resolve ({err.strerror})") from None
    family, _, _, _, address = info[0]
    return UdpTarget(host, port, (str(address[0]), int(address[1])), flag)


class UdpSender:
    """Sends datagrams to a fixed set of targets; there is no way to send anywhere else.

    One socket per address family is opened lazily; send errors (e.g. ICMP port unreachable
    reported on a later send) are counted, not raised, so a receiver that is not running yet does
    not stop the stream.
    """

    def __init__(self, targets: list[UdpTarget]):
        self.targets = tuple(targets)
        self.errors = 0
        self.sent = 0
        self._sockets: dict[int, socket.socket] = {}

    def _socket(self, address: tuple[str, int]) -> socket.socket:
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        if family not in self._sockets:
            self._sockets[family] = socket.socket(family, socket.SOCK_DGRAM)
        return self._sockets[family]

    def send(self, payload: bytes) -> None:
        """Send ``payload`` to every target."""
        for target in self.targets:
            try:
                self._socket(target.address).sendto(payload, target.address)
                self.sent += 1
            except OSError:
                self.errors += 1

    def close(self) -> None:
        for sock in self._sockets.values():
            sock.close()
        self._sockets.clear()
