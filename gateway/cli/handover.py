"""`cangw handover export/import`: the base's network handed to the organisation taking it over
(gateway/handover/)."""

from __future__ import annotations

from pathlib import Path

import click

from gateway.alerts.codes import load_codebook
from gateway.cli.common import CliContext, audit, pass_context
from gateway.errors import GatewayError
from gateway.handover import envelope
from gateway.handover.export_bundle import bundle_bytes, write_private
from gateway.handover.import_bundle import default_folder, import_bundle, open_bundle
from gateway.keyfile import read_secret

passphrase_option = click.option(
    "--passphrase-file", type=click.Path(dir_okay=False, path_type=Path),
    help="Read the passphrase from this private file (for scripts) instead of asking.")


@click.group()
def handover() -> None:
    """Hand the base's network over to another organisation in one encrypted file."""


@handover.command("export")
@click.option("--to", "target", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The bundle file to write (private to you: mode 0600).")
@click.option("--with-secrets", is_flag=True,
              help="Also carry the secrets the configuration names (broker password, command "
                   "keys, SIM PIN) and the pseudonyms' secret; never the store's data key.")
@click.option("--kdf-cost", type=click.IntRange(14, 22), default=envelope.DEFAULT_KDF.log_n,
              show_default=True,
              help="scrypt's cost as log2(N): each step doubles the memory and time a guess takes.")
@passphrase_option
@pass_context
def handover_export(ctx: CliContext, target: Path, with_secrets: bool, kdf_cost: int,
                    passphrase_file: Path | None) -> None:
    """Write the base's network to one file sealed under a passphrase: the registry (with the
    numbers and names: the receiving organisation must reach the same people), villages, zones,
    groups, schedules, code book, broadcast templates, settings without secrets, the alert and
    incident history as CSV and the alerts as CAP 1.2, and a README of every format. Pass the
    passphrase on by another way than the file."""
    config = ctx.config
    if target.exists():
        raise click.ClickException(f"{target} exists: choose another name (nothing written)")
    passphrase = _passphrase(passphrase_file, confirm=True)
    codebook = load_codebook(config.codes.file if config.codes else None)
    try:
        with ctx.store() as store:
            data, manifest = bundle_bytes(store, config, codebook, passphrase, with_secrets,
                                          envelope.Kdf(log_n=kdf_cost))
        write_private(target, data)
    except (GatewayError, OSError) as exc:
        raise click.ClickException(f"nothing written: {exc}") from None
    counts = manifest["counts"]
    audit(f"cangw handover export: base {config.base.id}'s network ({counts['focal_points']} "
          f"focal points) written to {target}")
    click.echo(f"wrote base {config.base.id}'s hand-over to {target} ({len(data)} bytes, "
               f"readable by you only): {_counted(counts)}; last alert number "
               f"{manifest['last_alert_seq']}")
    click.echo("left out: " + (", ".join(manifest["left_out"]) or "nothing"))
    click.echo("it holds the focal points' numbers and names: pass the passphrase on apart "
               "from the file")


@handover.command("import")
@click.argument("bundle", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--files-to", "folder", type=click.Path(file_okay=False, path_type=Path),
              help="Where to write the settings, books and history [default: handover-BASE "
                   "beside the store].")
@click.option("--force", is_flag=True,
              help="Import into a store that already holds villages, focal points, groups or "
                   "alerts (the bundle's rows are added, replacing the same ones).")
@passphrase_option
@pass_context
def handover_import(ctx: CliContext, bundle: Path, folder: Path | None, force: bool,
                    passphrase_file: Path | None) -> None:
    """Set this gateway up from a hand-over bundle: the registry goes into its store (sealed
    under its own data key) and alert numbers continue after the old base's last one. A wrong
    passphrase or a damaged file changes nothing."""
    config = ctx.config
    passphrase = _passphrase(passphrase_file, confirm=False)
    try:
        contents = open_bundle(bundle.read_bytes(), passphrase)
        with ctx.store() as store:
            done = import_bundle(store, config, contents,
                                 folder or default_folder(config, contents), force)
    except (GatewayError, OSError) as exc:
        raise click.ClickException(f"nothing imported: {exc}") from None
    audit(f"cangw handover import: base {done.base_id}'s network ({done.counts['focal_points']} "
          f"focal points) imported from {bundle}")
    click.echo(f"base {done.base_id}'s network imported: {_counted(done.counts)}")
    click.echo(f"alert numbers continue after {done.last_alert_seq}: the next alert is "
               f"{config.base.id}-{done.last_alert_seq + 1:04d}")
    if done.pseudonyms_kept:
        click.echo("focal points keep their pseudonyms (the bundle carried their secret)")
    if done.base_id != config.base.id:
        click.echo(f"note: this gateway is base {config.base.id}, the bundle's is {done.base_id}")
    click.echo(f"settings, code book, templates and history in {done.folder}: see its README.md")


def _passphrase(path: Path | None, confirm: bool) -> str:
    if path is not None:
        try:
            return read_secret(path, "hand-over passphrase")
        except GatewayError as exc:
            raise click.ClickException(str(exc)) from None
    return str(click.prompt("Passphrase", hide_input=True, confirmation_prompt=confirm))


def _counted(counts: dict[str, int]) -> str:
    return ", ".join(f"{count} {noun.replace('_', ' ')}" for noun, count in counts.items())
