"""Handing the network over: one encrypted file that lets another organisation run the base's
network (registry, villages, groups, schedules, code book, settings, history) when the base
closes, and the import that sets up a fresh gateway from it. README.md, "Handing the network
over"; the bundle's own README (gateway/data/handover_readme.md, carried as README.md)
describes every file."""
