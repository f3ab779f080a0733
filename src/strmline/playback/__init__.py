"""Playing streams for viewers: the proxy engine (one upstream per channel, fanned out, with
failover) and connection accounting per provider. No HTTP framework here."""
