"""One VK call, as a flow: arguments encoded as VK expects, a form POST, the envelope decoded,
and PyVK's recoveries (wait on 6 and 9, a captcha on 14, VK's own failures 1 and 10 for reads).

Why POST and not PyVK's GET: VK takes both (vk.md §1.2) but a GET carries everything in the
URL, where a long parameter list (``user_ids`` of a thousand ids, a long ``message``) meets
URL length limits (VK asks for POST above ~2 KB), and where the access token ends up in
proxy, server and browser-history logs. A form body has neither problem (vk_api does the
same).

Invariants:
- Encoding: ints as decimal (negative too), booleans ``1``/``0``, lists and tuples (and sets)
  joined with ``,``, ``None`` dropped; the call's arguments first, then ``lang``, ``v`` and
  ``access_token``.
- At most ``max_attempts`` sends of the call's envelope, recoveries included; every wait is a
  ``Sleep`` effect and every question a ``Prompt``; no recovery at all with ``raw=True``.
  Transport failures are retried inside one attempt by the client's ``RetryPolicy`` (only for
  reads unless the request provably never left) and end as ``RequestFailed``.
- Each attempt takes a slot of the token's pacing bucket first (``retrying``'s ``pace``), so a
  client sends no faster than its rate, across threads and tasks.
- Nothing here logs the token: INFO lines name the method and the wait only.
- On an API an auth object made (``_renewer``), error 5 and (with ``validation``) error 17
  renew the token through that object (``recovery.py``) and send again, within
  ``max_attempts``.
"""

from __future__ import annotations

import logging
from typing import Any

from tether.core.errors import TransportError
from tether.core.flow import Flow, Prompt, Sleep
from tether.core.jsonparse import loads
from tether.core.messages import Request, Response
from tether.core.params import form_body
from tether.core.retry import give_up_note
from tether.services.kit.rpc import encode_value
from tether.services.vk.errors import APIError, ReqError, RequestFailed, api_error
from tether.services.vk.spec import DELAY_BASE, DELAY_CODES, E_CAPTCHA, READS, TRANSIENT_CODES

__all__ = ["decode", "encode_params", "log"]

log = logging.getLogger("tether.vk")

_HEADERS = (("Content-Type", "application/x-www-form-urlencoded"),)

_WAIT_LINES = {
    6: "Too many requests per second. Wait %g sec and retry. (%s)",
    9: "Flood control: too many similar actions. Wait %g sec and retry. (%s)",
    1: "VK failed (error 1). Wait %.2f sec and retry. (%s)",
    10: "VK failed internally (error 10). Wait %.2f sec and retry. (%s)",
}


def encode_params(params: dict[str, Any]) -> dict[str, str]:
    """The call's arguments as VK's form values (see the module docstring); ``None`` dropped."""
    out: dict[str, str] = {}
    for k, v in params.items():
        if v is None:
            continue
        # The common cases first: a str or an int is its own text.
        t = type(v)
        out[k] = v if t is str else str(v) if t is int else encode_value(v)
    return out


def _convert(value: Any, hook: Any) -> Any:
    if isinstance(value, dict):
        return hook({k: _convert(v, hook) for k, v in value.items()})
    if isinstance(value, list):
        return [_convert(v, hook) for v in value]
    return value


def decode(response: Response, method: str, response_type: Any = dict) -> Any:
    """The JSON of VK's answer (``response_type`` for its objects).

    Raises:
        ReqError: the answer is not JSON ("Response is not a valid JSON", as PyVK says).
    """
    try:
        answer = loads(response.body, method)
    except ValueError:
        note = give_up_note(response)
        raise ReqError(
            f"Response is not a valid JSON: {method} answered HTTP {response.status} with "
            f"{len(response.body)} bytes that are not VK's; check api_url, or retry later if "
            f"a proxy is in the way{'; ' + note if note else ''}",
            status=response.status,
            method=method,
        ) from None
    if response_type is not dict:
        answer = _convert(answer, response_type)
    return answer


