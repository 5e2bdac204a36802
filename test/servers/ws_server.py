#!/usr/bin/env python3
"""Third-party WebSocket test servers for wsbench, on Python `websockets` (not our code, not our parser).

One script, one behaviour per process (--behaviour). Prints exactly one ready line on stdout once listening:

    wsbench-test-server ready addr=127.0.0.1:PORT behaviour=NAME tls=0|1 pid=PID

then serves until SIGTERM/SIGINT (exit 0) or, with --exit-with-parent, until its parent dies.
Bad flags: a message on stderr and exit 2. See README.md in this folder for each behaviour.
"""

import argparse
import asyncio
import json
import os
import random
import signal
import ssl
import sys

from websockets.asyncio.server import broadcast, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Response
from websockets.datastructures import Headers

BEHAVIOURS = (
    "echo", "silent", "every-other", "close-after", "corrupt", "unsolicited", "invalid-frames",
    "refuse-1009", "truncate", "text-line", "json", "broadcast", "slow-handshake",
)
PARENT_POLL_S = 0.25
# An opcode RFC 6455 reserves (0x3) with RSV1 set: no client may accept it, and it fails with 1002.
INVALID_FRAME = bytes([0x80 | 0x40 | 0x03, 0x02, 0x6E, 0x6F])


def parse_args(argv):
    p = argparse.ArgumentParser(prog="ws_server.py", description=__doc__.split("\n")[0])
    p.add_argument("--behaviour", required=True, choices=BEHAVIOURS)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 = any free port (the ready line says which)")
    p.add_argument("--tls-cert", help="PEM certificate chain: serve wss://")
    p.add_argument("--tls-key", help="PEM private key of --tls-cert")
    p.add_argument("--after-s", type=float, default=2.0, help="close-after: seconds after the handshake")
    p.add_argument("--close-code", type=int, default=1001,
                   help="close-after: the close code, or 0 to drop the TCP connection with no close frame")
    p.add_argument("--truncate-bytes", type=int, default=8, help="truncate: bytes of each message echoed")
    p.add_argument("--interval-ms", type=float, default=100.0, help="unsolicited: one pushed frame per interval")
    p.add_argument("--result-bytes", type=int, default=64, help="json: length of the result string")
    p.add_argument("--handshake-delay-ms", type=float, default=None,
                   help="wait this long before answering the upgrade (slow-handshake: default 1000)")
    p.add_argument("--max-size", type=int, default=16 * 1024 * 1024, help="largest message accepted, else 1009")
    p.add_argument("--compression", choices=("none", "deflate"), default="none", help="permessage-deflate")
    p.add_argument("--subprotocols", default="", help="comma-separated subprotocols to accept")
    p.add_argument("--require-header", action="append", default=[], metavar="'Name: value'",
                   help="refuse the upgrade with 401 unless the request has this header (repeatable)")
    p.add_argument("--exit-with-parent", action="store_true", help="exit when the parent process dies")
    args = p.parse_args(argv)
    problems = []
    if (args.tls_cert is None) != (args.tls_key is None):
        problems.append("--tls-cert and --tls-key go together: give both to serve wss://, or neither")
    if not 0 <= args.port <= 65535:
        problems.append(f"--port must be from 0 to 65535, got {args.port}")
    if args.close_code != 0 and not (1000 <= args.close_code <= 4999):
        problems.append(f"--close-code must be 0 (drop) or a close code from 1000 to 4999, got {args.close_code}")
    for header in args.require_header:
        if ":" not in header:
            problems.append(f"--require-header must be 'Name: value', got {header!r}")
    if args.truncate_bytes < 0 or args.result_bytes < 0 or args.after_s < 0 or args.interval_ms <= 0:
        problems.append("--truncate-bytes, --result-bytes and --after-s must be ≥ 0 and --interval-ms > 0")
    if problems:
        p.exit(2, "".join(f"ws_server.py: {problem}\n" for problem in problems))
    if args.handshake_delay_ms is None:
        args.handshake_delay_ms = 1000.0 if args.behaviour == "slow-handshake" else 0.0
    return args


def corrupt(message):
    """Random content of the same length and type: an echo that matches nothing."""
    noise = random.randbytes(len(message))
    return noise.hex()[: len(message)] if isinstance(message, str) else noise


