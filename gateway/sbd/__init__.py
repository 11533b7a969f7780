"""The Iridium SBD uplink: the compact wire format, commands from headquarters, the fallback
policy and the worker that runs satellite sessions."""
