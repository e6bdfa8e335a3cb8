"""OVHcloud as data: endpoints, OAuth2 token URLs, rule presets, config layout."""

from __future__ import annotations

ENDPOINTS: dict[str, str] = {
    "ovh-eu": "https://eu.api.ovh.com/1.0",
    "ovh-ca": "https://ca.api.ovh.com/1.0",
    "ovh-us": "https://api.us.ovhcloud.com/1.0",
    "soyoustart-eu": "https://eu.api.soyoustart.com/1.0",
    "soyoustart-ca": "https://ca.api.soyoustart.com/1.0",
    "kimsufi-eu": "https://eu.api.kimsufi.com/1.0",
    "kimsufi-ca": "https://ca.api.kimsufi.com/1.0",
}

OAUTH2_TOKEN_URLS: dict[str, str] = {
    "ovh-eu": "https://www.ovh.com/auth/oauth2/token",
    "ovh-ca": "https://ca.ovh.com/auth/oauth2/token",
    "ovh-us": "https://us.ovhcloud.com/auth/oauth2/token",
}

API_READ_ONLY = ["GET"]
API_READ_WRITE = ["GET", "POST", "PUT", "DELETE"]
API_READ_WRITE_SAFE = ["GET", "POST", "PUT"]

# Settings read from OVH_* variables and ovh.conf, in python-ovh's resolution order.
CONFIG_KEYS = (
    "endpoint",
    "application_key",
    "application_secret",
    "consumer_key",
    "client_id",
    "client_secret",
)

DEFAULT_TIMEOUT = 180.0
