"""The GSM modem: SMS and missed calls in, acknowledgements out, and keeping the modem alive."""
