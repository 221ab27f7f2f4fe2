"""Forwarded headers, believed only from the proxies the operator names.

`REELFORGE_TRUSTED_PROXIES` lists addresses or networks (`10.0.0.5, 192.168.0.0/16`); it is
empty by default, so `X-Forwarded-For` and `X-Forwarded-Proto` are ignored and the client
is the TCP peer. uvicorn's own proxy handling is off in `serve` (it trusts loopback by
default): a forwarded address sent straight to the server would otherwise pick the
login rate limit's IP. From a trusted peer, the client is the right-most address of
`X-Forwarded-For` that is not itself a trusted proxy.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

from reelforge.config import Network, parse_networks

__all__ = ["Network", "TrustedProxyMiddleware", "forwarded_client", "parse_networks"]


def _is_trusted(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def forwarded_client(peer: str, forwarded_for: str, networks: Sequence[Network]) -> str:
    """The client address for a request from `peer` carrying `X-Forwarded-For`."""
    if not networks or not _is_trusted(peer, networks):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            return hop if _valid_ip(hop) else peer
    return hops[0] if hops and _valid_ip(hops[0]) else peer


def _valid_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


class TrustedProxyMiddleware:
    def __init__(self, app: ASGIApp, *, networks: Sequence[Network]) -> None:
        self.app = app
        self.networks = list(networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.networks and scope["type"] in ("http", "websocket") and scope.get("client"):
            peer, port = scope["client"]
            if _is_trusted(peer, self.networks):
                headers = [(k, v.decode("latin-1")) for k, v in scope.get("headers") or []]
                forwarded = ",".join(v for k, v in headers if k == b"x-forwarded-for")
                protos = [p.strip().lower() for k, v in headers if k == b"x-forwarded-proto" for p in v.split(",")]
                scope = dict(scope)
                scope["client"] = (forwarded_client(peer, forwarded, self.networks), port)
                if protos and protos[-1] in ("http", "https"):  # the nearest proxy's word
                    scope["scheme"] = (
                        protos[-1] if scope["type"] == "http" else ("wss" if protos[-1] == "https" else "ws")
                    )
        await self.app(scope, receive, send)
