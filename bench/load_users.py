"""The locust users of bench/load.py (imported only when the load runs: locust patches the standard library
with gevent when imported). Workload and weights: see bench/load.py's docstring."""
from __future__ import annotations

import random

from locust import HttpUser, between, task

IDS: dict = {}
PASSWORD = ""
LOGIN = "login"


def configure(ids: dict, *, password: str, login_name: str) -> list[type[HttpUser]]:
    global IDS, PASSWORD, LOGIN
    IDS, PASSWORD, LOGIN = ids, password, login_name
    Owner.pool = sorted(ids["owners"])
    AgencyStaff.pool = sorted(ids["staff"])
    Coordinator.pool = list(ids["coordinators"])
    return [Owner, AgencyStaff, Coordinator]


class Person(HttpUser):
    abstract = True
    wait_time = between(1, 2)
    pool: list[str] = []

    def on_start(self):
        # one connection per request, as a reverse proxy in front of gunicorn talks to it (nginx's default to
        # an upstream): a kept-alive connection would pin this user to one gunicorn process for the whole run,
        # so that one process (one GIL) could serve 30 users while another served 5
        self.client.headers["Connection"] = "close"
        self.username = random.choice(self.pool)
        self.client.get("/accounts/login/", name="login page")
        token = self.client.cookies.get("csrftoken", "")
        with self.client.post("/accounts/login/", name=LOGIN, catch_response=True, allow_redirects=False,
                              data={"username": self.username, "password": PASSWORD,
                                    "csrfmiddlewaretoken": token}) as r:
            if r.status_code != 302:
                r.failure(f"login of {self.username}: {r.status_code}")

    def page(self, url: str, name: str):
        with self.client.get(url, name=name, catch_response=True) as r:
            if r.ok and "/accounts/login/" in r.url:  # a lost session would read the login page, not the page
                r.failure("redirected to the login page")


class Owner(Person):
    weight = 4

    def on_start(self):
        super().on_start()
        self.mine = IDS["owners"][self.username]

    @task(3)
    def projects(self):
        self.page("/intake/projects/", "/intake/projects/")

    @task(2)
    def project(self):
        self.page(f"/intake/projects/{random.choice(self.mine['projects'])}/", "/intake/projects/[id]/")

    @task(3)
    def application(self):
        self.page(f"/intake/applications/{random.choice(self.mine['apps'])}/", "/intake/applications/[id]/")

    @task(1)
    def rounds(self):
        self.page(f"/review/applications/{random.choice(self.mine['apps'])}/rounds/",
                  "/review/applications/[id]/rounds/")

    @task(2)
    def api_applications(self):
        self.page("/api/intake/applications/", "/api/intake/applications/")

    @task(1)
    def notifications(self):
        self.page("/notifications/", "/notifications/")


class AgencyStaff(Person):
    weight = 4

    @task(4)
    def inbox(self):
        self.page("/review/", "/review/ (inbox)")

    @task(3)
    def assignment(self):
        mine = IDS["staff"][self.username]
        if mine:
            self.page(f"/review/assignments/{random.choice(mine)}/", "/review/assignments/[id]/")

    @task(2)
    def api_inbox(self):
        self.page("/api/review/inbox/", "/api/review/inbox/")

    @task(1)
    def notifications(self):
        self.page("/notifications/", "/notifications/")


class Coordinator(Person):
    weight = 2

    @task(2)
    def coordination(self):
        self.page("/review/coordination/", "/review/coordination/")

    @task(2)
    def clocks(self):
        self.page("/clocks/", "/clocks/")

    @task(1)
    def api_clocks(self):
        self.page("/api/clocks/", "/api/clocks/")

    @task(2)
    def cockpit(self):
        self.page("/cockpit/", "/cockpit/")

    @task(2)
    def window(self):
        self.page("/intake/window/", "/intake/window/")

    @task(1)
    def projects(self):
        self.page("/intake/projects/", "/intake/projects/")

    @task(1)
    def api_applications(self):
        self.page("/api/intake/applications/", "/api/intake/applications/")
