"""What the gate decides on: a request and the facts about performer, production, grants and model.

Plain frozen dataclasses, so the gate stays a pure function and the same inputs can come from the database
(the platform) or from a JSON file (`manage.py gate_check`, for testing a contract before it is signed).
`parse` turns JSON-like dicts into these classes and reports every bad field by its path.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import operator
import types
import typing
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from likeness.common import vocabulary as vocab

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


@cache
def _field_names(cls: type) -> tuple[str, ...] | None:
    return tuple(f.name for f in dataclasses.fields(cls)) if dataclasses.is_dataclass(cls) else None


def _json_default(value: Any) -> Any:
    """The JSON form of the values json cannot write itself (the grant digest's encoding)."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot hash a {type(value).__name__}")


def plain(value: Any) -> Any:
    """Dataclasses to dicts and tuples to lists, fast: the gate hashes every grant it sees, and
    dataclasses.asdict (which deep-copies every value) made that cost milliseconds for 50 versions."""
    names = _field_names(value.__class__)
    if names is not None:
        return {name: plain(getattr(value, name)) for name in names}
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    return value


GRANT_STATUSES = ("draft", "awaiting_approval", "active", "superseded", "revoked", "expired")


@dataclass(frozen=True)
class PerformerFacts:
    id: str
    name: str
    date_of_birth: dt.date
    domicile: str
    date_of_death: dt.date | None = None
    union_memberships: tuple[str, ...] = ()
    guardian_name: str = ""

    def age_on(self, day: dt.date) -> int:
        years = day.year - self.date_of_birth.year
        if (day.month, day.day) < (self.date_of_birth.month, self.date_of_birth.day):
            years -= 1
        return years

    def is_deceased_on(self, day: dt.date) -> bool:
        return self.date_of_death is not None and self.date_of_death <= day


def anniversary(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` later; 29 February falls on 28 February in a common year (a period ending
    in a month without that day ends on the month's last day)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class ProductionFacts:
    id: str
    title: str
    agreement: str = vocab.Agreement.NONE
    jurisdictions: tuple[str, ...] = ()
    release_territories: tuple[str, ...] = ()
    release_media: tuple[str, ...] = ()
    labour_action: bool = False
    extra_rule_packs: tuple[str, ...] = ()


@dataclass(frozen=True)
class GrantFacts:
    id: str
    version: int
    status: str
    performer_id: str
    uses: tuple[str, ...]
    productions: tuple[str, ...]
    production_titles: tuple[str, ...] = ()
    depicted_age_min: int | None = None
    depicted_age_max: int | None = None
    media: tuple[str, ...] = ()
    territories: tuple[str, ...] = ()
    term_start: dt.date | None = None
    term_end: dt.date | None = None
    replica_types: tuple[str, ...] = ()
    use_description: str = ""
    description_given_at: dt.datetime | None = None
    represented_by_counsel: bool = False
    union_agreement_covers_replicas: bool = False
    separately_signed: bool = False
    notice_given_at: dt.datetime | None = None
    engaged_at: dt.datetime | None = None
    biometric_consent_explicit: bool = False
    compensation_terms: str = ""
    compensation_days_estimate: Decimal | None = None
    realtime_consent_separate: bool = False
    realtime_pay_multiple: Decimal | None = None
    posthumous_terms: str = vocab.PosthumousTerms.CONTINUES
    estate_consent: bool = False
    guardian_consent: bool = False
    prohibited_content: tuple[str, ...] = ()
    exclusive: bool = False
    document_sha256: str = ""
    signed_on: dt.date | None = None
    family: str = ""
    revoked_at: dt.datetime | None = None
    revocation_reason: str = ""

    @property
    def label(self) -> str:
        return f"grant v{self.version}" + (f" ({self.family[:8]})" if self.family else "")

    @cached_property
    def digest(self) -> str:
        """SHA-256 of every field, computed once per facts object (the gate hashes each grant it saw).

        The fields are encoded as one JSON list in declaration order: as canonical as sorted keys for a fixed
        class, and twice as fast, which matters when a performer has hundreds of versions."""
        values = _grant_values(self)
        return hashlib.sha256(json.dumps(values, separators=(",", ":"), ensure_ascii=False,
                                         default=_json_default).encode()).hexdigest()

    @cached_property
    def problems(self) -> tuple[tuple[str, str], ...]:
        """(field, what is wrong) for everything wrong with this grant on its own, computed once per facts
        object: the gate validates every version a performer has on each decision."""
        return tuple(_grant_problems(self).items())


_grant_values = operator.attrgetter(*(f.name for f in dataclasses.fields(GrantFacts)))


@dataclass(frozen=True)
class ModelFacts:
    """The likeness model an output use would run: it may only be used while its training grant holds."""

    id: str
    performer_id: str
    training_grant_id: str
    status: str = "ready"


@dataclass(frozen=True)
class AlterationException:
    reason: str
    reviewer: str


@dataclass(frozen=True)
class GateRequest:
    performer_id: str
    production_id: str
    use: str
    at: dt.datetime
    replica_types: tuple[str, ...] = ()
    depicted_age: int | None = None
    media: tuple[str, ...] = ()
    territories: tuple[str, ...] = ()
    content_tags: tuple[str, ...] = ()
    session_at: dt.datetime | None = None
    origin_production_id: str | None = None
    model: ModelFacts | None = None
    alteration_exception: AlterationException | None = None
    use_description: str | None = None
    # The day the performance being replicated or altered was (or will be) fixed: California § 927 and New York
    # § 5-302 reach performances fixed from 1 Jan 2025. None means the day of the request.
    performance_fixed_on: dt.date | None = None

    @property
    def day(self) -> dt.date:
        """The day of the use, in UTC whatever offset the caller wrote: every date the gate compares (terms,
        ages, deaths, windows) is decided on this one calendar (settings.TIME_ZONE is UTC too)."""
        return self.at.astimezone(dt.UTC).date()

    @property
    def fixed_on(self) -> dt.date:
        return self.performance_fixed_on or self.day


@dataclass(frozen=True)
class GateFacts:
    performer: PerformerFacts
    production: ProductionFacts
    grants: tuple[GrantFacts, ...] = ()
    extra_rule_packs: tuple[str, ...] = field(default_factory=tuple)


class FactsError(ValueError):
    """Bad gate input; `errors` maps a field path ('request.depicted_age') to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


T = TypeVar("T", bound="DataclassInstance")


def _convert(tp: Any, value: Any, path: str, errors: dict[str, str]) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _convert(args[0], value, path, errors)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            errors[path] = "must be a list"
            return ()
        (item_tp, _ellipsis) = typing.get_args(tp)
        return tuple(_convert(item_tp, v, f"{path}[{i}]", errors) for i, v in enumerate(value))
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _parse_into(tp, value, path, errors)
    try:
        if tp is bool:
            if not isinstance(value, bool):
                raise TypeError("must be true or false")
            return value
        if tp is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError("must be a whole number")
            return value
        if tp is str:
            if isinstance(value, bool) or not isinstance(value, str | int):
                raise TypeError("must be a string")
            return str(value)
        if tp is Decimal:
            if isinstance(value, bool):
                raise TypeError("must be a number")
            return Decimal(str(value))
        if tp is dt.datetime:
            parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                raise ValueError("needs a time zone, e.g. 2026-11-23T10:00:00Z")
            return parsed
        if tp is dt.date:
            return dt.date.fromisoformat(str(value))
    except (TypeError, ValueError, InvalidOperation) as exc:
        errors[path] = str(exc) if isinstance(exc, TypeError | ValueError) and str(exc) else "invalid value"
        return None
    raise TypeError(f"unsupported field type {tp!r}")


def _parse_into(cls: type[T], data: Any, path: str, errors: dict[str, str]) -> T | None:
    if not isinstance(data, dict):
        errors[path or "."] = "must be an object"
        return None
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    for extra in sorted(set(data) - known):
        errors[f"{path}.{extra}".lstrip(".")] = "unknown field"
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        fpath = f"{path}.{f.name}".lstrip(".")
        if f.name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                errors[fpath] = "this field is required"
            continue
        kwargs[f.name] = _convert(hints[f.name], data[f.name], fpath, errors)
    try:
        return cls(**kwargs)
    except TypeError:
        return None


def parse(cls: type[T], data: Any, path: str = "") -> T:
    errors: dict[str, str] = {}
    result = _parse_into(cls, data, path, errors)
    if errors or result is None:
        raise FactsError(errors or {path or ".": "invalid"})
    return result


def validate_request(request: GateRequest, path: str = "request") -> dict[str, str]:
    """Field errors for a request that cannot be decided at all (unknown codes, missing dimensions)."""
    errors: dict[str, str] = {}
    checks = {
        "use": ("use", [request.use]),
        "replica_types": ("replica_type", request.replica_types),
        "media": ("medium", request.media),
        "content_tags": ("content_tag", request.content_tags),
        "territories": ("territory", request.territories),
    }
    for name, (kind, codes) in checks.items():
        bad = vocab.unknown_codes(kind, list(codes))
        if bad:
            errors[f"{path}.{name}"] = f"unknown code(s): {', '.join(map(str, bad))}"
    if request.use in vocab.OUTPUT_USES:
        if request.depicted_age is None:
            errors[f"{path}.depicted_age"] = f"required for the use '{request.use}'"
        if not request.media:
            errors[f"{path}.media"] = f"at least one medium is required for the use '{request.use}'"
        if not request.territories:
            errors[f"{path}.territories"] = f"at least one territory is required for the use '{request.use}'"
    if request.depicted_age is not None and not 0 <= request.depicted_age <= 120:
        errors[f"{path}.depicted_age"] = "must be between 0 and 120"
    if request.at.tzinfo is None:
        errors[f"{path}.at"] = "needs a time zone"
    return errors


def _codes(errors: dict[str, str], path: str, kind: str, codes: Any) -> None:
    if kind in vocab.VALUES and vocab.VALUES[kind].issuperset(codes):
        return  # the common case, without building a list per field
    bad = vocab.unknown_codes(kind, list(codes))
    if bad:
        listed = "" if kind in ("place", "territory") else f" (known: {', '.join(sorted(vocab.VALUES[kind]))})"
        errors[path] = f"unknown code(s): {', '.join(map(str, bad))}{listed}"


def _age(errors: dict[str, str], path: str, value: int | None) -> None:
    if value is not None and not 0 <= value <= 120:
        errors[path] = "must be between 0 and 120"


def validate_facts(facts: GateFacts, path: str = "facts") -> dict[str, str]:
    """Every bad field of the facts, by path. The gate refuses to decide on facts that contradict themselves or
    use codes it does not know (an agreement in capitals, a domicile written "California"): a silent mismatch
    would drop whole rule packs. The codes are the vocabulary the models' validators check against."""
    errors: dict[str, str] = {}
    person, p = facts.performer, f"{path}.performer"
    if not vocab.is_place(person.domicile):
        errors[f"{p}.domicile"] = (f"unknown place {person.domicile!r}: an ISO 3166 country (FR) or subdivision "
                                   "(US-CA), in capitals")
    _codes(errors, f"{p}.union_memberships", "union", person.union_memberships)
    if person.date_of_death is not None and person.date_of_death < person.date_of_birth:
        errors[f"{p}.date_of_death"] = f"{person.date_of_death} is before the date of birth {person.date_of_birth}"
    production, q = facts.production, f"{path}.production"
    _codes(errors, f"{q}.agreement", "agreement", [production.agreement])
    _codes(errors, f"{q}.jurisdictions", "place", production.jurisdictions)
    _codes(errors, f"{q}.release_territories", "territory", production.release_territories)
    _codes(errors, f"{q}.release_media", "medium", production.release_media)
    for i, g in enumerate(facts.grants):
        for name, problem in g.problems:
            errors[f"{path}.grants[{i}].{name}"] = problem
        if g.signed_on is not None and g.signed_on < person.date_of_birth:
            errors[f"{path}.grants[{i}].signed_on"] = (f"{g.signed_on} is before the performer's birth "
                                                       f"({person.date_of_birth})")
    return errors


def _grant_problems(g: GrantFacts) -> dict[str, str]:
    """What is wrong with one grant on its own, by field name (the performer's dates are checked by the caller)."""
    errors: dict[str, str] = {}
    if g.status not in GRANT_STATUSES:
        errors["status"] = f"unknown status {g.status!r} (known: {', '.join(GRANT_STATUSES)})"
    _codes(errors, "uses", "use", g.uses)
    _codes(errors, "media", "medium", g.media)
    _codes(errors, "territories", "territory", g.territories)
    _codes(errors, "replica_types", "replica_type", g.replica_types)
    _codes(errors, "prohibited_content", "content_tag", g.prohibited_content)
    _codes(errors, "posthumous_terms", "posthumous_terms", [g.posthumous_terms])
    _age(errors, "depicted_age_min", g.depicted_age_min)
    _age(errors, "depicted_age_max", g.depicted_age_max)
    if g.depicted_age_min is not None and g.depicted_age_max is not None and g.depicted_age_min > g.depicted_age_max:
        errors["depicted_age_max"] = f"the depicted-age range is inverted ({g.depicted_age_min} > {g.depicted_age_max})"
    if g.term_start is not None and g.term_end is not None and g.term_end < g.term_start:
        errors["term_end"] = f"the term ends ({g.term_end}) before it starts ({g.term_start})"
    if g.status == "active" and g.revoked_at is not None:
        errors["revoked_at"] = "an active grant cannot carry a revocation date: it is revoked, or not"
    if g.status == "revoked" and g.revoked_at is None:
        errors["revoked_at"] = "a revoked grant needs the date it was revoked"
    for name in ("compensation_days_estimate", "realtime_pay_multiple"):
        value = getattr(g, name)
        if value is not None and value < 0:
            errors[name] = "must not be negative"
    if g.version < 1:
        errors["version"] = "versions start at 1"
    return errors
