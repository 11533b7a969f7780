"""firmware-config/: the modem profiles load and agree with the udev rules that name the ports."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from gateway.errors import ConfigError
from gateway.gsm.profiles import find_profile, load_profiles

FIRMWARE = Path(__file__).resolve().parent.parent / "firmware-config"
RULE_PAIR = re.compile(r'\s*([A-Z_]+(?:\{[A-Za-z_]+\})?)\s*(==|!=|\+=|=|:=)\s*"([^"]*)"\s*(?:,|$)')
UDEV_KEYS = {"SUBSYSTEM", "KERNEL", "SYMLINK", "ENV", "ATTRS"}


def rules(name: str, active: bool = True) -> list[dict[str, str]]:
    """Each rule of a rules file as {key: value}; with active=False the rules left for the
    technician to fill in ('#SUBSYSTEM==...', where prose comments start '# ')."""
    parsed = []
    for line in (FIRMWARE / "udev" / name).read_text().splitlines():
        text = line.strip()
        template = re.match(r"#[A-Z]", text) is not None
        if not text or (text.startswith("#") and not template) or template == active:
            continue
        text = text.lstrip("#")
        pairs, position = {}, 0
        while position < len(text):
            match = RULE_PAIR.match(text, position)
            assert match, f"{name}: cannot parse {text[position:]!r}"
            key, _, value = match.groups()
            assert key.split("{")[0] in UDEV_KEYS, key
            pairs[key] = value
            position = match.end()
        parsed.append(pairs)
    return parsed


def test_the_shipped_profiles_are_the_firmware_config_file():
    shipped = resources.files("gateway").joinpath("data/modems.toml").read_text("utf-8")
    assert shipped == (FIRMWARE / "modems.toml").read_text("utf-8")


def test_profiles_load_with_what_a_later_issue_needs():
    profiles = load_profiles()
    assert set(profiles) == {"sim800", "quectel_ec25", "huawei_e3372"}
    for profile in profiles.values():
        assert profile.reset and profile.reset_wait > 0 and profile.quirks
        assert all(command.upper().startswith("AT") for command in
                   (*profile.init, *profile.reset, *profile.dtmf_enable))
        assert bool(profile.dtmf_enable) == (profile.dtmf_value != "none")
    assert profiles["sim800"].dtmf_urc == "+DTMF:" and profiles["sim800"].dtmf_value == "char"
    assert profiles["quectel_ec25"].dtmf_urc == "+QTONEDET:"
    assert profiles["huawei_e3372"].voice is False


@pytest.mark.parametrize(("model", "key"), [("SIMCOM_SIM800", "sim800"), ("SIM800L", "sim800"),
                                            ("EC25EFAR06A06M4G", "quectel_ec25"),
                                            ("EG25GGBR07A08M2G", "quectel_ec25"),
                                            ("E3372", "huawei_e3372"), ("MC7455", None), (None, None)])
def test_find_profile_by_model_answer(model, key):
    found = find_profile(load_profiles(), model)
    assert (found.key if found else None) == key


@pytest.mark.parametrize(("text", "message"), [
    ('[x]\nname = "x"\n', "[x] match: missing"),
    ("[x]\nnickname = 1\n", "[x] nickname: unknown key"),
    ("x = 1\n", "[x] must be a table"),
])
def test_bad_profile_files_are_refused_with_the_key(tmp_path, text, message):
    path = tmp_path / "modems.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_profiles(path)


def test_a_profile_with_a_wrong_dtmf_value(tmp_path):
    text = (FIRMWARE / "modems.toml").read_text().replace('dtmf_value = "char"',
                                                          'dtmf_value = "morse"')
    path = tmp_path / "modems.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match="dtmf_value: expected one of"):
        load_profiles(path)


def test_a_profile_with_a_wrong_status_report_route(tmp_path):
    text = (FIRMWARE / "modems.toml").read_text().replace('status_reports = "cds"',
                                                          'status_reports = "pigeon"', 1)
    path = tmp_path / "modems.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match="status_reports: expected one of cds, cdsi, none"):
        load_profiles(path)


def test_every_usb_modem_profile_has_a_udev_rule_for_its_at_port():
    active = rules("99-cangw.rules")
    for profile in load_profiles().values():
        for usb in profile.usb:
            vendor, product = usb.split(":")
            assert {"ENV{ID_VENDOR_ID}": vendor, "ENV{ID_MODEL_ID}": product,
                    "ENV{ID_USB_INTERFACE_NUM}": profile.at_interface, "SUBSYSTEM": "tty",
                    "ENV{ID_MM_DEVICE_IGNORE}": "1", "SYMLINK": "cangw-gsm"} in active, profile.key


def test_rules_name_every_device_and_the_uart_rule_is_separate():
    names = {r["SYMLINK"] for r in rules("99-cangw.rules") + rules("99-cangw.rules", False)}
    assert names == {"cangw-gsm", "cangw-hf", "cangw-sbd"}
    assert all("KERNEL" not in r for r in rules("99-cangw.rules"))  # no UART rule by default
    assert rules("99-cangw-uart.rules") == [{"SUBSYSTEM": "tty", "KERNEL": "ttyAMA0",
                                             "ENV{ID_MM_DEVICE_IGNORE}": "1",
                                             "SYMLINK": "cangw-gsm"}]


def test_modem_manager_is_told_to_leave_every_named_device_alone():
    every = [rule for name in ("99-cangw.rules", "99-cangw-uart.rules")
             for active in (True, False) for rule in rules(name, active)]
    assert every and all(rule.get("ENV{ID_MM_DEVICE_IGNORE}") == "1" for rule in every), every
