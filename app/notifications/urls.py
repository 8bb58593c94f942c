"""Which URLs a channel may post to.

``https`` only, and never to a private, loopback, link-local or otherwise non-public address (server-side
request forgery: a channel must not reach the service's own network) unless ``JIEFEN_WEBHOOK_ALLOW_HOSTS``
lists the host, its address or a network containing it (for a private deployment of 政务微信, and for the
tests' local receivers, which may then be plain ``http``). Checked when a channel is added, and again at
each send on the addresses the name resolves to then. Redirects are never followed (app.notifications.sender).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class UrlRefused(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class AllowList:
    hosts: frozenset[str]
    networks: tuple[IPNetwork, ...]

    @classmethod
    def parse(cls, text: str) -> AllowList:
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for item in (i.strip().lower() for i in text.split(",")):
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                hosts.add(item)
        return cls(frozenset(hosts), tuple(networks))

    def allows_host(self, host: str) -> bool:
        if host.lower() in self.hosts:
            return True
        try:
            return self.allows_address(ipaddress.ip_address(host))
        except ValueError:
            return False

    def allows_address(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks)


def _public(address: IPAddress) -> bool:
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def check_url(url: str, allow: AllowList) -> str:
    """The URL if its form is acceptable (scheme, host, a literal address); raises :class:`UrlRefused`."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 (raises ValueError for a port out of range)
    except ValueError as exc:
        raise UrlRefused("url.format", "the URL is malformed") from exc
    if any(c.isspace() or ord(c) < 32 for c in url.strip()):
        raise UrlRefused("url.format", "the URL is malformed")
    if not host:
        raise UrlRefused("url.host", "the URL has no host")
    listed = allow.allows_host(host)
    if parts.scheme != "https" and not (parts.scheme == "http" and listed):
        raise UrlRefused("url.scheme", "the URL must use https")
    if parts.username or parts.password:
        raise UrlRefused("url.credentials", "the URL must not carry a user name or password")
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if host == "localhost" or host.endswith(".localhost"):
        literal = ipaddress.ip_address("127.0.0.1")
    if literal is not None and not _public(literal) and not listed and not allow.allows_address(literal):
        raise UrlRefused("url.private", "the URL's address is private, loopback or link-local")
    return url.strip()


async def check_resolved(url: str, allow: AllowList) -> None:
    """Every address the URL's host resolves to now must be public, unless allow-listed."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if allow.allows_host(host):
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UrlRefused("url.unresolved", f"the host does not resolve: {exc}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not _public(address) and not allow.allows_address(address):
            raise UrlRefused(
                "url.private", "the URL's host resolves to a private, loopback or link-local address"
            )


def mask_url(url: str) -> str:
    """The URL as people see it: query values (a robot's key, DingTalk's access_token) keep 4 characters."""
    parts = urlsplit(url)
    query = [
        (k, v[:4] + "****" if len(v) > 4 else "****")
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(parts._replace(query=urlencode(query, safe="*")))


def mask_secret(secret: str | None) -> str | None:
    if not secret:
        return None
    return secret[:6] + "****" if len(secret) > 10 else "****"
