"""The sandbox dashboard (``sandbox/dashboard.py``, ``sandbox/requestlog.py``): the request-log
middleware driven by hand, the page and its buttons over plain HTTP (run everywhere), and what
a person sees and clicks in headless Chromium (skipped, with the reason, where no browser is
installed; ``.ci/run`` installs Debian's ``chromium`` and ``chromium-driver``)."""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import urllib3

from tether.flickr import FlickrAPI
from tether.sandbox import Sandbox
from tether.sandbox.kit.grants import grant_ref
from tether.sandbox.registry import SERVICES
from tether.sandbox.requestlog import RequestLog, RequestRecorder

HTTP = urllib3.PoolManager(retries=False)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
try:
    import selenium  # noqa: F401

    HAVE_SELENIUM = True
except ImportError:  # pragma: no cover - depends on installed test extras
    HAVE_SELENIUM = False
NO_BROWSER = not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists() and HAVE_SELENIUM)
NO_BROWSER_WHY = (
    "needs Chromium and chromedriver (Debian: apt-get install chromium chromium-driver; "
    ".ci/run does it) and selenium (the dev extra)"
)


def page(sb: Sandbox) -> str:
    r = HTTP.request("GET", sb.url + "/", headers={"Accept": "text/html"})
    assert r.status == 200 and r.headers["content-type"].startswith("text/html")
    return str(r.data.decode())


def post(sb: Sandbox, path: str, fields: dict[str, str] | None = None, **headers: str) -> Any:
    return HTTP.request(
        "POST",
        sb.url + path,
        body="&".join(f"{k}={v}" for k, v in (fields or {}).items()),
        headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
        redirect=False,
    )


def rows(html: str, klass: str) -> list[str]:
    return re.findall(rf'<tr class="{klass}"[^>]*>.*?</tr>', html)


def flickr_client(sb: Sandbox, tmp_path: Path, **extra: Any) -> FlickrAPI:
    c = sb.credentials()["flickr"]
    return FlickrAPI(
        c["api_key"],
        c["secret"],
        store_token=False,
        environ={},
        token_cache_location=str(tmp_path / "tokens"),
        **{k: c[k] for k in ("rest_url", "upload_url", "replace_url", "auth_url", "oauth_url")},
        **extra,
    )


def logged_in_as(sb: Sandbox, tmp_path: Path, token: str) -> str:
    """The user id ``flickr.test.login`` answers for a client holding ``token``."""
    authed = flickr_client(sb, tmp_path, token=token, format="parsed-json")
    return str(authed.test.login()["user"]["id"])


# -- the middleware, by hand ---------------------------------------------------------------------


def _drive(recorder: RequestRecorder, path: str, query: bytes = b"") -> None:
    scope = {"type": "http", "method": "GET", "path": path, "query_string": query}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request"}

    async def send(message: Any) -> None:
        pass

    asyncio.run(recorder(scope, receive, send))


def _answering(status: int | None) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        if status is None:
            return  # a dropped connection: no answer at all
        if status == 500:
            raise RuntimeError("emulator bug")
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    return app


def test_recorder_logs_service_requests_with_status_and_duration() -> None:
    ticks = iter([10.0, 10.25, 20.0, 20.5])
    log = RequestLog()
    rec = RequestRecorder(
        _answering(201), log, {"ovh"}, clock=lambda: 1_700_000_000.0, timer=lambda: next(ticks)
    )
    _drive(rec, "/ovh/1.0/me", b"a=1&signature=abc")
    _drive(rec, "/_sandbox/faults")  # control API: not a service request
    _drive(rec, "/")  # the dashboard itself
    _drive(rec, "/flickr/services/rest/")  # not one of this recorder's services
    _drive(rec, "/ovh")
    first, second = log.newest_first()[::-1]
    assert (first.service, first.method, first.path, first.status) == (
        "ovh",
        "GET",
        "/ovh/1.0/me",
        201,
    )
    assert first.duration == 0.25 and first.at == 1_700_000_000.0
    assert first.target() == "/ovh/1.0/me?a=1&signature=***"
    assert "abc" not in repr(first) and "abc" not in repr(log)
    assert second.path == "/ovh" and second.duration == 0.5


def test_recorder_keeps_the_last_n_and_marks_drops_and_crashes() -> None:
    log = RequestLog(size=3)
    for i in range(5):
        _drive(RequestRecorder(_answering(200), log, {"ovh"}), f"/ovh/{i}")
    assert [e.path for e in log.newest_first()] == ["/ovh/4", "/ovh/3", "/ovh/2"]
    _drive(RequestRecorder(_answering(None), log, {"ovh"}), "/ovh/dropped")
    with pytest.raises(RuntimeError):
        _drive(RequestRecorder(_answering(500), log, {"ovh"}), "/ovh/crash")
    newest = log.newest_first()
    assert [(e.path, e.status) for e in newest[:2]] == [("/ovh/crash", 500), ("/ovh/dropped", None)]
    assert len(log) == 3
    log.clear()
    assert log.newest_first() == []


