"""The crowd of bench/video_janus.py: many WebRTC subscribers of one Janus VideoRoom feed, as cheap as a peer can
be while Janus still does all its work for each of them.

Why: with every viewer an ordinary aiortc peer in the bench's own process, that process starved at 40-60 viewers
(SRTP decryption, jitter buffer, RTCP per packet in Python) long before Janus lost a packet. Here each crowd
peer completes ICE and DTLS-SRTP with aiortc, so Janus keeps a real PeerConnection and encrypts and sends every
packet to it, but the RTP packets are counted where the UDP datagram arrives (aioice's ``StunProtocol``) and
dropped there: no SRTP decryption, no jitter buffer, no decoding. The RTP header is not encrypted by SRTP, so the
sequence numbers are read from the raw datagram: per viewer, packets expected (highest sequence number seen −
the first) against packets received gives its loss. STUN (ICE consent), DTLS and RTCP still take aiortc's
ordinary path, so the PeerConnection stays up.

The viewers are spread over ``Crowd(procs)`` worker processes, each one asyncio loop driven through a pipe
(as bench/live_storm.py's ClientProcess): ``grow(total)`` subscribes viewers until the crowd has ``total``;
``counts()`` returns ``(packets, bytes, highest sequence number)`` per viewer, so a window's loss is the
difference of two calls.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RCVBUF = 1 << 20  # bytes per viewer socket (the kernel caps it at net.core.rmem_max)
SUBSCRIBE_AT_ONCE = 6  # subscriptions in flight per worker (each is 4 HTTP calls to Janus, then ICE and DTLS)


class RtpCount:
    """One viewer's RTP as it arrived: packets and bytes of its media SSRC, the highest sequence number seen
    (extended past 65 535), and the datagrams of any other SSRC (retransmissions would be those)."""

    __slots__ = ("packets", "bytes", "ssrc", "highest", "other")

    def __init__(self) -> None:
        self.packets = self.bytes = self.other = 0
        self.ssrc = b""
        self.highest = 0

    def add(self, data: bytes) -> None:
        ssrc = data[8:12]
        if not self.ssrc:
            self.ssrc, self.highest = ssrc, ((data[2] << 8) | data[3]) - 1  # expected starts at the first packet
        elif ssrc != self.ssrc:
            self.other += 1
            return
        self.packets += 1
        self.bytes += len(data)
        step = (((data[2] << 8) | data[3]) - self.highest) & 0xFFFF
        if step < 0x8000:  # ahead (a late, reordered packet is behind and counts only as received)
            self.highest += step


def count_rtp_at_the_socket(counts: list[RtpCount]) -> None:
    """Patch aioice (in this worker process only): an RTP datagram is counted and dropped on arrival; anything
    else (STUN, DTLS, SRTCP) goes on to aioice and aiortc as usual. RTP/RTCP have version 2 (first byte
    128-191); RTCP's packet types are 192-223 in the second byte, RTP's (with the marker bit) are not."""
    import socket

    from aioice import ice

    original = ice.StunProtocol.datagram_received
    made = ice.StunProtocol.connection_made

    def connection_made(self, transport):
        # Room for a few seconds of video per viewer: a worker the machine's scheduler leaves waiting a moment
        # must not lose packets in its own socket buffer (the kernel's default holds ~1 s).
        transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
        made(self, transport)

    def datagram_received(self, data, addr):
        if 127 < data[0] < 192 and not 191 < data[1] < 224 and len(data) > 12:
            connection = self.receiver
            count = connection.__dict__.get("bench_rtp")
            if count is None:
                count = connection.bench_rtp = RtpCount()
                counts.append(count)
            count.add(data)
            return
        original(self, data, addr)

    ice.StunProtocol.datagram_received = datagram_received
    ice.StunProtocol.connection_made = connection_made


def ipv4_only() -> None:
    """The crowd's peers gather IPv4 host candidates only: one socket each, fewer ICE checks for Janus."""
    import functools

    import aiortc.rtcicetransport as transport

    transport.Connection = functools.partial(transport.Connection, use_ipv6=False)


