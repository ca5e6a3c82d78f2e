"""A webhook receiver to try the portal's webhooks with: verifies each request, prints it.

    WEBHOOK_SECRET=whsec_... .venv/bin/python docs/examples/webhook_receiver.py [--port 9000]

It checks every request with the Standard Webhooks reference library (signature, and the
timestamp within 5 minutes), answers 401 to one that fails, and drops a repeat of a
``webhook-id`` it has already handled (a retry) with a 204, as a real plugin should.
"""

from __future__ import annotations

import argparse
import os

from aiohttp import web
from standardwebhooks import Webhook, WebhookVerificationError


def make_app(secret: str) -> web.Application:
    hook = Webhook(secret)
    handled: set[str] = set()

    async def receive(request: web.Request) -> web.Response:
        body = await request.text()
        try:
            event = hook.verify(body, dict(request.headers))
        except WebhookVerificationError as exc:
            print(f"refused: {exc}", flush=True)
            return web.Response(status=401)
        message_id = request.headers["webhook-id"]
        if message_id not in handled:
            handled.add(message_id)
            number = event["data"].get("number", event["data"].get("name", ""))
            print(f"{message_id} {event['type']} {number} (signature verified)", flush=True)
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", receive)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9000)
    options = parser.parse_args()
    secret = os.environ.get("WEBHOOK_SECRET", "")
    if not secret.startswith("whsec_"):
        parser.error("set WEBHOOK_SECRET to the whsec_... secret the portal showed")
    print(f"listening on http://127.0.0.1:{options.port}/hook", flush=True)
    web.run_app(make_app(secret), host="127.0.0.1", port=options.port, print=None)


if __name__ == "__main__":
    main()
