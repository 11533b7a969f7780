"""From a stored message to an alert: parsing, the code book, acknowledgements and payloads."""
