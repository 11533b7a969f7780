"""The MQTT uplink to headquarters: alerts delivered on PUBACK, and the retained status."""
