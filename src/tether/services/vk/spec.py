"""VK as data: hosts, the default API version, access-right bits, error codes, the read rule,
rates and page sizes. No logic and no I/O: standard library and ``tether.core`` only.

Invariants:
- Every ``p_*`` value is VK's real bit (vk.md §2.2); ``p_basic`` is what PyVK's documentation
  promises (it lists ``p_messages``; PyVK's code leaves it out: we do what the docs say), and
  ``p_all`` is every right, ``p_messages`` included.
- ``READS`` decides idempotency and caching alike: a method is a read when its verb is one
  of looking (``users.get``, ``wall.getById``, ``users.search``), plus the reads VK names
  otherwise; ``execute`` is never a read (a script may write).
"""

from __future__ import annotations

from tether.core.cache import ReadRule

API_URL = "https://api.vk.com/method/"
OAUTH_URL = "https://oauth.vk.com/"

#: The API version sent as ``v`` unless ``version=`` says otherwise. PyVK's own default
#: ('5.60') and its doc examples ('5.21', '5.0') are refused by real VK today (error 8:
#: "versions below 5.81 are deprecated", vk.md §1.2). 5.131 is above that floor, is the
#: version of VK's own error examples, and is long-lived: the answer shapes tether and the
#: emulator read (count + items, ``execute_errors``, the upload saves) are those of 5.131.
DEFAULT_VERSION = "5.131"

# --- access rights (scope bits), vk.md §2.2 --------------------------------------------------
p_notify = 1
p_friends = 2
p_photos = 4
p_audio = 8
p_video = 16
p_stories = 64
p_questions = 64  # the old name of the same bit
p_pages = 128
p_leftmenu = 256
p_status = 1024
p_notes = 2048
p_messages = 4096
p_wall = 8192
p_ads = 32768
p_offline = 65536
p_docs = 131072
p_groups = 262144
p_notifications = 524288
p_stats = 1048576
p_email = 4194304
p_market = 134217728

#: ClientAuth's default, as the seed documents it: friends, photos, audio, video, status,
#: messages, wall, groups, offline (= 341022).
p_basic = (
    p_friends | p_photos | p_audio | p_video | p_status | p_messages | p_wall | p_groups | p_offline
)

#: Every access right (= 140492255, vk_api's DEFAULT_USER_SCOPE).
p_all = (
    p_notify
    | p_friends
    | p_photos
    | p_audio
    | p_video
    | p_stories
    | p_pages
    | p_leftmenu
    | p_status
    | p_notes
    | p_messages
    | p_wall
    | p_ads
    | p_offline
    | p_docs
    | p_groups
    | p_notifications
    | p_stats
    | p_email
    | p_market
)

# --- error codes, vk.md §3.1 -----------------------------------------------------------------
E_UNKNOWN = 1
E_AUTH = 5
E_TOO_MANY = 6
E_FLOOD = 9
E_INTERNAL = 10
E_CAPTCHA = 14
E_VALIDATION = 17

#: Waited out and sent again (``auto_delay``): too many requests per second, flood control.
DELAY_CODES = frozenset({E_TOO_MANY, E_FLOOD})
#: VK failed on its side: sent again only when the method is a read (a write may have acted).
TRANSIENT_CODES = frozenset({E_UNKNOWN, E_INTERNAL})

#: The seed's wait before attempt ``n + 1`` after error 6 or 9 is ``DELAY_BASE * 2**n``
#: (0.3, 0.6, 1.2, 2.4 s …), vk.md §3.2.
DELAY_BASE = 0.3

# --- rates, vk.md §3.4 -----------------------------------------------------------------------
USER_RATE = 3.0  # requests per second per user token
COMMUNITY_RATE = 20.0  # per community (group) token

#: Which VK methods are reads (retried after a dropped connection or error 1/10; cacheable).
READS = ReadRule(
    "",
    extra_reads=(
        "utils.resolveScreenName",
        "utils.checkLink",
        "users.isAppUser",
        "groups.isMember",
        "friends.areFriends",
        "likes.isLiked",
    ),
    # Their answer is the current state by design: retried, never cached.
    volatile=(
        "account.getAppPermissions",
        "messages.getLongPollServer",
        "groups.getLongPollServer",
    ),
)

#: Items per page of the count + items methods (what ``reqn`` and ``api.walk`` ask for):
#: PyVK's table (``pyvk/helpers/reqn/results.py``), VK's documented maxima at the time.
PAGE_SIZES: dict[str, int] = {
    "friends.get": 5000,
    "users.search": 1000,
    "users.getFollowers": 1000,
    "users.getSubscriptions": 200,
    "groups.get": 1000,
    "groups.getMembers": 1000,
    "photos.get": 1000,
    "photos.search": 1000,
    "photos.getAlbums": 1000,
    "photos.getUserPhotos": 1000,
    "photos.getAllComments": 100,
    "photos.getNewTags": 100,
    "friends.getRequests": 1000,
    "friends.search": 1000,
    "friends.getSuggestions": 500,
    "wall.get": 100,
    "wall.search": 100,
    "wall.getReposts": 1000,
    "audio.get": 5000,
    "audio.search": 300,
    "audio.getAlbums": 100,
    "audio.getRecommendations": 1000,
    "audio.getPopular": 1000,
    "storage.getKeys": 1000,
    "newsfeed.getMentions": 50,
    "friends.getOnline": 100000,
    "messages.getHistory": 200,
    "video.get": 200,
    "wall.getComments": 100,
}
#: A walk of a method not in ``PAGE_SIZES``: 100 is within every count + items method's
#: maximum VK documents, so no window is clamped (a clamped window would skip items).
DEFAULT_PAGE_SIZE = 100