class CrowdProcess:
    """One worker: its viewers on one asyncio loop; commands from the pipe, one reply each."""

    def __init__(self, conn, url: str, secret: str, room: int, feed: int):
        self.conn, self.room, self.feed = conn, room, feed
        from market.video.janus import Janus

        self.janus = Janus(url, api_secret=secret, timeout=30, event_timeout=60)
        self.counts: list[RtpCount] = []
        self.pcs: list = []
        self.sessions: list[int] = []
        self.failed = 0

    async def main(self) -> None:
        count_rtp_at_the_socket(self.counts)
        ipv4_only()
        loop = asyncio.get_running_loop()
        alive = asyncio.ensure_future(self.keepalive())
        while True:
            command, *args = await loop.run_in_executor(None, self.conn.recv)
            if command == "close":
                alive.cancel()
                await self.close()
                self.conn.send(("closed",))
                return
            try:
                reply = await getattr(self, command)(*args)
            except Exception as exc:  # noqa: BLE001 - tell the orchestrator instead of dying silently
                reply = ("error", f"{command}: {exc!r}")
            self.conn.send(reply)

    async def grow(self, total: int) -> tuple:
        gate = asyncio.Semaphore(SUBSCRIBE_AT_ONCE)

        async def one():
            async with gate:
                try:
                    await self.subscribe()
                except Exception:  # noqa: BLE001 - counted and reported: Janus refused or timed out
                    self.failed += 1

        await asyncio.gather(*(one() for _ in range(total - len(self.pcs))))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(pc.connectionState == "connecting" for pc in self.pcs):
            await asyncio.sleep(0.5)
        connected = sum(pc.connectionState == "connected" for pc in self.pcs)
        return ("grown", len(self.pcs), connected, self.failed)

    async def subscribe(self) -> None:
        from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

        janus = self.janus
        session = await asyncio.to_thread(janus.create_session)
        self.sessions.append(session)
        handle = await asyncio.to_thread(janus.attach, session)
        offer = await asyncio.to_thread(
            janus.message,
            session,
            handle,
            {"request": "join", "ptype": "subscriber", "room": self.room, "streams": [{"feed": self.feed}]},
        )
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))  # host candidates: no STUN lookup
        self.pcs.append(pc)
        await pc.setRemoteDescription(RTCSessionDescription(offer.jsep["sdp"], offer.jsep["type"]))
        await pc.setLocalDescription(await pc.createAnswer())
        await asyncio.to_thread(
            janus.message, session, handle, {"request": "start"}, {"type": "answer", "sdp": pc.localDescription.sdp}
        )

    async def stats(self) -> tuple:
        return ("stats", [(c.packets, c.bytes, c.highest, c.other) for c in self.counts])

    async def keepalive(self) -> None:
        """Janus drops a session after 60 s of silence: one keepalive per session every 20 s, spread."""
        while True:
            for session in list(self.sessions):
                try:
                    await asyncio.to_thread(self.janus.keepalive, session)
                except Exception:  # noqa: BLE001 - a dead session shows as a viewer receiving nothing
                    pass
                await asyncio.sleep(20 / max(1, len(self.sessions)))
            await asyncio.sleep(0.1)

    async def close(self) -> None:
        await asyncio.gather(*(pc.close() for pc in self.pcs), return_exceptions=True)
        for session in self.sessions:
            try:
                await asyncio.to_thread(self.janus.destroy, session)
            except Exception:  # noqa: BLE001 - Janus stops right after
                pass


def crowd_process(conn, url: str, secret: str, room: int, feed: int) -> None:
    import logging

    sys.path.insert(0, str(ROOT))
    logging.getLogger("aioice").setLevel(logging.WARNING)
    try:  # libuv's loop: a quarter less CPU per received packet than asyncio's
        import uvloop
    except ImportError:
        asyncio.run(CrowdProcess(conn, url, secret, room, feed).main())
    else:
        uvloop.run(CrowdProcess(conn, url, secret, room, feed).main())


class Crowd:
    """The workers, seen from the bench: ``grow``, ``stats`` (every viewer's counts), ``cpu_seconds``, ``close``."""

    def __init__(self, procs: int, url: str, secret: str, room: int, feed: int):
        ctx = multiprocessing.get_context("spawn")
        self.procs, self.pipes = [], []
        for _ in range(procs):
            parent_end, child_end = ctx.Pipe()
            proc = ctx.Process(target=crowd_process, args=(child_end, url, secret, room, feed), daemon=True)
            proc.start()
            self.procs.append(proc)
            self.pipes.append(parent_end)

    async def _ask(self, commands: list[tuple], timeout: float = 900) -> list:
        for pipe, command in zip(self.pipes, commands, strict=True):
            pipe.send(command)

        def receive(pipe):
            if not pipe.poll(timeout):
                raise SystemExit("a crowd process did not answer in time")
            reply = pipe.recv()
            if reply[0] == "error":
                raise SystemExit(f"a crowd process failed: {reply[1]}")
            return reply

        return await asyncio.gather(*(asyncio.to_thread(receive, pipe) for pipe in self.pipes))

    async def grow(self, total: int) -> tuple[int, int, int]:
        """Viewers in all, connected (DTLS done), subscriptions that failed."""
        n = len(self.pipes)
        replies = await self._ask([("grow", total // n + (k < total % n)) for k in range(n)])
        return tuple(sum(r[i] for r in replies) for i in (1, 2, 3))

    async def stats(self) -> list[tuple[int, int, int, int]]:
        return [viewer for reply in await self._ask([("stats",)] * len(self.pipes)) for viewer in reply[1]]

    def pids(self) -> list[int]:
        return [proc.pid for proc in self.procs]

    def cpu_seconds(self) -> tuple[float, float]:
        """User and system CPU seconds of all the workers."""
        user = system = 0.0
        for proc in self.procs:
            fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            user += int(fields[11]) / os.sysconf("SC_CLK_TCK")
            system += int(fields[12]) / os.sysconf("SC_CLK_TCK")
        return user, system

    async def close(self) -> None:
        try:
            await self._ask([("close",)] * len(self.pipes), timeout=60)
        finally:
            for proc in self.procs:
                proc.join(5)
                if proc.is_alive():
                    proc.kill()
