"""A local fake of the Google pieces reelforge uses: OAuth 2.0, YouTube Data API v3 and its upload protocol.

It is a real HTTP server on loopback that speaks **both plain HTTP and TLS on the same
port** (it peeks at the first byte of each connection: 0x16 is a TLS handshake).
google-api-python-client keeps the discovery document's ``https`` scheme for media
uploads, so TLS is required; browsers reach the consent page over plain HTTP. The
certificate is a throw-away CA + leaf generated at start-up with ``cryptography``;
clients trust it through ``REELFORGE_YOUTUBE_CA_BUNDLE`` (the ``ca_path`` it writes).

Used by the tests (``tests/stubs/fake_youtube.py``) and by the documented dev mode
(``reelforge youtube fake-server``). Never used against real Google.

Endpoints (see ``ENDPOINTS``) follow the real ones closely enough that the official
clients (google-auth-oauthlib, google-auth, google-api-python-client) drive them
unchanged: PKCE S256 is verified, refresh tokens are issued only for
``access_type=offline``, scopes are enforced per method, the resumable upload protocol
answers ``308`` + ``Range`` and ``Content-Range: bytes */N`` status queries.
Fault injection: ``drop_upload_after`` (close the connection part-way through a chunk),
``fail_next`` (answer N requests on a path with a status), ``quota_exceeded``.

Modules: `server` (FakeYouTube: state, lifecycle, test helpers, routing), `oauth_routes` and
`youtube_routes` (the endpoints), `base` (request plumbing, token checks, error bodies),
`certificates` (the throw-away CA).
"""

from __future__ import annotations

from reelforge.youtube.devserver.base import SCOPE_FORCE_SSL, SCOPE_READONLY, SCOPE_UPLOAD, Grant, UploadSession
from reelforge.youtube.devserver.certificates import make_certificates
from reelforge.youtube.devserver.server import ENDPOINTS, FakeYouTube, serve_forever

__all__ = [
    "ENDPOINTS",
    "SCOPE_FORCE_SSL",
    "SCOPE_READONLY",
    "SCOPE_UPLOAD",
    "FakeYouTube",
    "Grant",
    "UploadSession",
    "make_certificates",
    "serve_forever",
]