# -- the page over plain HTTP -----------------------------------------------------------------


def test_root_is_still_json_for_scripts_and_a_page_for_browsers(tether_sandbox: Sandbox) -> None:
    r = HTTP.request("GET", tether_sandbox.url + "/")
    assert r.headers["content-type"] == "application/json"
    html = page(tether_sandbox)
    assert "<title>tether sandbox</title>" in html
    r = HTTP.request("GET", tether_sandbox.url + "/", headers={"Accept": "text/html"})
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_page_lists_every_service_with_urls_and_test_credentials(tether_sandbox: Sandbox) -> None:
    html = unescape(page(tether_sandbox))
    creds = tether_sandbox.credentials()
    for spec in SERVICES:
        assert f'id="service-{spec.name}"' in html
        assert tether_sandbox.base_url(spec.name) in html
    # Shown on purpose: the sandbox's fixed fake values, to copy into a test.
    assert creds["ovh"]["application_secret"] in html
    assert creds["ovh"]["token_url"] in html
    assert creds["flickr"]["secret"] in html and creds["flickr"]["user"]["password"] in html
    assert "OVHcloud" in html and "Flickr" in html  # titles from the service registry


def test_requests_are_listed_newest_first_with_secrets_hidden(
    tether_sandbox: Sandbox, tether_ovh: Any, tmp_path: Path
) -> None:
    assert "No requests yet." in page(tether_sandbox)  # the fixture's reset cleared the log
    assert tether_ovh.get("/me")["nichandle"]
    # Not a sandbox secret: urllib3 logs the URL it sends, and the suite's canary watches logs.
    secret = "feedfacecafebeef"
    r = HTTP.request(
        "GET",
        tether_sandbox.url + "/flickr/services/rest/",
        fields={"method": "flickr.test.echo", "api_key": "k" * 32, "api_sig": secret},
    )
    assert r.status == 200
    tether_sandbox.set_faults(service="ovh", path_prefix="/ovh/1.0/me", status=503, count=1)
    assert HTTP.request("GET", tether_sandbox.url + "/ovh/1.0/me").status == 503
    html = page(tether_sandbox)
    found = rows(html, "request")
    assert "/ovh/1.0/me" in found[0] and ">503<" in found[0]  # newest first, as the client saw
    flickr = next(row for row in found if "/flickr/services/rest/" in row)
    assert "api_sig=***" in flickr and ">200<" in flickr and secret not in html
    assert any("/ovh/1.0/me" in row and ">200<" in row for row in found)
    assert re.search(r"<td>\d\d:\d\d:\d\d\.\d{3}</td>", found[0])


def test_reset_clears_the_request_log(tether_sandbox: Sandbox, tether_ovh: Any) -> None:
    tether_ovh.get("/me")
    assert rows(page(tether_sandbox), "request")
    tether_sandbox.reset()
    assert rows(page(tether_sandbox), "request") == []


def test_clear_faults_button_and_its_origin_check(tether_sandbox: Sandbox) -> None:
    tether_sandbox.set_faults(service="ovh", status=500)
    html = page(tether_sandbox)
    assert len(rows(html, "fault")) == 1 and 'id="clear-faults"' in html
    foreign = post(tether_sandbox, "/_sandbox/dashboard/clear-faults", Origin="http://evil.test")
    assert foreign.status == 403
    port = tether_sandbox.url.rsplit(":", 1)[1]
    rebound = post(
        tether_sandbox,
        "/_sandbox/dashboard/clear-faults",
        Host=f"evil.test:{port}",
        Origin=f"http://evil.test:{port}",
    )
    assert rebound.status == 403
    assert len(tether_sandbox.faults()) == 1  # neither changed anything
    ok = post(tether_sandbox, "/_sandbox/dashboard/clear-faults", Origin=tether_sandbox.url)
    assert ok.status == 303 and ok.headers["location"].startswith("/?done=cleared")
    assert tether_sandbox.faults() == []
    assert "No faults" in page(tether_sandbox)


def _grant(html: str, service: str, kind: str) -> str:
    """The ref of the newest pending ``kind`` of ``service`` on the page."""
    found = [
        row
        for row in rows(html, "grant")
        if f'data-service="{service}"' in row and f'data-kind="{kind}"' in row
    ]
    assert found, f"no pending {service} {kind} on the page"
    ref = re.search(r'name="ref" value="([0-9a-f]{16})"', found[-1])
    assert ref is not None
    return ref.group(1)


