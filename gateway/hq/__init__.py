"""Headquarters' side of the satellite link: the bridge that turns the satellite provider's
deliveries into the same MQTT alerts a base publishes, and the commands headquarters sends."""
