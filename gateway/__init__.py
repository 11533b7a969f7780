"""cangw: a community alert gateway for remote bases (SMS, calls, HF radio, MQTT, satellite)."""

__version__ = "0.1.0"
