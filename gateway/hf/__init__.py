"""HF radio: KISS/AX.25 or a text-mode radio, the radio network's reports and acknowledgements."""
