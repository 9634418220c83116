"""A WAF (data listener, real uvicorn) and its admin listener with the WAFv2 control plane, the
hub and the console mounted by ``build_hub`` — the wiring ``wafproxy serve`` uses, in threads."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.control.stack import KEYS, upstream, write_acl_dir, write_credentials
from tests.support.servers import uvicorn_in_thread
from wafproxy.asgi.admin import Readiness, create_admin_app
from wafproxy.asgi.middleware import WafMiddleware
from wafproxy.control.plane import ControlPlane, mount
from wafproxy.control.reloader import Reloader
from wafproxy.control.resources import Names
from wafproxy.observability.dispatch import EventDispatcher
from wafproxy.settings import Settings
from wafproxy.sidecars.hub.service import HubService
from wafproxy.sidecars.hub.service import mount as mount_hub
from wafproxy.sidecars.hub.wiring import build_hub


@dataclass
class ConsoleStack:
    data_url: str
    admin_url: str
    hub: HubService
    plane: ControlPlane

    def signed_in(self, who: str = "admin") -> httpx.Client:
        client = httpx.Client(base_url=self.admin_url, headers={"origin": self.admin_url})
        key, secret = KEYS[who]
        r = client.post("/console/signin", data={"access_key_id": key, "secret_access_key": secret})
        assert r.status_code == 303, r.text
        return client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


@contextlib.contextmanager
def running_console(tmp: Path) -> Iterator[ConsoleStack]:
    acl = write_acl_dir(tmp / "acl")
    creds = write_credentials(tmp / "credentials")
    reloader = Reloader(acl, names=Names(), poll_interval=0.2)
    dispatcher = EventDispatcher([])
    middleware = WafMiddleware(
        upstream, acl=reloader.current, trusted_proxies=["127.0.0.1/32"], event_sink=dispatcher
    )
    reloader.add_swap(middleware.swap_acl)
    plane = ControlPlane.from_files(reloader, credentials=creds)
    dispatcher.subscribe(plane.sampler)
    settings = Settings(acl=acl, credentials=creds, hub_db=tmp / "hub.sqlite3")
    hub = build_hub(settings, plane, dispatcher=dispatcher)
    for job in hub.periodic:
        job.interval = 0.2 if job.name in ("waf", "controls") else job.interval
    admin: Any = mount_hub(hub, mount(plane, create_admin_app(Readiness(acl_name="test-acl"))))
    with uvicorn_in_thread(middleware) as data, uvicorn_in_thread(admin, lifespan="on") as adm:
        yield ConsoleStack(data.url, adm.url, hub, plane)
