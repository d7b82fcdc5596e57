"""What the chat-robot channels (wecom, dingtalk, feishu, webhook) share.

Each robot is a webhook: one HTTPS POST of a JSON body per message. This package holds the
parts that do not depend on the platform, one concern a module:

- :mod:`~notifiers.robots.settings` — **credentials from the environment.** A robot's webhook
  URL carries its access token, and a signing secret is a secret, so neither is ever in
  config.yaml: ``webhook_env`` and ``secret_env`` name environment variables, read at every
  send (a rotated token needs no restart). Their values never appear in an error message or a
  log line: URLs are shown redacted (:func:`redaction.redact_url`), platform replies are
  scrubbed (:func:`redaction.scrub`), and a filter on the ``httpx`` logger redacts the URLs
  httpx logs at INFO (:mod:`~notifiers.robots.transport`).
- :mod:`~notifiers.robots.rate` — **rate limits.** :class:`RateLimiter` is a per-robot sliding
  window with reservations: a burst waits for the next free slot instead of being refused by
  the platform (which, for DingTalk, then blocks the robot for ten minutes).
- :mod:`~notifiers.robots.text` — **size limits and mentions.** :func:`fit` cuts a text at a
  character boundary (preferably at the end of a line) so that it, or the JSON body it goes
  into, stays under the platform's limit, ending with "…" and a link to the full reminder;
  :func:`mentions_for` sorts the people to @-mention by how the platforms address them.
- :mod:`~notifiers.robots.replies` — **outcome mapping.** The HTTP status and the platform's
  JSON error code become a return (delivered), :class:`TransientError` (retry) or
  :class:`PermanentError` (report to the admins).
- :mod:`~notifiers.robots.transport` — **a far side that misbehaves.** One request per ``send``
  (the engine does the retrying), the whole exchange (connecting, sending, the reply to its
  last byte) within ``timeout_seconds`` however slowly the reply trickles, a reply read to at
  most :data:`MAX_REPLY` bytes, and any reply (garbage, not UTF-8, JSON of the wrong shape, a
  false ``Content-Encoding``, absurd ``Retry-After``) or broken connection ends as one of those
  three outcomes with a one-line reason, never as another exception. Where the request went
  out but its answer did not come back, the reason says the message may have been delivered:
  the retry makes delivery at-least-once in that one case (the generic webhook's
  ``Idempotency-Key`` lets a receiver drop the copy; the platforms cannot).
- :mod:`~notifiers.robots.notifier` — :class:`RobotNotifier`, the base class that ties them
  together; a channel module (``notifiers/wecom.py`` …) subclasses it, builds the platform's
  request and names the platform's error codes. Adding a channel touches no other channel.

Why not Apprise: it covers WeCom, DingTalk and JSON webhooks, but not the Feishu/Lark signature
(the ``timestamp`` and ``sign`` fields of the body), and its ``notify()`` answers True or False:
the platform's error code is lost, so the engine could not tell a rate limit (retry, after the
wait the platform imposes) from a revoked token (report to the admins now). Its pacing is a
fixed pause between requests of one plugin, not the platforms' per-robot windows, and its
robots are configured as URLs that embed the token. Each platform's protocol is one small JSON
POST, so these modules use httpx directly.
"""

__all__: list[str] = []
