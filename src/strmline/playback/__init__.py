"""Playing streams for viewers: the proxy engine (:mod:`~strmline.playback.registry` and
:mod:`~strmline.playback.hub`: one upstream per channel, fanned out, with failover), viewing
sessions, failure recording and connection accounting per provider. No HTTP framework here:
the API turns a :class:`~strmline.playback.registry.Subscription` into a response."""
