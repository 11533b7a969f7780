"""The way back to the communities: broadcasts to villages, zones and groups, follow-ups to
the people who reported, opt-outs and replies, and the commands headquarters sends for them.

`compose` (preview and send, also for the console), `target` (who a broadcast reaches),
`templates` (the book of texts), `delivery` (status reports and what they mean), `intake`
(STOP/START and replies, from the pipeline), `follow_ups`, `summary` (the events headquarters
receives), `commands` (from headquarters, by MQTT and satellite), `service` (the worker).
"""
