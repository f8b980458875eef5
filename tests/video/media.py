"""Real media for the video tests and benches, without a browser or a media server: ffmpeg encodes a test
picture and tone as RTP (VP8 and Opus, as a browser publishes), this module receives the packets and writes
them as a .pcap, and Janus's own ``pcap2mjr`` turns that into the .mjr files the VideoRoom records."""

from __future__ import annotations

import socket
import struct
import subprocess
import threading
import time
from pathlib import Path

PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)  # Ethernet link type


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _frame(payload: bytes, sport: int, dport: int) -> bytes:
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = (
        struct.pack(
            "!BBHHHBBH4s4s",
            0x45,
            0,
            20 + len(udp),
            0,
            0,
            64,
            17,
            0,
            socket.inet_aton("127.0.0.1"),
            socket.inet_aton("127.0.0.1"),
        )
        + udp
    )
    return b"\x00" * 12 + b"\x08\x00" + ip


def record_rtp(
    seconds: float,
    *,
    video: bool = True,
    audio: bool = True,
    size: str = "320x240",
    rate: int = 15,
    speed: float = 1.0,
    video_kbps: int = 300,
) -> dict[str, list[tuple[float, bytes]]]:
    """Packets (arrival time, bytes) of ``seconds`` of a VP8 test picture and Opus tone, sent at ``speed`` times
    real time (1: live-paced)."""
    kinds = [k for k, on in (("video", video), ("audio", audio)) if on]
    socks = {}
    for kind in kinds:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        s.settimeout(0.2)
        socks[kind] = s
    packets: dict[str, list[tuple[float, bytes]]] = {k: [] for k in kinds}
    stop = threading.Event()

    def receive(kind):
        while not stop.is_set():
            try:
                data = socks[kind].recv(65535)
            except TimeoutError:
                continue
            packets[kind].append((time.time(), data))

    threads = [threading.Thread(target=receive, args=(k,), daemon=True) for k in kinds]
    for t in threads:
        t.start()
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", *(["-re"] if speed == 1 else ["-readrate", str(speed)])]
    if video:
        cmd += ["-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}"]
    if audio:
        cmd += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"]
    n = 0
    if video:
        cmd += [
            "-map",
            f"{n}:v",
            "-t",
            str(seconds),
            "-c:v",
            "libvpx",
            "-deadline",
            "realtime",
            "-b:v",
            f"{video_kbps}k",
            "-g",
            str(rate),
            "-payload_type",
            "96",
            "-f",
            "rtp",
            f"rtp://127.0.0.1:{socks['video'].getsockname()[1]}?pkt_size=1200",
        ]
        n += 1
    if audio:
        cmd += [
            "-map",
            f"{n}:a",
            "-t",
            str(seconds),
            "-c:a",
            "libopus",
            "-ac",
            "2",
            "-payload_type",
            "111",
            "-f",
            "rtp",
            f"rtp://127.0.0.1:{socks['audio'].getsockname()[1]}",
        ]
    subprocess.run(cmd, check=True, timeout=seconds / speed * 4 + 60, stdout=subprocess.DEVNULL)
    time.sleep(0.3)
    stop.set()
    for t in threads:
        t.join()
    for s in socks.values():
        s.close()
    # RTCP from ffmpeg (payload types 200-204) is not media
    return {k: [(at, p) for at, p in v if len(p) > 12 and not 200 <= p[1] <= 204] for k, v in packets.items()}


def write_mjr(packets: list[tuple[float, bytes]], codec: str, path: Path) -> Path:
    """The packets as a Janus .mjr recording, made by Janus's pcap2mjr from a .pcap of them."""
    pcap = path.with_suffix(".pcap")
    with pcap.open("wb") as f:
        f.write(PCAP_HEADER)
        for at, payload in packets:
            frame = _frame(payload, 5000, 5002)
            f.write(struct.pack("<IIII", int(at), int((at % 1) * 1_000_000), len(frame), len(frame)))
            f.write(frame)
    subprocess.run(
        ["pcap2mjr", "-c", codec, "-s", "0", str(pcap), str(path)],
        check=True,
        timeout=60,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    pcap.unlink()
    return path


def make_recording(
    folder: Path, seconds: float = 2.0, name: str = "videoroom-1-user-7-1", speed: float = 1.0, **kw
) -> list[Path]:
    """A publish as the VideoRoom records it: ``<name>-video-1.mjr`` and ``<name>-audio-0.mjr``."""
    folder.mkdir(parents=True, exist_ok=True)
    packets = record_rtp(seconds, speed=speed, **kw)
    return [
        write_mjr(packets["video"], "vp8", folder / f"{name}-video-1.mjr"),
        write_mjr(packets["audio"], "opus", folder / f"{name}-audio-0.mjr"),
    ]
