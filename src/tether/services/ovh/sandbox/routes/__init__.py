"""The OVH API routes the emulator implements, as data (``V1_ENDPOINTS``, ``V2_ENDPOINTS``),
with the handlers in one module per API family.

Module map: ``common`` (shared helpers), ``auth`` (/auth, /me/api), ``account`` (/me, bills,
/sms), ``servers`` (/dedicated/server), ``domains`` (/email/domain, /domain), ``iam`` (v2).

Invariants:
- The families import ``common`` and ``dispatch`` only, never each other nor this module.
- Handlers take a ``Ctx`` and return a JSON value (``None`` = void, answered ``null``/200) or
  ``NO_CONTENT`` (204); failures raise ``ApiError``. They never see an unauthenticated request
  unless their endpoint says ``auth="none"``, and never a body that failed its ``Param`` spec.
- Object shapes follow OVH's published schemas (``api.Credential``, ``billing.Bill``,
  ``dedicated.server.Dedicated`` …); ids are the seeded ones from ``state.py``.
- Lists of ids keep the state's insertion order, so answers are deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from tether.services.ovh.sandbox.dispatch import (
    Endpoint,
    Param,
)
from tether.services.ovh.sandbox.routes.account import (
    bill_detail_get,
    bill_details,
    bill_get,
    bill_list,
    me_get,
    me_put,
    sms_get,
    sms_list,
)
from tether.services.ovh.sandbox.routes.auth import (
    application_delete,
    application_get,
    application_list,
    auth_credential,
    auth_current_credential,
    auth_details,
    auth_logout,
    auth_time,
    credential_application,
    credential_delete,
    credential_get,
    credential_list,
    credential_put,
)
from tether.services.ovh.sandbox.routes.domains import (
    FIELD_TYPES,
    domain_list,
    email_domain_get,
    email_domain_list,
    record_delete,
    record_get,
    record_list,
    record_post,
    record_put,
    redirection_delete,
    redirection_get,
    redirection_list,
    redirection_post,
    zone_get,
    zone_list,
    zone_refresh,
)
from tether.services.ovh.sandbox.routes.iam import (
    iam_resource_get,
    iam_resource_list,
)
from tether.services.ovh.sandbox.routes.servers import (
    BURST_STATES,
    IPMI_TTLS,
    IPMI_TYPES,
    burst_get,
    burst_put,
    ipmi_access_get,
    ipmi_access_post,
    ipmi_get,
    server_get,
    server_list,
    task_get,
    task_list,
)
from tether.services.ovh.sandbox.state import (
    ME_WRITABLE,
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
