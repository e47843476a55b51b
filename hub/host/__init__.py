"""Hosting: the node's aiohttp app, connectors' runtime and webhooks, workers, leases, commands
and channel sync. The core (hub's top-level modules, models, actions, policy, queries) never
imports this package."""