def make_handler(args, connections):
    behaviour = args.behaviour

    async def handler(ws):
        connections.add(ws)
        tasks = []
        try:
            if behaviour == "close-after":
                tasks.append(asyncio.create_task(close_later(ws, args.after_s, args.close_code)))
            if behaviour == "unsolicited":
                tasks.append(asyncio.create_task(push_forever(ws, args.interval_ms / 1000)))
            count = 0
            async for message in ws:
                count += 1
                await answer(ws, message, count, args, connections)
        except ConnectionClosed:
            pass
        finally:
            connections.discard(ws)
            for task in tasks:
                task.cancel()

    return handler


async def answer(ws, message, count, args, connections):
    behaviour = args.behaviour
    if behaviour in ("echo", "slow-handshake", "close-after", "unsolicited"):
        await ws.send(message)
    elif behaviour == "silent":
        pass
    elif behaviour == "every-other":
        if count % 2 == 1:
            await ws.send(message)
    elif behaviour == "corrupt":
        await ws.send(corrupt(message))
    elif behaviour == "invalid-frames":
        ws.transport.write(INVALID_FRAME)  # under the library: raw bytes that are not a valid frame
    elif behaviour == "refuse-1009":
        await ws.close(1009, "refusing every frame")
    elif behaviour == "truncate":
        await ws.send(message[: args.truncate_bytes])
    elif behaviour == "text-line":
        if isinstance(message, bytes):
            await ws.close(1003, "text frames only")
        else:
            await ws.send(message)
    elif behaviour == "json":
        await ws.send(json_reply(message, args.result_bytes))
    elif behaviour == "broadcast":
        broadcast([c for c in connections if c is not ws], message)


def json_reply(message, result_bytes):
    try:
        request = json.loads(message)
        request_id = request["id"]
    except (ValueError, TypeError, KeyError):
        return json.dumps({"id": None, "error": 'expected a JSON object with an "id"'})
    return json.dumps({"id": request_id, "result": "r" * result_bytes}, separators=(",", ":"))


async def close_later(ws, after_s, code):
    await asyncio.sleep(after_s)
    if code == 0:
        ws.transport.abort()  # a reset, no close frame: an abnormal closure (1006) for the client
    else:
        await ws.close(code, "closing after %gs" % after_s)


async def push_forever(ws, interval_s):
    n = 0
    while True:
        await asyncio.sleep(interval_s)
        n += 1
        await ws.send(f"unsolicited {n}")


def make_process_request(args):
    required = [tuple(part.strip() for part in h.split(":", 1)) for h in args.require_header]

    async def process_request(connection, request):
        if args.handshake_delay_ms > 0:
            await asyncio.sleep(args.handshake_delay_ms / 1000)
        for name, value in required:
            if request.headers.get(name) != value:
                body = f"missing or wrong header {name}\n".encode()
                return Response(401, "Unauthorized", Headers([("Content-Length", str(len(body)))]), body)
        return None

    return process_request


async def watch_parent(stop):
    ppid = os.getppid()
    while os.getppid() == ppid:
        await asyncio.sleep(PARENT_POLL_S)
    stop.set_result(None)


async def main(args):
    tls = None
    if args.tls_cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.tls_cert, args.tls_key)
    connections = set()
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    if args.exit_with_parent:
        loop.create_task(watch_parent(stop))
    async with serve(
        make_handler(args, connections), args.host, args.port, ssl=tls,
        process_request=make_process_request(args),
        compression="deflate" if args.compression == "deflate" else None,
        max_size=args.max_size, ping_interval=None, open_timeout=10 + args.handshake_delay_ms / 1000,
        subprotocols=[s for s in args.subprotocols.split(",") if s] or None,
    ) as server:
        port = server.sockets[0].getsockname()[1]
        host = args.host if ":" not in args.host else f"[{args.host}]"
        print(f"wsbench-test-server ready addr={host}:{port} behaviour={args.behaviour} "
              f"tls={int(tls is not None)} pid={os.getpid()}", flush=True)
        await stop
        server.close(close_connections=True)


if __name__ == "__main__":
    try:
        asyncio.run(main(parse_args(sys.argv[1:])))
    except OSError as error:  # e.g. the port is taken
        print(f"ws_server.py: listen {error}", file=sys.stderr)
        sys.exit(1)
