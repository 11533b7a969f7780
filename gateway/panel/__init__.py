"""The alarm panel on the Pi's GPIO pins: lights, buzzer, button and relay."""