def test_approve_button_validates_a_consumer_key(tether_sandbox: Sandbox, tether_ovh: Any) -> None:
    created = tether_ovh.request_consumerkey([{"method": "GET", "path": "/me"}])
    with pytest.raises(Exception, match=r"(?i)credential|validat"):
        tether_ovh.get("/me")  # pending: not usable yet
    html = page(tether_sandbox)
    assert created["consumerKey"] not in html  # named by a digest, never by its value
    ref = _grant(html, "ovh", "consumer key")
    assert ref == grant_ref(created["consumerKey"])
    foreign = post(
        tether_sandbox,
        "/_sandbox/dashboard/approve",
        {"service": "ovh", "ref": ref},
        Origin="http://evil.test",
    )
    assert foreign.status == 403
    r = post(tether_sandbox, "/_sandbox/dashboard/approve", {"service": "ovh", "ref": ref})
    assert r.status == 303
    assert tether_ovh.get("/me")["nichandle"]  # the login completed
    again = post(tether_sandbox, "/_sandbox/dashboard/approve", {"service": "ovh", "ref": ref})
    assert again.status == 404  # no longer pending


def test_approve_button_approves_a_frob_and_the_login_completes(
    tether_sandbox: Sandbox, tmp_path: Path
) -> None:
    flickr = flickr_client(tether_sandbox, tmp_path)

    def approve_on_dashboard(frob: str, perms: str) -> None:
        html = page(tether_sandbox)
        assert frob not in html
        ref = _grant(html, "flickr", "frob")
        r = post(tether_sandbox, "/_sandbox/dashboard/approve", {"service": "flickr", "ref": ref})
        assert r.status == 303

    _, frob = flickr.get_token_part_one(perms="write", auth_callback=approve_on_dashboard)
    token = flickr.get_token(frob)
    nsid = tether_sandbox.credentials()["flickr"]["user"]["nsid"]
    assert logged_in_as(tether_sandbox, tmp_path, token) == nsid
    assert 'data-kind="frob"' not in page(tether_sandbox)  # spent: nothing left to approve


# -- in headless Chromium ---------------------------------------------------------------------


@pytest.fixture
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    # Selenium echoes every page it reads into DEBUG logs, and the page shows the sandbox's
    # test secrets on purpose: keep the driver's chatter out of the suite's secret canary.
    quiet = [logging.getLogger(name) for name in ("selenium", "urllib3")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.WARNING)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)


@pytest.mark.skipif(NO_BROWSER, reason=NO_BROWSER_WHY)
def test_a_person_sees_and_uses_the_dashboard_in_chromium(
    browser: Any, tether_sandbox: Sandbox, tether_ovh: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.wait import WebDriverWait

    def notice_says(text: str) -> bool:
        # A click posts a form and follows the 303 back: wait for the page it lands on
        # (find_element right after click() can still see the old page).
        located = (By.CSS_SELECTOR, "p.notice")
        return bool(
            WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element(located, text))
        )

    sb = tether_sandbox
    assert tether_ovh.get("/me")["nichandle"]
    browser.get(sb.url + "/")
    assert browser.title == "tether sandbox"
    for spec in SERVICES:
        table = browser.find_element(By.ID, f"service-{spec.name}")
        assert sb.base_url(spec.name) in table.text
    request = browser.find_element(By.CSS_SELECTOR, "#request-log tr.request")
    assert "/ovh/1.0/me" in request.text and "200" in request.text

    # Clear faults.
    sb.set_faults(service="flickr", status=503)
    browser.get(sb.url + "/")
    assert "status 503" in browser.find_element(By.ID, "fault-list").text
    browser.find_element(By.ID, "clear-faults").click()
    assert notice_says("Faults cleared.")
    assert sb.faults() == []

    # Approve a consumer key: the client's new key then works.
    created = tether_ovh.request_consumerkey([{"method": "GET", "path": "/me"}])
    browser.get(sb.url + "/")
    ref = grant_ref(created["consumerKey"])
    row = browser.find_element(By.XPATH, f"//tr[@class='grant'][.//input[@value='{ref}']]")
    assert "consumer key" in row.text and "GET /me" in row.text
    row.find_element(By.CSS_SELECTOR, "button.approve").click()
    assert notice_says("Approved.")
    assert tether_ovh.get("/me")["nichandle"]

    # Approve a frob while the Flickr login waits for the person.
    flickr = flickr_client(sb, tmp_path)

    def click_approve(frob: str, perms: str) -> None:
        browser.get(sb.url + "/")
        grant = browser.find_element(By.CSS_SELECTOR, 'tr.grant[data-kind="frob"]')
        assert "flickr" in grant.text
        grant.find_element(By.CSS_SELECTOR, "button.approve").click()
        assert notice_says("Approved.")

    _, frob = flickr.get_token_part_one(perms="read", auth_callback=click_approve)
    token = flickr.get_token(frob)
    assert logged_in_as(sb, tmp_path, token) == sb.credentials()["flickr"]["user"]["nsid"]
