"""HDHomeRun discovery and SSDP responders: how Plex, Channels DVR, Emby and ``hdhomerun_config
discover`` find the emulated tuner without being given its URL.

Two UDP sockets, opened in the app's lifespan when ``discovery.enabled`` is set:

- SiliconDust discovery (``discovery.hdhr_port``, 65001): a discover request for tuners (or any
  device type), for every id or for ours, gets a reply with the device id of the announced
  user's tuner (the DeviceID of its discover.json), its tuner count, base URL and lineup URL.
  Packets with a bad CRC, other packet types and requests for other types or ids get nothing.
- SSDP (``discovery.ssdp_port``, 1900): an ``M-SEARCH`` for ``ssdp:all``, ``upnp:rootdevice``,
  the MediaServer device type or our UDN gets one answer per matching target, ``LOCATION``
  pointing at the tuner's device.xml. The socket joins the SSDP multicast group unless it is
  bound to a loopback address; with ``discovery.ssdp_notify`` it also multicasts ``NOTIFY``
  announcements (and a farewell at shutdown).

The announced tuner is ``discovery.user``'s, else the first admin's, read from the database at
most every few seconds. Announced URLs start with ``base_url`` when it was configured, else with
the local address the requester reaches this host on and ``discovery.http_port`` (default: the
port of ``base_url``). Discovery is a LAN protocol: requests from public addresses are ignored,
so an exposed port cannot be used to bounce larger answers at a forged sender. A port that
cannot be bound (taken, no permission) is logged and skipped; the app starts anyway.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
import socket
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any, cast
from urllib.parse import quote, urlsplit

from strmline import __version__
from strmline.config import Settings
from strmline.db.engine import Session, SessionFactory
from strmline.db.models import User
from strmline.formats import hdhr
from strmline.formats import hdhr_discovery as proto
from strmline.services import tuning, user_admin
from strmline.services import users as user_service

log = logging.getLogger(__name__)

__all__ = [
    "DiscoveryService",
    "Tuner",
    "announced_user",
    "start_discovery",
]

# The announced tuner (user, token, tuner count) is re-read from the database this often at most:
# a burst of discover packets costs one query, a rotated token is picked up within seconds.
TUNER_CACHE_SECONDS = 5.0
# Datagrams being answered at once; more are dropped (a flood must not pile up tasks).
MAX_PENDING = 64
# An M-SEARCH asks for its answers to be spread over MX seconds; we spread them over at most 1 s
# (the protocol lets a device assume a smaller MX) so a searching client is not kept waiting.
MAX_SSDP_DELAY = 1.0
SSDP_MAX_AGE = 1800
SSDP_TTL = 2
SERVER = f"Linux/1.0 UPnP/1.0 strmline/{__version__}"
_ANY = ("", "0.0.0.0", "::")
_SHARED_NAT = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT, VPN overlays


@dataclass(frozen=True, slots=True)
class Tuner:
    """What an answer needs to say about the announced tuner."""

    user_id: int
    token: str
    device_id: int
    device_auth: str
    udn: str
    tuner_count: int

    def base(self, server: str) -> str:
        return f"{server}/hdhr/{quote(self.token, safe='')}"


async def announced_user(session: Session, settings: Settings) -> User | None:
    """``discovery.user`` when set, else the first admin; None when that user is missing or
    inactive (then nothing is announced and the root tuner answers 404)."""
    name = settings.discovery.user
    if name:
        user = await user_service.get_by_username(session=session, username=name)
    else:
        user = await user_admin.get_first_admin(session=session)
    return user if user is not None and user.is_active else None


def lan_peer(host: str) -> bool:
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip in _SHARED_NAT


def local_address(peer: str, bind: str) -> str:
    """The address of this host that ``peer`` reaches: the bound one, else the source address
    the routing table picks towards the peer (a connected UDP socket sends nothing)."""
    if bind not in _ANY:
        return bind
    family = socket.AF_INET6 if ":" in peer else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect((peer, 9))
            return str(probe.getsockname()[0])
    except OSError:
        return "127.0.0.1"


def server_base(settings: Settings, local_ip: str) -> str:
    """The scheme, host and port (and proxy prefix) announced URLs start with."""
    if "base_url" in settings.model_fields_set:
        return settings.base_url.rstrip("/")
    parts = urlsplit(settings.base_url)
    port = settings.discovery.http_port or parts.port or (443 if parts.scheme == "https" else 80)
    host = f"[{local_ip}]" if ":" in local_ip else local_ip
    return f"http://{host}:{port}"


def _udp_socket(bind: str, port: int, *, shared: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        if shared:
            # Other SSDP stacks on this host (Plex itself, minissdpd) listen on 1900 too.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if hasattr(socket, "SO_REUSEPORT"):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((bind, port))
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def _join_ssdp_group(sock: socket.socket, bind: str) -> None:
    if sock.family != socket.AF_INET or ipaddress.ip_address(bind or "0.0.0.0").is_loopback:
        return
    interface = bind if bind not in _ANY else "0.0.0.0"
    membership = socket.inet_aton(proto.SSDP_ADDRESS) + socket.inet_aton(interface)
    try:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, SSDP_TTL)
    except OSError as exc:
        log.warning(
            "SSDP: cannot join %s (%s): only unicast searches are answered",
            proto.SSDP_ADDRESS,
            exc,
        )


class _Receiver(asyncio.DatagramProtocol):
    def __init__(self, service: DiscoveryService, kind: str) -> None:
        self.service = service
        self.kind = kind
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The selector loop's datagram transport is not a DatagramTransport subclass.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        if self.transport is None or not lan_peer(str(addr[0])):
            return
        if self.kind == "hdhr":
            self.service.spawn(self.service.handle_hdhr(self.transport, data, addr))
        else:
            self.service.spawn(self.service.handle_ssdp(self.transport, data, addr))

    def error_received(self, exc: Exception) -> None:
        log.debug("discovery %s socket: %s", self.kind, exc)


class DiscoveryService:
    """The two responders and what they share (the cached tuner, the pending answers)."""

    def __init__(
        self,
        settings: Settings,
        session_factory: SessionFactory,
        *,
        notify_target: tuple[str, int] = (proto.SSDP_ADDRESS, proto.SSDP_PORT),
    ) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.notify_target = notify_target
        self.hdhr_address: tuple[str, int] | None = None
        self.ssdp_address: tuple[str, int] | None = None
        self._hdhr: asyncio.DatagramTransport | None = None
        self._ssdp: asyncio.DatagramTransport | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._notifier: asyncio.Task[None] | None = None
        self._tuner: tuple[float, Tuner | None] | None = None
        self._tuner_lock = asyncio.Lock()

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        opts = self.settings.discovery
        self._hdhr, self.hdhr_address = await self._open("hdhr", opts.bind, opts.hdhr_port)
        if opts.ssdp:
            self._ssdp, self.ssdp_address = await self._open("ssdp", opts.bind, opts.ssdp_port)
            if self._ssdp is not None and opts.ssdp_notify:
                self._notifier = asyncio.create_task(self._notify_loop(), name="ssdp-notify")

    async def _open(
        self, kind: str, bind: str, port: int
    ) -> tuple[asyncio.DatagramTransport | None, tuple[str, int] | None]:
        try:
            sock = _udp_socket(bind, port, shared=kind == "ssdp")
        except OSError as exc:
            log.warning("discovery: cannot listen on UDP %s:%s for %s: %s", bind, port, kind, exc)
            return None, None
        if kind == "ssdp":
            _join_ssdp_group(sock, bind)
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: _Receiver(self, kind), sock=sock)
        address = sock.getsockname()
        log.info("discovery: %s answering on UDP %s:%s", kind, address[0], address[1])
        return transport, (str(address[0]), int(address[1]))

    async def close(self) -> None:
        if self._notifier is not None:
            self._notifier.cancel()
            await asyncio.gather(self._notifier, return_exceptions=True)
            await self._announce(alive=False)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for transport in (self._hdhr, self._ssdp):
            if transport is not None:
                transport.close()
        self._hdhr = self._ssdp = None

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        if len(self._tasks) >= MAX_PENDING:
            coro.close()
            return
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- the announced tuner ---------------------------------------------------------------

    async def tuner(self) -> Tuner | None:
        async with self._tuner_lock:
            now = time.monotonic()
            if self._tuner is not None and now - self._tuner[0] < TUNER_CACHE_SECONDS:
                return self._tuner[1]
            tuner = await self._load_tuner()
            self._tuner = (now, tuner)
            return tuner

    async def _load_tuner(self) -> Tuner | None:
        async with self.session_factory() as session:
            user = await announced_user(session, self.settings)
            if user is None:
                return None
            count = await tuning.tuner_count(session, self.settings.outputs.tuner_count)
            user_id, token = user.id, user.api_token
        secret = self.settings.get_secret_key()
        return Tuner(
            user_id=user_id,
            token=token,
            device_id=int(hdhr.device_id(secret, user_id), 16),
            device_auth=hdhr.device_auth(secret, user_id),
            udn=hdhr.device_udn(secret, user_id),
            tuner_count=count,
        )

    def _base(self, tuner: Tuner, peer: str) -> str:
        local = local_address(peer, self.settings.discovery.bind)
        return tuner.base(server_base(self.settings, local))

    # --- answers ---------------------------------------------------------------------------

    async def hdhr_answer(self, data: bytes, peer: str) -> bytes | None:
        """The reply to a discover packet from ``peer``, or None when it gets none."""
        try:
            request = proto.parse_discover_request(data)
        except proto.PacketError as exc:
            log.debug("discovery: ignored a packet from %s: %s", peer, exc)
            return None
        tuner = await self.tuner()
        if tuner is None or not request.wants(proto.DEVICE_TYPE_TUNER, tuner.device_id):
            return None
        base = self._base(tuner, peer)
        return proto.discover_reply(
            proto.DiscoverReply(
                device_type=proto.DEVICE_TYPE_TUNER,
                device_id=tuner.device_id,
                tuner_count=tuner.tuner_count,
                base_url=base,
                lineup_url=f"{base}/lineup.json",
                device_auth=tuner.device_auth,
            )
        )

    async def ssdp_answers(self, search: proto.MSearch, peer: str) -> list[bytes]:
        tuner = await self.tuner()
        if tuner is None:
            return []
        targets = proto.search_targets(search.st, tuner.udn)
        if not targets:
            return []
        location = f"{self._base(tuner, peer)}/device.xml"
        date = formatdate(usegmt=True)
        return [
            proto.search_response(
                target=t,
                udn=tuner.udn,
                location=location,
                server=SERVER,
                max_age=SSDP_MAX_AGE,
                date=date,
            )
            for t in targets
        ]

    async def handle_hdhr(
        self, transport: asyncio.DatagramTransport, data: bytes, addr: tuple[Any, ...]
    ) -> None:
        try:
            reply = await self.hdhr_answer(data, str(addr[0]))
        except Exception:
            log.exception("discovery: answering %s failed", addr[0])
            return
        if reply is not None and not transport.is_closing():
            transport.sendto(reply, addr)

    async def handle_ssdp(
        self, transport: asyncio.DatagramTransport, data: bytes, addr: tuple[Any, ...]
    ) -> None:
        search = proto.parse_msearch(data)
        if search is None:
            return
        try:
            answers = await self.ssdp_answers(search, str(addr[0]))
        except Exception:
            log.exception("SSDP: answering %s failed", addr[0])
            return
        for answer in answers:
            if search.mx:
                await asyncio.sleep(
                    random.uniform(0, min(search.mx, MAX_SSDP_DELAY) / len(answers))
                )
            if transport.is_closing():
                return
            transport.sendto(answer, addr)

    # --- NOTIFY ----------------------------------------------------------------------------

    async def _announce(self, *, alive: bool) -> None:
        transport = self._ssdp
        if transport is None or transport.is_closing():
            return
        try:
            tuner = await self.tuner()
        except Exception:
            log.exception("SSDP: reading the announced tuner failed")
            return
        if tuner is None:
            return
        host, port = self.notify_target
        location = f"{self._base(tuner, host)}/device.xml"
        for target in (proto.ROOT_DEVICE, tuner.udn, proto.MEDIA_SERVER):
            message = proto.notify(
                target=target,
                udn=tuner.udn,
                location=location,
                server=SERVER,
                max_age=SSDP_MAX_AGE,
                alive=alive,
                host=f"{proto.SSDP_ADDRESS}:{proto.SSDP_PORT}",
            )
            transport.sendto(message, (host, port))

    async def _notify_loop(self) -> None:
        while True:
            await self._announce(alive=True)
            await asyncio.sleep(self.settings.discovery.notify_seconds)


async def start_discovery(
    settings: Settings, session_factory: SessionFactory
) -> DiscoveryService | None:
    """The running responders when ``discovery.enabled`` is set, else None."""
    if not settings.discovery.enabled:
        return None
    service = DiscoveryService(settings, session_factory)
    await service.start()
    return service
