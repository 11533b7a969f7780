"""The duty officer's console: a web page served by the base's Pi (`cangw console`).

Its own process, meeting the daemon in the store as the CLI does. Importing this package costs
nothing; the web stack is loaded by `gateway.console.app` only when the console runs.
"""
