"""Officials: list, search, register (with a duplicate warning), the official's page,
recording an evaluation and listing an entry."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from registry.errors import Conflict, ValidationFailed
from registry.models.enums import (
    ComponentResult,
    EntryReason,
    EvaluationComponent,
    EvaluationType,
    HandlingCode,
    InformationReliability,
    Outcome,
    RedressKind,
    Sex,
    SourceReliability,
)
from registry.policy import Permission
from registry.services import browse, entries, evaluations, officials, taskforces
from registry.services import redress as redress_service
from web import limiter
from web.forms import page_number, problems_of, refused, typed
from web.labels import label, options, sex_label
from web.nav import nav_entry
from web.session import actor, uow

bp = Blueprint("officials", __name__, url_prefix="/officials")
nav_entry(bp, "officials.index", _l("Officials"), Permission.OFFICIAL_READ, order=20)
nav_entry(bp, "officials.search", _l("Search"), Permission.OFFICIAL_READ, order=25)
nav_entry(
    bp, "officials.register", _l("Register an official"), Permission.OFFICIAL_REGISTER, order=30
)

IDENTITY_FIELDS = (
    "given_names",
    "paternal_surname",
    "maternal_surname",
    "birth_date",
    "sex",
    "curp",
)
EVALUATION_FIELDS = ("type", "outcome", "evaluated_on", "valid_until", "notes")
ENTRY_FIELDS = (
    "reason",
    "case_ref",
    "legal_basis",
    "effective_date",
    "narrative",
    "handling_code",
    "source_reliability",
    "information_reliability",
)


def _screen_limit() -> str:
    return str(current_app.config["SCREEN_RATE_LIMIT"])


@bp.app_context_processor
def vocabularies() -> dict[str, Any]:
    return {"label": label, "kind_label": label, "sex_label": sex_label, "options": options}


def _identity(values: dict[str, str]) -> officials.OfficialInput:
    return officials.OfficialInput(
        values["given_names"],
        values["paternal_surname"],
        values["maternal_surname"],
        values["birth_date"],
        values["sex"],
        values["curp"],
    )


@bp.get("/")
def index() -> Any:
    page = browse.list_officials(
        uow(), actor(), page=page_number(), size=current_app.config["PAGE_SIZE"]
    )
    return render_template("officials/index.html", page=page)


@bp.route("/search", methods=["GET", "POST"])
@limiter.limit(_screen_limit, methods=["POST"])
def search() -> Any:
    """Search by name or CURP; the query travels in the POST body, never in the URL."""
    values = typed(*IDENTITY_FIELDS)
    if request.method == "GET":
        return render_template("officials/search.html", values=values, errors={}, page=None)
    try:
        page = browse.search_officials(
            uow(),
            actor(),
            _identity(values),
            page=page_number(),
            size=current_app.config["PAGE_SIZE"],
        )
    except ValidationFailed as exc:
        return refused("officials/search.html", exc, values=values, page=None)
    return render_template("officials/search.html", values=values, errors={}, page=page)


@bp.route("/new", methods=["GET", "POST"])
def register() -> Any:
    values = typed(*IDENTITY_FIELDS)
    context = {"values": values, "sexes": options(Sex), "matches": []}
    if request.method == "GET":
        return render_template("officials/register.html", errors={}, **context)
    who = actor()
    try:
        if request.form.get("confirm_new") != "yes":
            matches = browse.possible_duplicates(uow(), who, _identity(values))
            if matches:
                context["matches"] = matches
                return render_template("officials/register.html", errors={}, **context), 409
        official_id = officials.register_official(uow(), who, _identity(values))
    except (ValidationFailed, Conflict) as exc:
        return refused("officials/register.html", exc, **context)
    flash(_("The official was registered."), "success")
    return redirect(url_for("officials.show", official_id=official_id))


def _may(permission: Permission) -> bool:
    from registry.policy import can

    return can(actor(), permission)


@bp.get("/<official_id>")
def show(official_id: str) -> Any:
    who = actor()
    overview = browse.official_overview(uow(), who, official_id)
    forces = browse.task_force_options(uow(), who) if _may(Permission.TASKFORCE_MANAGE) else []
    return render_template("officials/show.html", o=overview, forces=forces)


def _components() -> dict[str, str]:
    return {
        c.value: request.form.get(f"component_{c.value}", "")
        for c in EvaluationComponent
        if request.form.get(f"component_{c.value}")
    }


@bp.route("/<official_id>/evaluations/new", methods=["GET", "POST"])
def record_evaluation(official_id: str) -> Any:
    who = actor()
    values = typed(*EVALUATION_FIELDS)
    values.update({f"component_{c}": r for c, r in _components().items()})
    context = {
        "values": values,
        "types": options(EvaluationType),
        "outcomes": options(Outcome),
        "components": options(EvaluationComponent),
        "results": options(ComponentResult),
    }
    if request.method == "GET":
        context["official"] = browse.official_choices(uow(), who, official_id)
        return render_template("officials/evaluation.html", errors={}, **context)
    data = evaluations.EvaluationInput(
        official_id=official_id,
        type=values["type"],
        outcome=values["outcome"],
        evaluated_on=values["evaluated_on"],
        components=_components(),
        valid_until=values["valid_until"] or None,
        notes=values["notes"] or None,
    )
    try:
        evaluations.record_evaluation(uow(), who, data)
    except (ValidationFailed, Conflict) as exc:
        context["official"] = browse.official_choices(uow(), who, official_id)
        return refused("officials/evaluation.html", exc, **context)
    flash(_("The evaluation was recorded."), "success")
    return redirect(url_for("officials.show", official_id=official_id))


@bp.route("/<official_id>/entries/new", methods=["GET", "POST"])
def list_entry(official_id: str) -> Any:
    who = actor()
    values = typed(*ENTRY_FIELDS)
    if request.method == "GET":
        values.update(handling_code="H1", source_reliability="B", information_reliability="2")
    context = {
        "values": values,
        "reasons": options(EntryReason),
        "handling": options(HandlingCode),
        "sources": options(SourceReliability),
        "infos": options(InformationReliability),
    }
    if request.method == "GET":
        context["official"] = browse.official_choices(uow(), who, official_id)
        return render_template("officials/entry_form.html", errors={}, **context)
    data = entries.EntryInput(
        official_id=official_id,
        reason=values["reason"],
        case_ref=values["case_ref"],
        legal_basis=values["legal_basis"],
        effective_date=values["effective_date"],
        narrative=values["narrative"] or None,
        handling_code=values["handling_code"],
        source_reliability=values["source_reliability"],
        information_reliability=values["information_reliability"],
    )
    try:
        entry_id = entries.list_entry(uow(), who, data)
    except (ValidationFailed, Conflict) as exc:
        context["official"] = browse.official_choices(uow(), who, official_id)
        return refused("officials/entry_form.html", exc, **context)
    flash(_("The official was listed in the registry."), "success")
    return redirect(url_for("officials.entry", entry_id=entry_id))


@bp.post("/<official_id>/taskforces")
def join_task_force(official_id: str) -> Any:
    who = actor()
    values = typed("task_force", "role", "joined_on", "senior")
    try:
        if not values["task_force"]:
            raise problems_of("task_force", "is required")
        taskforces.add_member(
            uow(),
            who,
            values["task_force"],
            official_id,
            role=values["role"],
            senior=values["senior"] == "yes",
            joined_on=values["joined_on"] or None,
        )
    except (ValidationFailed, Conflict) as exc:
        overview = browse.official_overview(uow(), who, official_id)
        forces = browse.task_force_options(uow(), who)
        return refused("officials/show.html", exc, o=overview, forces=forces, values=values)
    flash(_("The official was added to the task force roster."), "success")
    return redirect(url_for("officials.show", official_id=official_id))


@bp.get("/entries/<entry_id>")
def entry(entry_id: str) -> Any:
    view = entries.get_entry(uow(), actor(), entry_id)
    heading = browse.official_choices(uow(), actor(), view.official_id)
    return render_template(
        "officials/entry.html",
        entry=view,
        official=heading,
        values={},
        errors={},
        kinds=options(RedressKind),
    )


@bp.post("/entries/<entry_id>/redress")
def file_redress(entry_id: str) -> Any:
    """Record an appeal or an ARCO request filed by or for the listed person."""
    who = actor()
    values = typed("kind", "grounds", "filed_on")
    try:
        redress_service.file_redress(
            uow(),
            who,
            entry_id,
            kind=values["kind"],
            grounds=values["grounds"],
            filed_on=values["filed_on"] or None,
        )
    except (ValidationFailed, Conflict) as exc:
        view = entries.get_entry(uow(), who, entry_id)
        heading = browse.official_choices(uow(), who, view.official_id)
        return refused(
            "officials/entry.html",
            exc,
            entry=view,
            official=heading,
            values=values,
            kinds=options(RedressKind),
        )
    flash(_("The request was filed."), "success")
    return redirect(url_for("officials.entry", entry_id=entry_id))


@bp.get("/redress")
def redress_list() -> Any:
    overdue = request.args.get("overdue") == "1"
    page = browse.redress_page(
        uow(),
        actor(),
        page=page_number(),
        overdue_only=overdue,
        size=current_app.config["PAGE_SIZE"],
    )
    return render_template("officials/redress_list.html", page=page, overdue=overdue)


@bp.route("/redress/<request_id>", methods=["GET", "POST"])
def redress(request_id: str) -> Any:
    """Decide an appeal or request: granted or denied, with the reasons."""
    who = actor()
    values = typed("decision", "notes", "version")
    if request.method == "POST":
        try:
            if values["decision"] not in ("granted", "denied"):
                raise problems_of("decision", "is required")
            redress_service.decide_redress(
                uow(),
                who,
                request_id,
                granted=values["decision"] == "granted",
                notes=values["notes"],
                expected_version=int(values["version"] or 0) or None,
            )
        except (ValidationFailed, Conflict) as exc:
            detail = browse.redress_detail(uow(), who, request_id)
            return refused("officials/redress.html", exc, d=detail, values=values)
        flash(_("The decision was recorded."), "success")
        return redirect(url_for("officials.redress", request_id=request_id))
    detail = browse.redress_detail(uow(), who, request_id)
    return render_template("officials/redress.html", d=detail, values=values, errors={})
