"""Auth strategies: pure signers and flow-yielding logins that facades compose.

- ``ovh``: OVH's ``$1$`` application signature.
- ``oauth1``: OAuth 1.0a — the per-request header (``sign``) and the three-legged dance with
  its endpoints as data.
- ``frob``: frob-style logins (Flickr, Ipernity) with the ``api_sig`` recipe as data;
  ``flickr`` keeps Flickr's fast legacy signer and the names older code imports.
- ``oauth2``: OAuth 2 grants (client credentials, code + PKCE, implicit, password, refresh),
  redirect checks and the single-flight ``TokenKeeper``.
- ``callback``: the loopback server that takes only the awaited redirect.

Invariants: nothing here reads a clock, sleeps or opens a socket except ``callback`` (which
a flow reaches only through ``Blocking``); no service names its errors here — each strategy
takes the service's error factories; importing this package imports none of its modules.
"""
