"""Focal points and villages: search and read (numbers masked but for admins); add, edit,
remove and import CSV (admins), through the same store functions, validation and messages as
`cangw focal` and `cangw village`."""

from __future__ import annotations

import tempfile
from pathlib import Path

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from gateway.alerts.codes import LANGUAGES
from gateway.console.pages import Page
from gateway.console.views import focal_views
from gateway.console.web import audit, console_of, page, refuse, render
from gateway.store import registry as reg

PAGE_SIZE = 50
FOCAL_FIELDS = ("phone", "callsign", "name", "village", "language", "call_meaning", "gender",
                "age_group", "checkin")
VILLAGE_FIELDS = ("number", "name", "alt_names", "lat", "lon", "zone", "checkin")


@page("registry")
async def focal_list(request: Request) -> Response:
    console = console_of(request)
    query = request.query_params
    search = query.get("q", "")[:100]
    after_id = query.get("after_id", "")
    after = (query.get("after_name", ""), int(after_id)) if after_id.isdigit() else None
    points = reg.focal_page(console.store, search, after, PAGE_SIZE)
    names = {v.number: v.name for v in reg.villages(console.store)}
    last = points[-1] if len(points) == PAGE_SIZE else None
    return render(request, "registry.html", {
        "points": focal_views(points, names, request.state.user, console.config.base.country_code),
        "search": search, "next": {"after_name": last[1].name, "after_id": last[0]} if last else None,
        "partial": bool(request.headers.get("hx-request"))})


@page("registry")
async def village_list(request: Request) -> Response:
    return render(request, "villages.html", {"villages": reg.villages(console_of(request).store)})


def _focal_form(request: Request, values: dict, focal_id: int | None, error: str | None = None,
                status: int = 200) -> Response:
    return render(request, "focal_form.html", {
        "values": values, "focal_id": focal_id, "error": error, "languages": LANGUAGES,
        "genders": reg.GENDERS, "age_groups": reg.AGE_GROUPS,
        "villages": reg.villages(console_of(request).store)}, status)


@page("registry.write")
async def focal_new(request: Request) -> Response:
    return _focal_form(request, {}, None)


@page("registry.write")
async def focal_edit(request: Request) -> Response:
    focal_id = request.path_params["id"]
    point = reg.focal_point_by_id(console_of(request).store, focal_id)
    if point is None:
        return await refuse(request, 404, "error.not_found")
    values = {"phone": point.phone or "", "callsign": point.callsign or "", "name": point.name,
              "village": str(point.village or ""), "language": point.language or "",
              "call_meaning": point.call_meaning or "", "keypad": point.keypad,
              "gender": point.gender or "", "age_group": point.age_group or "",
              "checkin": point.checkin or ""}
    return _focal_form(request, values, focal_id)


@page("registry.write")
async def focal_save(request: Request) -> Response:
    """Add (no id) or edit (an id in the path) a focal point, validated as the CLI does."""
    console = console_of(request)
    form = await request.form()
    values: dict = {k: str(form.get(k, "")).strip() for k in FOCAL_FIELDS}
    values["keypad"] = form.get("keypad") == "on"
    focal_id = request.path_params.get("id")
    try:
        profile = reg.Profile.read(values["gender"], values["age_group"], values["checkin"],
                                   console.config.triage.schedules)
        point = reg.make_focal_point(
            console.store, values["phone"], values["name"], values["village"],
            values["language"], console.config.base.country_code, values["callsign"],
            values["call_meaning"], values["keypad"], profile)
        saved = reg.save_focal_point(console.store, point, focal_id)
    except ValueError as exc:
        return _focal_form(request, values, focal_id, str(exc), 400)
    audit(request, "focal point edited" if focal_id else "focal point added", f"focal #{saved}")
    return RedirectResponse("/registry", 303)


@page("registry.write")
async def focal_remove(request: Request) -> Response:
    focal_id = request.path_params["id"]
    if not reg.remove_focal_point_by_id(console_of(request).store, focal_id):
        return await refuse(request, 404, "error.not_found")
    audit(request, "focal point removed", f"focal #{focal_id}")
    return RedirectResponse("/registry", 303)


@page("registry.write")
async def village_new(request: Request) -> Response:
    return render(request, "village_form.html", {"values": {}})


@page("registry.write")
async def village_edit(request: Request) -> Response:
    village = reg.village(console_of(request).store, request.path_params["number"])
    if village is None:
        return await refuse(request, 404, "error.not_found")
    values = {"number": str(village.number), "name": village.name,
              "alt_names": "; ".join(village.alt_names),
              "lat": "" if village.lat is None else str(village.lat),
              "lon": "" if village.lon is None else str(village.lon),
              "zone": village.zone or "", "checkin": village.checkin or ""}
    return render(request, "village_form.html", {"values": values, "editing": True})


@page("registry.write")
async def village_save(request: Request) -> Response:
    """Add or change a village (its number is its key), zone and check-in schedule included,
    validated as `cangw village import` and `cangw village set` validate them."""
    form = await request.form()
    values = {k: str(form.get(k, "")).strip() for k in VILLAGE_FIELDS}
    try:
        village = reg.make_village(values["number"], values["name"], values["alt_names"],
                                   values["lat"], values["lon"], values["zone"],
                                   values["checkin"], console_of(request).config.triage.schedules)
    except ValueError as exc:
        return render(request, "village_form.html", {"values": values, "error": str(exc)}, 400)
    reg.save_village(console_of(request).store, village)
    audit(request, "village saved", f"village {village.number}")
    return RedirectResponse("/registry/villages", 303)


@page("registry.write")
async def import_form(request: Request) -> Response:
    return render(request, "import.html", {})


@page("registry.write")
async def import_csv(request: Request) -> Response:
    """Import a CSV of focal points or villages; each rejected row is reported by line, as
    `cangw focal import` reports it."""
    console = console_of(request)
    form = await request.form()
    kind = form.get("kind")
    upload = form.get("file")
    if kind not in ("focal", "village") or not isinstance(upload, UploadFile):
        return render(request, "import.html", {"error": "import.choose"}, 400)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "import.csv"
        path.write_bytes(await upload.read())
        try:
            if kind == "focal":
                report = reg.import_focal_points(console.store, path,
                                                 console.config.base.country_code)
            else:
                report = reg.import_villages(console.store, path)
        except UnicodeDecodeError:
            return render(request, "import.html", {"error": "import.not_utf8"}, 400)
    audit(request, f"{kind} import", detail=f"{report.imported} imported, "
          f"{len(report.errors)} rejected")
    return render(request, "import.html", {
        "lines": report.lines("focal point" if kind == "focal" else "village")})


PAGE = Page("registry", "/registry", "registry", [
    Route("/registry", focal_list),
    Route("/registry/villages", village_list),
    Route("/registry/villages/new", village_new, methods=["GET"]),
    Route("/registry/villages/new", village_save, methods=["POST"]),
    Route("/registry/villages/{number:int}", village_edit, methods=["GET"]),
    Route("/registry/focal/new", focal_new, methods=["GET"]),
    Route("/registry/focal/new", focal_save, methods=["POST"]),
    Route("/registry/focal/{id:int}", focal_edit, methods=["GET"]),
    Route("/registry/focal/{id:int}", focal_save, methods=["POST"]),
    Route("/registry/focal/{id:int}/remove", focal_remove, methods=["POST"]),
    Route("/registry/import", import_form, methods=["GET"]),
    Route("/registry/import", import_csv, methods=["POST"]),
])
