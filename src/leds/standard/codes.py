"""Code lists of the national data standard, v1.

Each list is a plain mapping of code to meaning so that it can be published
(``leds standard export``), documented and used for validation from one place.
"""

from __future__ import annotations

FORCES: dict[str, str] = {
    # England and Wales territorial forces
    "ASP": "Avon and Somerset",
    "BED": "Bedfordshire",
    "CAM": "Cambridgeshire",
    "CHE": "Cheshire",
    "COL": "City of London",
    "CLE": "Cleveland",
    "CUM": "Cumbria",
    "DER": "Derbyshire",
    "DC": "Devon and Cornwall",
    "DOR": "Dorset",
    "DUR": "Durham",
    "DP": "Dyfed-Powys",
    "ESS": "Essex",
    "GLO": "Gloucestershire",
    "GMP": "Greater Manchester",
    "GWE": "Gwent",
    "HAM": "Hampshire and Isle of Wight",
    "HER": "Hertfordshire",
    "HUM": "Humberside",
    "KEN": "Kent",
    "LAN": "Lancashire",
    "LEI": "Leicestershire",
    "LIN": "Lincolnshire",
    "MER": "Merseyside",
    "MPS": "Metropolitan",
    "NFK": "Norfolk",
    "NWP": "North Wales",
    "NYP": "North Yorkshire",
    "NTH": "Northamptonshire",
    "NBR": "Northumbria",
    "NOT": "Nottinghamshire",
    "SWP": "South Wales",
    "SYP": "South Yorkshire",
    "STA": "Staffordshire",
    "SUF": "Suffolk",
    "SUR": "Surrey",
    "SUS": "Sussex",
    "TVP": "Thames Valley",
    "WAR": "Warwickshire",
    "WMC": "West Mercia",
    "WMP": "West Midlands",
    "WYP": "West Yorkshire",
    "WIL": "Wiltshire",
    # Others
    "BTP": "British Transport Police",
    "NCA": "National Crime Agency",
    "PSNI": "Police Service of Northern Ireland",
    "PSCOT": "Police Scotland",
    "MDP": "Ministry of Defence Police",
    "CNC": "Civil Nuclear Constabulary",
}

TERRITORIAL_FORCES: tuple[str, ...] = tuple(list(FORCES)[:43])

MARKERS: dict[str, str] = {
    "FI": "firearms",
    "WE": "weapons",
    "XP": "explosives",
    "VI": "violent",
    "CO": "contagious",
    "ES": "escaper",
    "AG": "alleges",
    "AT": "ailment",
    "SU": "suicidal",
    "SH": "self-harm",
    "MN": "mental health",
    "DR": "drugs",
    "IM": "male impersonator",
    "IF": "female impersonator",
}

HANDLING: dict[str, str] = {
    "OFFICIAL": "Government Security Classification: OFFICIAL",
    "OFFICIAL-SENSITIVE": "OFFICIAL with the SENSITIVE handling caveat",
    "SECRET": "Government Security Classification: SECRET",
}
# Ordered from least to most restricted; access control compares positions.
HANDLING_ORDER: tuple[str, ...] = ("OFFICIAL", "OFFICIAL-SENSITIVE", "SECRET")

SEX: dict[str, str] = {
    "M": "male",
    "F": "female",
    "X": "indeterminate / other",
    "U": "not known",
}

# Officer-defined ethnicity (the IC codes used on the PNC).
ETHNICITY_OFFICER: dict[str, str] = {
    "IC0": "not recorded / unknown",
    "IC1": "White - North European",
    "IC2": "White - South European",
    "IC3": "Black",
    "IC4": "Asian",
    "IC5": "Chinese, Japanese or other South East Asian",
    "IC6": "Arab or North African",
    "IC7": "not known (legacy)",
    "IC8": "not known",
    "IC9": "not known (other)",
}

NAME_KINDS: dict[str, str] = {
    "primary": "the name the person is principally known by",
    "alias": "a name the person has used or been known by",
    "maiden": "a family name before marriage",
    "birth": "the name registered at birth",
    "nickname": "an informal name or short form",
}

DATASETS: dict[str, str] = {
    "nominal": "national nominal index (people)",
    "custody": "custody records",
    "crime": "crime records",
    "intelligence": "intelligence reports",
    "missing": "missing-person episodes",
    "vehicle": "vehicle records",
    "anpr": "automatic number-plate recognition",
    "stop_search": "stop and search records",
    "case": "case and court files",
    "property": "property and exhibits",
}

EVENT_KINDS: dict[str, str] = {
    "arrest": "a person was arrested",
    "charge": "a person was charged",
    "caution": "a person was cautioned",
    "conviction": "a court convicted a person",
    "custody": "a custody episode",
    "crime": "a crime was recorded",
    "intelligence": "an intelligence report",
    "stop_search": "a stop and search",
    "wanted": "a person is wanted",
    "bail": "a person was bailed, with conditions",
    "missing": "a person was reported missing",
    "found": "a missing person was found",
    "warrant": "a warrant was issued",
    "summons": "a summons was issued",
    "court": "a court appearance",
    "release": "a release from custody or prison",
    "anpr_read": "a number plate was read by an ANPR camera",
    "incident": "an incident was recorded",
}

LINK_ROLES: dict[str, str] = {
    "resides_at": "person lives or lived at a location",
    "keeper": "person is the registered keeper of a vehicle",
    "driver": "person drove a vehicle",
    "user": "person uses a vehicle",
    "associate": "person is an associate of another person",
    "family": "person is family of another person",
    "subject": "person is the subject of an event",
    "suspect": "person is a suspect in an event",
    "victim": "person is a victim in an event",
    "witness": "person is a witness to an event",
    "arrested": "person was arrested in an event",
    "occurred_at": "event happened at a location",
    "involved": "vehicle or object was involved in an event",
    "same_as": "the sender asserts two records are the same entity",
}

RECORD_TYPES: dict[str, str] = {
    "person": "a person (nominal)",
    "vehicle": "a vehicle",
    "location": "a location or address",
    "event": "something that happened: arrest, custody, crime, intelligence, ...",
    "marker": "a warning marker on a subject",
    "link": "a relationship between two records",
    "missing_episode": "one episode of a person going missing, with its later states as versions",
}

MISSING_RISK: dict[str, str] = {
    "very_low": "very low risk (replaced absent and no apparent risk)",
    "low": "low risk",
    "medium": "medium risk",
    "high": "high risk",
}

MISSING_STATUS: dict[str, str] = {
    "missing": "still missing: a live episode",
    "found": "found; needs found.at",
    "closed": "closed without a find (e.g. reported in error)",
}

OPS: dict[str, str] = {
    "upsert": "create or replace the record's state",
    "delete": "withdraw the record",
}

CODE_LISTS: dict[str, dict[str, str]] = {
    "forces": FORCES,
    "markers": MARKERS,
    "handling": HANDLING,
    "sex": SEX,
    "ethnicity_officer": ETHNICITY_OFFICER,
    "name_kinds": NAME_KINDS,
    "datasets": DATASETS,
    "event_kinds": EVENT_KINDS,
    "link_roles": LINK_ROLES,
    "record_types": RECORD_TYPES,
    "ops": OPS,
    "missing_risk": MISSING_RISK,
    "missing_status": MISSING_STATUS,
}