class Calls:
    """The call flow, on a facade that sets the attributes below (``api._BaseAPI``)."""

    _api_url: str
    _base: dict[str, str]  # lang, v, access_token
    _bucket: Any  # SharedBucket or None
    _raw: bool
    _auto_delay: bool
    _validation: bool
    _max_attempts: int
    _response_type: Any
    _retry: Any
    _retrying: Any
    #: On an API an auth object made: its ``recovery.Recovery`` (errors 5 and 17).
    _renewer: Any = None

    def _call_flow(
        self,
        method: str,
        params: dict[str, Any],
        raw: bool | None = None,
        *,
        whole: bool = False,
        read: bool | None = None,
    ) -> Flow[Any]:
        """Call ``method``: its result, or (``raw``) the whole decoded answer.

        ``whole``: the whole answer once it holds a ``response``, the recoveries still on
        (``execute``'s ``execute_errors`` sit beside it). ``read``: whether the call is a read
        when the method's name cannot tell (an ``execute`` of reads only); default
        ``spec.READS``.

        Raises:
            APIError: VK answered an error it was not asked (or able) to recover from.
            ReqError: not JSON, no envelope, or ``max_attempts`` spent on recoveries.
            RequestFailed: no answer after the transport retries.
        """
        raw = self._raw if raw is None else raw
        args = encode_params(params)
        read = READS.is_read(method) if read is None else read
        url = self._api_url + method
        label = f"vk {method}"
        attempts = self._max_attempts
        last: APIError | None = None
        for attempt in range(attempts):
            sent = self._base.get("access_token")
            request = Request(
                "POST",
                url,
                _HEADERS,
                form_body({**args, **self._base}),
                idempotent=read,
                label=label,
            )
            try:
                response = yield from self._retrying(lambda now, r=request: r, None, self._bucket)
            except TransportError as e:
                raise RequestFailed(
                    f"Request failed after all attempts: {method}: no answer from VK ({e}); "
                    "check the network and api_url, or retry later",
                    exc=e,
                    method=method,
                ) from e
            answer = decode(response, method, self._response_type)
            if raw:
                return answer
            if isinstance(answer, dict):
                if "response" in answer:
                    return answer if whole else answer["response"]
                error = answer.get("error")
            else:
                error = None
            if not isinstance(error, dict):
                raise ReqError(
                    f"Malformed response from API: {method} answered JSON with neither "
                    '"response" nor "error"; check api_url',
                    method=method,
                )
            last = api_error(error, method)
            code = error.get("error_code")
            if type(code) is not int:  # garbage (a list, a string) recovers nothing
                code = -1
            wait: float | None = None
            if code in DELAY_CODES and self._auto_delay:
                wait = DELAY_BASE * 2**attempt
            elif code == E_CAPTCHA and self._validation and error.get("captcha_sid"):
                if attempt + 1 < attempts:
                    img = str(error.get("captcha_img") or "")
                    key = yield Prompt(
                        "captcha", f"VK asks for a captcha ({method}): {img}", {"img": img}
                    )
                    args["captcha_sid"] = str(error["captcha_sid"])
                    args["captcha_key"] = str(key)
                continue
            elif self._renewer is not None and (code == 5 or (code == 17 and self._validation)):
                # A new token through the auth object (recovery.py), then the call again.
                if attempt + 1 < attempts:
                    yield from self._renewer.flow(self, code, error, sent)
                continue
            elif code in TRANSIENT_CODES and read and self._auto_delay:
                wait = self._retry.backoff(attempt + 1)
            else:
                raise last
            if attempt + 1 < attempts:  # no wait after the last attempt: nothing follows it
                log.info(_WAIT_LINES[code], wait, method)
                yield Sleep(wait)
        raise ReqError(
            f"Request failed after all attempts: {method} sent {attempts} times, VK answered "
            f"{last}; retry later, or raise max_attempts",
            exc=None,
            method=method,
        ) from last
