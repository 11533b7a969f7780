"""One root exception for the gateway; specific errors also inherit the built-in they resemble."""


class GatewayError(Exception):
    """Root of every error the gateway raises on purpose."""


class ConfigError(GatewayError, ValueError):
    """The configuration file is missing, unreadable or invalid."""


class CodeBookError(GatewayError, ValueError):
    """A code book file is invalid."""


class StoreError(GatewayError, RuntimeError):
    """The SQLite store cannot be opened or written."""


class LinkError(GatewayError, OSError):
    """A device link (modem, radio, broker) failed; the owner reconnects."""


class PortBusy(LinkError):
    """Another process holds the serial port (the daemon locks the modem's port while it runs)."""


class ModemTimeout(LinkError, TimeoutError):
    """The modem did not answer a command in time."""


class SimLocked(LinkError):
    """The SIM wants a PIN the configuration does not give: resetting the modem cannot help."""


class ModemRestarted(LinkError):
    """The modem restarted by itself (its boot messages arrived): it must be set up again."""


class CommandError(LinkError):
    """The modem answered a command with ERROR, +CME ERROR or +CMS ERROR."""

    def __init__(self, command: str, response: str):
        self.command = command
        self.response = response
        super().__init__(f"{command!r} failed: {response}")

    @property
    def code(self) -> int | None:
        """The numeric CME/CMS error code, when the modem gave one."""
        _, _, tail = self.response.partition(":")
        tail = tail.strip()
        return int(tail) if tail.isdigit() else None




class FrameError(GatewayError, ValueError):
    """Bytes from a radio link are not a well-formed KISS or AX.25 frame."""


class SbdFormatError(GatewayError, ValueError):
    """Bytes received over the satellite link are not a valid message of the documented format
    (docs/sbd-format.md): the one error a decoder raises, whatever the input."""


class CommandRejected(GatewayError, PermissionError):
    """A command from headquarters failed authentication or was replayed."""
