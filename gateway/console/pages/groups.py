"""Groups of focal points (chiefs, women's associations, teachers...), the targets broadcasts
name: read by every registry role, made, filled and removed by admins, through the same store
functions as `cangw group ...`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from gateway.console.pages import Page
from gateway.console.web import audit, console_of, page, refuse, render
from gateway.store import groups
from gateway.store import registry as reg


def _list(request: Request, error: str | None = None, status: int = 200) -> Response:
    return render(request, "groups.html", {"groups": groups.groups(console_of(request).store.db),
                                           "error": error}, status)


@page("registry")
async def listing(request: Request) -> Response:
    return _list(request)


@page("registry.write")
async def create(request: Request) -> Response:
    form = await request.form()
    store = console_of(request).store
    try:
        with store.transaction() as db:
            groups.create(db, str(form.get("name", "")), str(form.get("description", "")).strip())
    except ValueError as exc:
        return _list(request, str(exc), 400)
    name = str(form.get("name", "")).strip().lower()
    audit(request, "group saved", f"group {name}")
    return RedirectResponse(f"/registry/groups/{name}", 303)


def _group(request: Request) -> groups.Group | None:
    return groups.find(console_of(request).store.db, request.path_params["name"])


@page("registry")
async def show(request: Request) -> Response:
    group = _group(request)
    if group is None:
        return await refuse(request, 404, "error.not_found")
    store = console_of(request).store
    members = groups.members(store.db, group.id)
    inside = {focal_id for focal_id, _ in members}
    others = sorted(((focal_id, name) for focal_id, name in reg.focal_names(store).items()
                     if focal_id not in inside), key=lambda pair: pair[1])
    return render(request, "group.html", {"group": group, "members": members, "others": others})


@page("registry.write")
async def add_member(request: Request) -> Response:
    group = _group(request)
    focal = str((await request.form()).get("focal", ""))
    store = console_of(request).store
    if group is None or not focal.isdigit() or reg.focal_point_by_id(store, int(focal)) is None:
        return await refuse(request, 404, "error.not_found")
    with store.transaction() as db:
        groups.add_member(db, group.id, int(focal))
    audit(request, "group member added", f"group {group.name}", f"focal #{focal}")
    return RedirectResponse(f"/registry/groups/{group.name}", 303)


@page("registry.write")
async def remove_member(request: Request) -> Response:
    group = _group(request)
    if group is None:
        return await refuse(request, 404, "error.not_found")
    focal = request.path_params["id"]
    with console_of(request).store.transaction() as db:
        groups.remove_member(db, group.id, focal)
    audit(request, "group member removed", f"group {group.name}", f"focal #{focal}")
    return RedirectResponse(f"/registry/groups/{group.name}", 303)


@page("registry.write")
async def remove(request: Request) -> Response:
    """Remove a group (its members stay in the registry)."""
    group = _group(request)
    if group is None:
        return await refuse(request, 404, "error.not_found")
    with console_of(request).store.transaction() as db:
        groups.remove(db, group.name)
    audit(request, "group removed", f"group {group.name}")
    return RedirectResponse("/registry/groups", 303)


PAGE = Page("groups", None, "registry", [
    Route("/registry/groups", listing, methods=["GET"]),
    Route("/registry/groups", create, methods=["POST"]),
    Route("/registry/groups/{name}", show, methods=["GET"]),
    Route("/registry/groups/{name}/members", add_member, methods=["POST"]),
    Route("/registry/groups/{name}/members/{id:int}/remove", remove_member, methods=["POST"]),
    Route("/registry/groups/{name}/remove", remove, methods=["POST"]),
])
