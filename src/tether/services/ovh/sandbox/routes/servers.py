"""``/dedicated/server/*``: servers, burst, IPMI access and the tasks they start.

Invariants:
- IPMI access values expire with the emulated clock (``ctx.now``).
"""

from __future__ import annotations

import ipaddress
from typing import Any, Final
from xml.sax.saxutils import escape as xml_escape

from tether.services.ovh.sandbox.dispatch import (
    ApiError,
    Ctx,
    Param,
    bad_request,
    check_value,
    not_found,
)
from tether.services.ovh.sandbox.routes.common import (
    int_param,
)
from tether.services.ovh.sandbox.state import (
    Server,
    iso,
)

# --------------------------------------------------------------------------------------------
# /dedicated/server


def _server(ctx: Ctx) -> Server:
    server = ctx.state.servers.get(ctx.params["serviceName"])
    if server is None:
        raise not_found("serviceName", ctx.params["serviceName"])
    return server


def server_list(ctx: Ctx) -> list[str]:
    return list(ctx.state.servers)


def server_get(ctx: Ctx) -> dict[str, Any]:
    return _server(ctx).to_json()


BURST_STATES: Final = ("active", "inactive", "inactiveLocked")


def burst_get(ctx: Ctx) -> dict[str, Any]:
    return {"status": _server(ctx).burst, "capacity": {"unit": "Mbps", "value": 1000}}


def burst_put(ctx: Ctx) -> None:
    server = _server(ctx)
    if "status" in ctx.body and ctx.body["status"] is not None:
        if ctx.body["status"] == "inactiveLocked":
            raise ApiError(403, {"class": "Client::Forbidden", "message": "Burst state is locked"})
        server.burst = ctx.body["status"]


IPMI_TYPES: Final = ("kvmipHtml5URL", "kvmipJnlp", "serialOverLanSshKey", "serialOverLanURL")
IPMI_TTLS: Final = (1, 3, 5, 10, 15)


def ipmi_get(ctx: Ctx) -> dict[str, Any]:
    _server(ctx)
    return {
        "activated": True,
        "supportedFeatures": {t: True for t in IPMI_TYPES},
    }


def _task(ctx: Ctx, server: Server, function: str, comment: str) -> dict[str, Any]:
    task_id = ctx.state.new_id()
    task = {
        "taskId": task_id,
        "function": function,
        "status": "done",
        "comment": comment,
        "startDate": iso(ctx.now),
        "doneDate": iso(ctx.now),
        "lastUpdate": iso(ctx.now),
        "needSchedule": False,
        "plannedInterventionId": None,
        "tags": None,
        "ticketReference": None,
    }
    server.tasks[task_id] = task
    return task


def ipmi_access_post(ctx: Ctx) -> dict[str, Any]:
    server = _server(ctx)
    kind: str = ctx.body["type"]
    if kind == "serialOverLanSshKey":
        if not ctx.body.get("sshKey"):
            raise bad_request("Missing parameter(s): sshKey")
    elif not ctx.body.get("ipToAllow"):
        raise bad_request("Missing parameter(s): ipToAllow")
    else:
        try:
            ipaddress.ip_address(ctx.body["ipToAllow"])
        except ValueError:
            raise bad_request(
                f"[ipToAllow] Given data ({ctx.body['ipToAllow']}) is not a valid ip"
            ) from None
    token = ctx.state.random_key(24)
    if kind == "kvmipJnlp":
        value = _jnlp(server, ctx.body["ipToAllow"], token)
    elif kind == "kvmipHtml5URL":
        value = f"{ctx.site}/ipmi/kvm/{server.server_id}/{token}"
    elif kind == "serialOverLanURL":
        value = f"{ctx.site}/ipmi/sol/{server.server_id}/{token}"
    else:
        value = f"ssh -p 22 sol-{token[:10]}@{server.ip}"
    server.ipmi_access[kind] = (value, ctx.now + 60 * int(ctx.body["ttl"]))
    return _task(ctx, server, "ipmi/access", f"Configure IPMI access ({kind})")


def _jnlp(server: Server, allowed_ip: str, token: str) -> str:
    name = xml_escape(server.name, {'"': "&quot;"})
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<jnlp spec="1.0+" codebase="http://127.0.0.1/">\n'
        "  <information>\n"
        f"    <title>KVM {name}</title>\n"
        "    <vendor>tether sandbox</vendor>\n"
        "  </information>\n"
        '  <resources><j2se version="1.6+"/><jar href="iKVM.jar" download="eager" main="true"/>'
        "</resources>\n"
        '  <application-desc main-class="tw.com.aten.ikvm.KVMMain">\n'
        f"    <argument>{xml_escape(server.ip)}</argument>\n"
        f"    <argument>{xml_escape(token)}</argument>\n"
        f"    <argument>{xml_escape(allowed_ip)}</argument>\n"
        "  </application-desc>\n"
        "</jnlp>\n"
    )


def ipmi_access_get(ctx: Ctx) -> dict[str, Any]:
    server = _server(ctx)
    kind = ctx.query.get("type")
    if not kind:
        raise bad_request("Missing parameter(s): type")
    check_value(
        "type",
        kind,
        Param("enum", values=IPMI_TYPES, enum_name="dedicated.server.IpmiAccessTypeEnum"),
    )
    found = server.ipmi_access.get(kind)
    if found is None or ctx.now >= found[1]:
        server.ipmi_access.pop(kind, None)
        raise not_found("type", kind)
    return {"value": found[0], "expiration": iso(found[1])}


def task_list(ctx: Ctx) -> list[int]:
    return list(_server(ctx).tasks)


def task_get(ctx: Ctx) -> dict[str, Any]:
    task = _server(ctx).tasks.get(int_param(ctx, "taskId"))
    if task is None:
        raise not_found("taskId", ctx.params["taskId"])
    return task
