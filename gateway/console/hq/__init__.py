"""Headquarters' console (`cangw console --hq -c hq.toml`): the base console's application,
sessions, roles, CSRF, templates and strings, over headquarters' store, with the pages that
apply across bases: every base's health and liveness, a map of every base's villages,
incidents and alerts across bases, the villages two bases both cover, and the partners' CAP
Atom feed. Its users live in headquarters' store (gateway/hq/accounts.py). See
docs/console.md.
"""
