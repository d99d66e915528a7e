"""The codes consent is written in: uses, media, replica types, agreements, places, content.

Pure data. The consent record, the gate and the API all validate against these lists, so an unknown code
is refused at the door instead of silently matching nothing.
"""
from __future__ import annotations

from enum import StrEnum

import pycountry


class Use(StrEnum):
    TRAINING = "training"  # build a per-performer model from reference footage
    DE_AGING = "de_aging"
    AGING_UP = "aging_up"
    REALTIME_PREVIEW = "realtime_preview"  # live on-set preview with a replica
    DIGITAL_REPLICA = "digital_replica"  # the performer in footage they did not perform
    SYNTHETIC_PERFORMER = "synthetic_performer"  # a synthetic asset built from recognisable features
    THIRD_PARTY_TRAINING = "third_party_training"  # licensing performances to others for AI training


AGE_CHANGE_USES = frozenset({Use.DE_AGING, Use.AGING_UP})
# Uses that produce new or altered pictures (as opposed to building a model).
OUTPUT_USES = frozenset(
    {Use.DE_AGING, Use.AGING_UP, Use.REALTIME_PREVIEW, Use.DIGITAL_REPLICA, Use.SYNTHETIC_PERFORMER}
)


class Medium(StrEnum):
    THEATRICAL = "theatrical"
    TELEVISION = "television"
    STREAMING = "streaming"
    HOME_VIDEO = "home_video"
    TRAILER_PROMO = "trailer_promo"
    ADVERTISING = "advertising"
    GAMES = "games"
    ON_SET_MONITOR = "on_set_monitor"  # preview only, never released


class ReplicaType(StrEnum):
    EBDR = "ebdr"  # employment-based digital replica
    ICDR = "icdr"  # independently created digital replica (e.g. a model from earlier films)
    DIGITAL_ALTERATION = "digital_alteration"  # altering footage the performer did record


class Agreement(StrEnum):
    NONE = "none"
    SAG_AFTRA_TV_THEATRICAL_2023 = "sag_aftra_tv_theatrical_2023"
    SAG_AFTRA_TV_THEATRICAL_2026 = "sag_aftra_tv_theatrical_2026"
    SAG_AFTRA_INTERACTIVE_2025 = "sag_aftra_interactive_2025"
    SAG_AFTRA_COMMERCIALS_2025 = "sag_aftra_commercials_2025"
    EQUITY_UK = "equity_uk"


class ContentTag(StrEnum):
    NUDITY = "nudity"
    SEXUAL_CONTENT = "sexual_content"
    GRAPHIC_VIOLENCE = "graphic_violence"
    POLITICAL = "political"
    PRODUCT_ENDORSEMENT = "product_endorsement"
    RELIGIOUS = "religious"
    DRUG_USE = "drug_use"


SEXUAL_TAGS = frozenset({ContentTag.NUDITY, ContentTag.SEXUAL_CONTENT})


class PosthumousTerms(StrEnum):
    CONTINUES = "continues"  # consent given in life continues after death
    LIMITED = "limited"  # consent was limited to the performer's lifetime
    ESTATE_ONLY = "estate_only"  # after death only with the estate's own consent


class Union(StrEnum):
    SAG_AFTRA = "sag_aftra"
    EQUITY_UK = "equity_uk"
    ACTRA = "actra"
    MEAA = "meaa"


WORLDWIDE = "WORLD"
EU_MEMBERS = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()
)
# GDPR reaches the EEA; the UK keeps it as UK GDPR.
GDPR_COUNTRIES = EU_MEMBERS | {"IS", "LI", "NO", "GB"}

VALUES: dict[str, frozenset[str]] = {
    "use": frozenset(Use),
    "medium": frozenset(Medium),
    "replica_type": frozenset(ReplicaType),
    "agreement": frozenset(Agreement),
    "content_tag": frozenset(ContentTag),
    "posthumous_terms": frozenset(PosthumousTerms),
    "union": frozenset(Union),
}


def is_country(code: str) -> bool:
    # Codes are case-sensitive, as ISO 3166 writes them: "us" is not a country (pycountry alone would accept it).
    return len(code) == 2 and code.isupper() and pycountry.countries.get(alpha_2=code) is not None


def is_place(code: str) -> bool:
    """A country (FR) or a first-level subdivision (US-CA), ISO 3166."""
    if is_country(code):
        return True
    return "-" in code and code == code.upper() and \
        pycountry.subdivisions.get(code=code) is not None  # type: ignore[no-untyped-call]  # pycountry is untyped


def is_territory(code: str) -> bool:
    return code == WORLDWIDE or is_country(code)


def country_of(place: str) -> str:
    return place.split("-", 1)[0]


def unknown_codes(kind: str, codes: list[str] | tuple[str, ...] | frozenset[str]) -> list[str]:
    """Codes of `kind` that are not in the vocabulary (kind: a VALUES key, 'place' or 'territory')."""
    if kind == "place":
        return [c for c in codes if not isinstance(c, str) or not is_place(c)]
    if kind == "territory":
        return [c for c in codes if not isinstance(c, str) or not is_territory(c)]
    allowed = VALUES[kind]
    return [c for c in codes if c not in allowed]
