"""Range checks several configuration sections share, said the same way in each."""

from __future__ import annotations

from serial import SerialBase

BAUD_RATES = SerialBase.BAUDRATES
SERIAL_SPEED = "a serial speed such as 9600, 19200 or 115200"
DEVICE = "a serial device or pyserial URL, such as '/dev/ttyUSB2'"
SECONDS = "more than 0 (seconds)"
