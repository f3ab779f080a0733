"""``python -m strmline.demo``: the fake provider alone, in its own process.

The end-to-end tests run it beside a real ``strmline serve`` so the two never share an event loop,
and script its faults over HTTP (``--control``). It prints one JSON line with its URL and accounts
once it listens, then serves until SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import orjson
import uvicorn

from strmline.demo.provider import FakeProvider, ProviderOptions, Receive, Scope, Send
from strmline.demo.server import _bind, demo_provider

CONTROL_PREFIX = "/_control/"


class ControlledProvider:
    """The provider plus a small JSON control API under ``/_control/`` for another process.

    ``POST /_control/stream-fault`` ``{"stream_id": 5, "kind": "dead", "account": "acme"}``
    scripts a stream fault (also ``times``, ``after_bytes``, ``delay``, ``status``, ``value``), ``POST /_control/clear`` removes every fault, and
    ``GET /_control/stats`` tells how many streams each account has open.
    """

    def __init__(self, provider: FakeProvider) -> None:
        self.provider = provider

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(CONTROL_PREFIX):
            await self.provider(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        status, payload = self._control(scope["method"], scope["path"][len(CONTROL_PREFIX) :], body)
        data = orjson.dumps(payload)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": data})

    def _control(self, method: str, action: str, body: bytes) -> tuple[int, Any]:
        faults = self.provider.faults
        if method == "POST" and action == "stream-fault":
            try:
                spec = orjson.loads(body or b"{}")
                fault = faults.stream(
                    spec.get("stream_id"),
                    str(spec["kind"]),
                    account=spec.get("account"),
                    times=spec.get("times"),
                    after_bytes=spec.get("after_bytes"),
                    delay=spec.get("delay"),
                    status=spec.get("status"),
                    value=spec.get("value"),
                )
            except (KeyError, ValueError, orjson.JSONDecodeError) as exc:
                return 400, {"error": str(exc)}
            return 200, {"kind": fault.kind, "stream_id": fault.stream_id}
        if method == "POST" and action == "clear":
            faults.clear()
            return 200, {"cleared": True}
        if method == "GET" and action == "stats":
            stats = self.provider.stats
            return 200, {name: stats.open_now(name) for name in self.provider.accounts}
        return 404, {"error": f"no control action {method} {action}"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m strmline.demo", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free one)")
    parser.add_argument("--seed", type=int, default=0, help="catalogue seed")
    parser.add_argument("--media-dir", type=Path, default=None, help="cache of generated media")
    parser.add_argument(
        "--ts-file", type=Path, default=None, help="serve this MPEG-TS file, looped, as live media"
    )
    parser.add_argument(
        "--control", action="store_true", help="serve the /_control/ API to script faults"
    )
    args = parser.parse_args(argv)

    options = ProviderOptions(media_dir=args.media_dir, ts_file=args.ts_file)
    provider = demo_provider(args.seed, options=options)
    if args.media_dir is not None:
        # Encode the clip before announcing the URL, so no first request waits for ffmpeg.
        reason = provider.prepare_media()
        if reason:
            print(f"fake provider streams carry no video: {reason}", file=sys.stderr)
    app: Any = ControlledProvider(provider) if args.control else provider
    sock = _bind(args.port)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    accounts = {a.username: a.password for a in provider.accounts.values()}
    # Connections wait in the listen backlog until uvicorn serves: the URL is usable right away.
    print(json.dumps({"url": url, "accounts": accounts}), flush=True)
    config = uvicorn.Config(
        app, lifespan="on", access_log=False, log_level="warning", timeout_graceful_shutdown=2
    )
    uvicorn.Server(config).run(sockets=[sock])
    sys.exit(0)


if __name__ == "__main__":
    main()
