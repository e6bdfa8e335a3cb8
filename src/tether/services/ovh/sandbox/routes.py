"""The OVH API routes the emulator implements, as data (``V1_ENDPOINTS``, ``V2_ENDPOINTS``).

Invariants:
- Handlers take a ``Ctx`` and return a JSON value (``None`` = void, answered ``null``/200) or
  ``NO_CONTENT`` (204); failures raise ``ApiError``. They never see an unauthenticated request
  unless their endpoint says ``auth="none"``, and never a body that failed its ``Param`` spec.
- Object shapes follow OVH's published schemas (``api.Credential``, ``billing.Bill``,
  ``dedicated.server.Dedicated`` …); ids are the seeded ones from ``state.py``.
- Lists of ids keep the state's insertion order, so answers are deterministic.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlsplit
from xml.sax.saxutils import escape as xml_escape

from tether.services.ovh.sandbox.dispatch import (
    IAM_DENIED,
    NO_CONTENT,
    ApiError,
    Ctx,
    Endpoint,
    Param,
    auth_error,
    bad_request,
    check_value,
    conflict,
    not_found,
    show,
)
from tether.services.ovh.sandbox.state import (
    ACCOUNT_LOGIN,
    CREDENTIAL_STATES,
    ME_WRITABLE,
    METHODS,
    TZ,
    Application,
    Bill,
    Credential,
    DnsRecord,
    Redirection,
    Server,
    iso,
)

# --------------------------------------------------------------------------------------------
# helpers


def _credential(ctx: Ctx) -> Credential:
    if ctx.credential is None:  # bearer token: consumer-key routes do not apply
        raise ApiError(*IAM_DENIED)
    return ctx.credential


def _int_param(ctx: Ctx, name: str) -> int:
    raw = ctx.params[name]
    try:
        return int(raw)
    except ValueError:
        raise bad_request(f"[{name}] Given data ({raw}) is not an integer") from None


def _query_enum(ctx: Ctx, name: str, values: tuple[str, ...], enum_name: str) -> str | None:
    value = ctx.query.get(name)
    if value is not None:
        check_value(name, value, Param("enum", values=values, enum_name=enum_name))
    return value


def _query_date(ctx: Ctx, name: str) -> float | None:
    raw = ctx.query.get(name)
    if raw is None or raw == "":
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise bad_request(f"[{name}] Given data ({raw}) is not a valid datetime") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=TZ)
    return parsed.timestamp()


def _price(value: float) -> dict[str, Any]:
    value = round(value, 2)
    return {"currencyCode": "EUR", "text": f"{value:.2f} €", "value": value}


# --------------------------------------------------------------------------------------------
# /auth


def auth_time(ctx: Ctx) -> int:
    return int(ctx.now)


ACCESS_RULES_MALFORMED: Final = (
    "Body parameter accessRules isn't formated correctly"  # sic, as seen
)


def auth_credential(ctx: Ctx) -> dict[str, Any]:
    app = ctx.state.applications_by_key.get(ctx.app_key)
    if app is None:
        raise auth_error("INVALID_KEY")
    rules = ctx.body.get("accessRules")
    if not isinstance(rules, list) or not rules:
        raise bad_request(ACCESS_RULES_MALFORMED, with_class=False)
    clean: list[dict[str, str]] = []
    for rule in rules:
        if not isinstance(rule, dict) or set(rule) != {"method", "path"}:
            raise bad_request(ACCESS_RULES_MALFORMED, with_class=False)
        method, path = rule.get("method"), rule.get("path")
        if method not in METHODS:
            raise bad_request(
                f"[method] Given data ({show(method)}) does not belong to the "
                "http.MethodEnum enumeration"
            )
        if not isinstance(path, str):
            raise bad_request(f"[path] Given data ({show(path)}) is not a string")
        assert isinstance(method, str)
        # Stored verbatim: a rule without a leading "/" is accepted but never matches.
        clean.append({"method": method, "path": path})
    redirection = ctx.body.get("redirection")
    if redirection is not None:
        parts = urlsplit(redirection) if isinstance(redirection, str) else None
        # Only http(s): the validation page redirects the user's browser there.
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            raise bad_request(f"[redirection] Given data ({show(redirection)}) is not a valid URL")
    blocks = ctx.body.get("allowedIPs")
    if blocks is not None:
        _check_ip_blocks(blocks)
    cred = ctx.state.add_credential(
        app, clean, now=ctx.now, redirection=redirection, allowed_ips=blocks
    )
    return {
        "validationUrl": f"{ctx.site}/auth/?credentialToken={cred.token}",
        "consumerKey": cred.consumer_key,
        "state": "pendingValidation",
    }


def _check_ip_blocks(blocks: object) -> None:
    if not isinstance(blocks, list):
        raise bad_request(f"[allowedIPs] Given data ({show(blocks)}) is not an array of ipBlock")
    for block in blocks:
        try:
            if not isinstance(block, str):
                raise ValueError(block)
            ipaddress.ip_network(block, strict=False)
        except ValueError:
            raise bad_request(
                f"[allowedIPs] Given data ({show(block)}) is not a valid ipBlock"
            ) from None


def auth_current_credential(ctx: Ctx) -> dict[str, Any]:
    return _credential(ctx).to_json()


def auth_logout(ctx: Ctx) -> None:
    cred = _credential(ctx)
    cred.status = "expired"
    cred.expiration = ctx.now


def auth_details(ctx: Ctx) -> dict[str, Any]:
    return {
        "method": "account" if ctx.credential is not None else "provider",
        "user": None,
        "description": None,
        "roles": [],
        "identities": [f"urn:v1:eu:identity:account:{ACCOUNT_LOGIN}"],
        "account": ACCOUNT_LOGIN,
        "allowedRoutes": (
            ctx.credential.rules.rules
            if ctx.credential is not None
            else [{"method": m, "path": "/*"} for m in METHODS]
        ),
    }


# --------------------------------------------------------------------------------------------
# /me


def me_get(ctx: Ctx) -> dict[str, Any]:
    return dict(ctx.state.me)


def me_put(ctx: Ctx) -> None:
    ctx.state.me.update(ctx.body)


def _bill(ctx: Ctx) -> Bill:
    bill = ctx.state.bills.get(ctx.params["billId"])
    if bill is None:
        raise not_found("billId", ctx.params["billId"])
    return bill


def bill_list(ctx: Ctx) -> list[str]:
    start, end = _query_date(ctx, "date.from"), _query_date(ctx, "date.to")
    return [
        b.bill_id
        for b in ctx.state.bills.values()
        if (start is None or b.date >= start) and (end is None or b.date <= end)
    ]


def bill_get(ctx: Ctx) -> dict[str, Any]:
    bill = _bill(ctx)
    tax = round(bill.price * 0.2, 2)
    ref = f"reference={bill.bill_id}&passwd={bill.password}"
    return {
        "billId": bill.bill_id,
        "date": iso(bill.date),
        "orderId": bill.order_id,
        "password": bill.password,
        "pdfUrl": f"{ctx.site}/cgi-bin/order/facture.pdf?{ref}",
        "url": f"{ctx.site}/cgi-bin/order/facture.cgi?{ref}",
        "priceWithTax": _price(bill.price + tax),
        "priceWithoutTax": _price(bill.price),
        "tax": _price(tax),
        "category": bill.category,
    }


def bill_details(ctx: Ctx) -> list[str]:
    return list(_bill(ctx).details)


def bill_detail_get(ctx: Ctx) -> dict[str, Any]:
    detail = _bill(ctx).details.get(ctx.params["billDetailId"])
    if detail is None:
        raise not_found("billDetailId", ctx.params["billDetailId"])
    return {
        "billDetailId": detail.detail_id,
        "description": detail.description,
        "domain": detail.domain,
        "periodStart": detail.period_start,
        "periodEnd": detail.period_end,
        "quantity": str(detail.quantity),
        "unitPrice": _price(detail.unit_price),
        "totalPrice": _price(detail.unit_price * detail.quantity),
        "originalBillDetailId": None,
    }


# /me/api


def _cred_by_id(ctx: Ctx) -> Credential:
    cred = ctx.state.credentials.get(_int_param(ctx, "credentialId"))
    if cred is None:
        raise not_found("credentialId", ctx.params["credentialId"])
    cred.effective_status(ctx.now)
    return cred


def _app_by_id(ctx: Ctx, app_id: int) -> Application:
    app = ctx.state.applications.get(app_id)
    if app is None:
        raise not_found("applicationId", app_id)
    return app


def credential_list(ctx: Ctx) -> list[int]:
    status = _query_enum(ctx, "status", CREDENTIAL_STATES, "auth.CredentialStateEnum")
    app_id: int | None = None
    if "applicationId" in ctx.query:
        raw = ctx.query["applicationId"]
        try:
            app_id = int(raw)
        except ValueError:
            raise bad_request(f"[applicationId] Given data ({raw}) is not an integer") from None
    return [
        c.credential_id
        for c in ctx.state.credentials.values()
        if (status is None or c.effective_status(ctx.now) == status)
        and (app_id is None or c.application_id == app_id)
    ]


def credential_get(ctx: Ctx) -> dict[str, Any]:
    return _cred_by_id(ctx).to_json()


def credential_put(ctx: Ctx) -> dict[str, Any]:
    cred = _cred_by_id(ctx)
    if "allowedIPs" in ctx.body:
        blocks = ctx.body["allowedIPs"]
        if blocks is not None:
            _check_ip_blocks(blocks)
        cred.set_allowed_ips(blocks)
    return cred.to_json()


def credential_delete(ctx: Ctx) -> None:
    ctx.state.remove_credential(_cred_by_id(ctx))


def credential_application(ctx: Ctx) -> dict[str, Any]:
    return _app_by_id(ctx, _cred_by_id(ctx).application_id).to_json()


def application_list(ctx: Ctx) -> list[int]:
    return list(ctx.state.applications)


def application_get(ctx: Ctx) -> dict[str, Any]:
    return _app_by_id(ctx, _int_param(ctx, "applicationId")).to_json()


def application_delete(ctx: Ctx) -> None:
    ctx.state.remove_application(_app_by_id(ctx, _int_param(ctx, "applicationId")))


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
    task = _server(ctx).tasks.get(_int_param(ctx, "taskId"))
    if task is None:
        raise not_found("taskId", ctx.params["taskId"])
    return task


# --------------------------------------------------------------------------------------------
# /email/domain


def _mail_domain(ctx: Ctx) -> dict[str, Redirection]:
    redirections = ctx.state.email_domains.get(ctx.params["domain"])
    if redirections is None:
        raise not_found("domain", ctx.params["domain"])
    return redirections


def email_domain_list(ctx: Ctx) -> list[str]:
    return list(ctx.state.email_domains)


def email_domain_get(ctx: Ctx) -> dict[str, Any]:
    _mail_domain(ctx)
    return {"domain": ctx.params["domain"], "status": "ok", "offer": "mxplan", "filerz": 12}


def redirection_list(ctx: Ctx) -> list[str]:
    source, target = ctx.query.get("from"), ctx.query.get("to")
    return [
        r.redirection_id
        for r in _mail_domain(ctx).values()
        if (source is None or r.source == source) and (target is None or r.target == target)
    ]


def _mail_task(ctx: Ctx, action: str, source: str) -> dict[str, Any]:
    return {
        "id": ctx.state.new_id(),
        "action": action,
        "account": source.split("@", 1)[0],
        "domain": ctx.params["domain"],
        "date": iso(ctx.now),
        "type": "redirection",
    }


def redirection_post(ctx: Ctx) -> dict[str, Any]:
    redirections = _mail_domain(ctx)
    source: str = ctx.body["from"]
    target: str = ctx.body["to"]
    for field_name, address in (("from", source), ("to", target)):
        if "@" not in address.strip("@"):
            raise bad_request(f"[{field_name}] Given data ({address}) is not a valid email address")
    if any(r.source == source and r.target == target for r in redirections.values()):
        raise conflict(f"Redirection from {source} to {target} already exists")
    rid = str(ctx.state.new_id())
    redirections[rid] = Redirection(rid, source, target, bool(ctx.body["localCopy"]))
    return _mail_task(ctx, "add", source)


def _redirection(ctx: Ctx) -> Redirection:
    found = _mail_domain(ctx).get(ctx.params["id"])
    if found is None:
        raise not_found("id", ctx.params["id"])
    return found


def redirection_get(ctx: Ctx) -> dict[str, Any]:
    return _redirection(ctx).to_json()


def redirection_delete(ctx: Ctx) -> dict[str, Any]:
    found = _redirection(ctx)
    del _mail_domain(ctx)[found.redirection_id]
    return _mail_task(ctx, "delete", found.source)


# --------------------------------------------------------------------------------------------
# /domain, /domain/zone


def domain_list(ctx: Ctx) -> list[str]:
    return list(ctx.state.domains)


def _zone(ctx: Ctx) -> dict[int, DnsRecord]:
    zone = ctx.state.zones.get(ctx.params["zoneName"])
    if zone is None:
        raise not_found("zoneName", ctx.params["zoneName"])
    return zone


def zone_list(ctx: Ctx) -> list[str]:
    return list(ctx.state.zones)


def zone_get(ctx: Ctx) -> dict[str, Any]:
    _zone(ctx)
    return {
        "name": ctx.params["zoneName"],
        "nameServers": ["dns10.ovh.net", "ns10.ovh.net"],
        "dnssecSupported": True,
        "hasDnsAnycast": False,
        "lastUpdate": iso(ctx.now),
    }


FIELD_TYPES: Final = ("A", "AAAA", "CAA", "CNAME", "DKIM", "MX", "NS", "PTR", "SPF", "SRV", "TXT")


def record_list(ctx: Ctx) -> list[int]:
    ftype = _query_enum(ctx, "fieldType", FIELD_TYPES, "zone.NamedResolutionFieldTypeEnum")
    sub = ctx.query.get("subDomain")
    return [
        r.record_id
        for r in _zone(ctx).values()
        if (ftype is None or r.field_type == ftype) and (sub is None or r.sub_domain == sub)
    ]


def record_post(ctx: Ctx) -> dict[str, Any]:
    zone = _zone(ctx)
    record = DnsRecord(
        ctx.state.new_id(),
        ctx.params["zoneName"],
        ctx.body.get("subDomain") or "",
        ctx.body["fieldType"],
        ctx.body["target"],
        ctx.body.get("ttl") or 0,
    )
    zone[record.record_id] = record
    return record.to_json()


def _record(ctx: Ctx) -> DnsRecord:
    found = _zone(ctx).get(_int_param(ctx, "id"))
    if found is None:
        raise not_found("id", ctx.params["id"])
    return found


def record_get(ctx: Ctx) -> dict[str, Any]:
    return _record(ctx).to_json()


def record_put(ctx: Ctx) -> None:
    record = _record(ctx)
    if ctx.body.get("subDomain") is not None:
        record.sub_domain = ctx.body["subDomain"]
    if ctx.body.get("target") is not None:
        record.target = ctx.body["target"]
    if ctx.body.get("ttl") is not None:
        record.ttl = ctx.body["ttl"]


def record_delete(ctx: Ctx) -> None:
    del _zone(ctx)[_record(ctx).record_id]


def zone_refresh(ctx: Ctx) -> object:
    _zone(ctx)
    # The one void route known to answer 204 (ovh.md §11.6).
    return NO_CONTENT


# --------------------------------------------------------------------------------------------
# /sms


def sms_list(ctx: Ctx) -> list[str]:
    return list(ctx.state.sms)


def sms_get(ctx: Ctx) -> dict[str, Any]:
    found = ctx.state.sms.get(ctx.params["serviceName"])
    if found is None:
        raise not_found("serviceName", ctx.params["serviceName"])
    return dict(found)


# --------------------------------------------------------------------------------------------
# v2 /iam/resource with cursor pagination

#: Page size when the client sends no X-Pagination-Size. Unconfirmed upstream; smaller than the
#: seeded collection on purpose, so a client that ignores the cursor visibly misses items.
DEFAULT_PAGE_SIZE: Final = 100
MAX_PAGE_SIZE: Final = 1000


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, number = text.partition(":")
        offset = int(number)
        if kind != "offset" or offset < 0:
            raise ValueError(cursor)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiError(
            400, {"class": "Client::BadRequest", "message": "Invalid pagination cursor"}
        ) from None
    return offset


def iam_resource_list(ctx: Ctx) -> list[dict[str, Any]]:
    raw_size = ctx.headers.get(b"x-pagination-size")
    size = DEFAULT_PAGE_SIZE
    if raw_size is not None:
        try:
            size = int(raw_size)
        except ValueError:
            size = 0
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise ApiError(
                400,
                {
                    "class": "Client::BadRequest",
                    "message": f"X-Pagination-Size must be between 1 and {MAX_PAGE_SIZE}",
                },
            )
    raw_cursor = ctx.headers.get(b"x-pagination-cursor")
    offset = _decode_cursor(raw_cursor.decode("latin-1")) if raw_cursor else 0
    kinds = {k for k in ctx.query.get("resourceType", "").split(",") if k}
    items = [r for r in ctx.state.iam_resources if not kinds or r["type"] in kinds]
    page = items[offset : offset + size]
    if offset + size < len(items):
        ctx.response_headers.append(
            (b"x-pagination-cursor-next", _encode_cursor(offset + size).encode())
        )
    return [dict(r) for r in page]


def iam_resource_get(ctx: Ctx) -> dict[str, Any]:
    for resource in ctx.state.iam_resources:
        if resource["id"] == ctx.params["resourceId"]:
            return dict(resource)
    raise ApiError(
        404,
        {"class": "Client::NotFound", "message": f"resource {ctx.params['resourceId']} not found"},
    )


# --------------------------------------------------------------------------------------------
# tables

S = Param("string")
S_REQ = Param("string", required=True)
BOOL_REQ = Param("boolean", required=True)
LONG = Param("long")

_ME_BODY: Mapping[str, Param] = {name: S for name in ME_WRITABLE}

V1_ENDPOINTS: Final = (
    Endpoint("GET", "/auth/time", auth_time, auth="none"),
    Endpoint(
        "POST",
        "/auth/credential",
        auth_credential,
        body={
            "accessRules": Param("any", required=True),
            "redirection": Param("any"),
            "allowedIPs": Param("any"),
        },
        auth="none",
    ),
    Endpoint("GET", "/auth/currentCredential", auth_current_credential, auth="any_rule"),
    Endpoint("POST", "/auth/logout", auth_logout, auth="any_rule"),
    Endpoint("GET", "/auth/details", auth_details),
    Endpoint("GET", "/me", me_get),
    Endpoint("PUT", "/me", me_put, body=_ME_BODY),
    Endpoint("GET", "/me/bill", bill_list),
    Endpoint("GET", "/me/bill/{billId}", bill_get),
    Endpoint("GET", "/me/bill/{billId}/details", bill_details),
    Endpoint("GET", "/me/bill/{billId}/details/{billDetailId}", bill_detail_get),
    Endpoint("GET", "/me/api/credential", credential_list),
    Endpoint("GET", "/me/api/credential/{credentialId}", credential_get),
    Endpoint(
        "PUT",
        "/me/api/credential/{credentialId}",
        credential_put,
        body={"allowedIPs": Param("stringList")},
    ),
    Endpoint("DELETE", "/me/api/credential/{credentialId}", credential_delete),
    Endpoint("GET", "/me/api/credential/{credentialId}/application", credential_application),
    Endpoint("GET", "/me/api/application", application_list),
    Endpoint("GET", "/me/api/application/{applicationId}", application_get),
    Endpoint("DELETE", "/me/api/application/{applicationId}", application_delete),
    Endpoint("GET", "/dedicated/server", server_list),
    Endpoint("GET", "/dedicated/server/{serviceName}", server_get),
    Endpoint("GET", "/dedicated/server/{serviceName}/burst", burst_get),
    Endpoint(
        "PUT",
        "/dedicated/server/{serviceName}/burst",
        burst_put,
        body={
            "status": Param(
                "enum", values=BURST_STATES, enum_name="dedicated.server.BurstStatusEnum"
            )
        },
    ),
    Endpoint("GET", "/dedicated/server/{serviceName}/features/ipmi", ipmi_get),
    Endpoint("GET", "/dedicated/server/{serviceName}/features/ipmi/access", ipmi_access_get),
    Endpoint(
        "POST",
        "/dedicated/server/{serviceName}/features/ipmi/access",
        ipmi_access_post,
        body={
            "ipToAllow": S,
            "sshKey": S,
            "ttl": Param(
                "enum", required=True, values=IPMI_TTLS, enum_name="dedicated.server.CacheTTLEnum"
            ),
            "type": Param(
                "enum",
                required=True,
                values=IPMI_TYPES,
                enum_name="dedicated.server.IpmiAccessTypeEnum",
            ),
        },
    ),
    Endpoint("GET", "/dedicated/server/{serviceName}/task", task_list),
    Endpoint("GET", "/dedicated/server/{serviceName}/task/{taskId}", task_get),
    Endpoint("GET", "/email/domain", email_domain_list),
    Endpoint("GET", "/email/domain/{domain}", email_domain_get),
    Endpoint("GET", "/email/domain/{domain}/redirection", redirection_list),
    Endpoint(
        "POST",
        "/email/domain/{domain}/redirection",
        redirection_post,
        body={"from": S_REQ, "to": S_REQ, "localCopy": BOOL_REQ},
    ),
    Endpoint("GET", "/email/domain/{domain}/redirection/{id}", redirection_get),
    Endpoint("DELETE", "/email/domain/{domain}/redirection/{id}", redirection_delete),
    Endpoint("GET", "/domain", domain_list),
    Endpoint("GET", "/domain/zone", zone_list),
    Endpoint("GET", "/domain/zone/{zoneName}", zone_get),
    Endpoint("GET", "/domain/zone/{zoneName}/record", record_list),
    Endpoint(
        "POST",
        "/domain/zone/{zoneName}/record",
        record_post,
        body={
            "fieldType": Param(
                "enum",
                required=True,
                values=FIELD_TYPES,
                enum_name="zone.NamedResolutionFieldTypeEnum",
            ),
            "subDomain": S,
            "target": S_REQ,
            "ttl": LONG,
        },
    ),
    Endpoint("GET", "/domain/zone/{zoneName}/record/{id}", record_get),
    Endpoint(
        "PUT",
        "/domain/zone/{zoneName}/record/{id}",
        record_put,
        body={"subDomain": S, "target": S, "ttl": LONG},
    ),
    Endpoint("DELETE", "/domain/zone/{zoneName}/record/{id}", record_delete),
    Endpoint("POST", "/domain/zone/{zoneName}/refresh", zone_refresh),
    Endpoint("GET", "/sms", sms_list),
    Endpoint("GET", "/sms/{serviceName}", sms_get),
)

V2_ENDPOINTS: Final = (
    Endpoint("GET", "/iam/resource", iam_resource_list),
    Endpoint("GET", "/iam/resource/{resourceId}", iam_resource_get),
)
