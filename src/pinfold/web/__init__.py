"""``pinfold.web`` (extra ``pinfold[web]``): the gateway as an ASGI app, and the pieces other
routes share.

- :func:`create_app(repo=None, *, routes=()) <create_app>`: a Starlette app serving
  ``/ipfs/`` and ``/ipns/`` through :func:`pinfold.gateway.handle` under the repo's access
  rules (:mod:`pinfold.access`): restricted mode, gateway tokens, the IP allowlist (with
  ``X-Forwarded-For`` only from trusted proxies), allowed origins and CORS, access links,
  ``Authorization: Bearer`` API keys with ``files:read`` (one use per request) for private
  content. Streaming bodies, ``HEAD``, ``Range``, ETags, directory listings, ``index.html``.
  ``uvicorn --factory pinfold.web:create_app --no-proxy-headers`` serves ``$PINFOLD_REPO``.
- :func:`require_key(request, scope) <require_key>`: authenticate a request's Bearer key for
  a scope: the :class:`~pinfold.access.ApiKey`, or a JSON 401/403 response to return.
- :func:`get_repo(request) <get_repo>`: the repo the app serves.
- :func:`api_route(path, endpoint, methods) <api_route>`: a route of an API beside the
  gateway, with CORS as the gateway rules' origin list allows (preflights, headers, 403 for
  a listed-out origin); the pinning and upload routes are made with it.
- :func:`decide` (:mod:`pinfold.web.policy`): the rules applied to one request, without
  Starlette (for other frameworks).
- :func:`pinning_routes` (:mod:`pinfold.web.pins`): the IPFS Pinning Service API, and
  :func:`upload_routes` (:mod:`pinfold.web.upload`): uploads and presigned upload URLs, as
  Pinata's; mount them with ``create_app(repo, routes=[*pinning_routes(), *upload_routes()])``
  (docs/pinning-api.md).
"""

from .app import api_route, create_app, get_repo, require_key
from .pins import pinning_routes
from .policy import Decision, decide
from .upload import upload_routes

__all__ = ["Decision", "api_route", "create_app", "decide", "get_repo", "pinning_routes",
           "require_key", "upload_routes"]
