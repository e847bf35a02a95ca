"""Where the synthetic population lives: forces, their postcode areas and their systems.

Each territorial force lists the postcode areas that really fall (wholly or partly) within
it, with a town for each and the district numbers that belong to the force where an area
is shared (``S`` is Sheffield for South Yorkshire but Chesterfield, S40-S45, for
Derbyshire).  Districts are plausible, not a gazetteer: every generated postcode has a
valid Royal Mail *format* and an area that belongs to the force, but the full postcode is
invented and need not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from leds.standard.codes import TERRITORIAL_FORCES


@dataclass(frozen=True, slots=True)
class Area:
    """A postcode area as used by one force."""

    area: str
    town: str
    districts: tuple[str, ...]
    weight: float


def _a(area: str, town: str, lo: int, hi: int, weight: float = 1.0) -> Area:
    """An area whose force holds districts ``lo``..``hi`` (LS1 .. LS29)."""
    return Area(area, town, tuple(f"{area}{n}" for n in range(lo, hi + 1)), weight)


# Sub-districts with a letter, for the central London areas.
_EC = ("EC1A", "EC1M", "EC1N", "EC1R", "EC1V", "EC1Y", "EC2A", "EC2M", "EC2N", "EC2R",
       "EC2V", "EC2Y", "EC3A", "EC3M", "EC3N", "EC3R", "EC3V", "EC4A", "EC4M", "EC4N",
       "EC4R", "EC4V", "EC4Y")
_WC = ("WC1A", "WC1B", "WC1E", "WC1H", "WC1N", "WC1R", "WC1V", "WC1X", "WC2A", "WC2B",
       "WC2E", "WC2H", "WC2N", "WC2R")

FORCE_AREAS: dict[str, tuple[Area, ...]] = {
    "ASP": (_a("BS", "Bristol", 1, 49, 5), _a("BA", "Bath", 1, 11, 2), _a("TA", "Taunton", 1, 24, 2)),
    "BED": (_a("LU", "Luton", 1, 7, 3), _a("MK", "Bedford", 40, 45, 2), _a("SG", "Biggleswade", 17, 19)),
    "CAM": (_a("CB", "Cambridge", 1, 25, 2), _a("PE", "Peterborough", 1, 29, 2)),
    "CHE": (_a("CH", "Chester", 1, 4, 2), _a("CW", "Crewe", 1, 12, 2), _a("WA", "Warrington", 1, 16, 2)),
    "COL": (Area("EC", "London", _EC, 1.0),),
    "CLE": (_a("TS", "Middlesbrough", 1, 29),),
    "CUM": (_a("CA", "Carlisle", 1, 28, 3), _a("LA", "Barrow-in-Furness", 8, 23)),
    "DER": (_a("DE", "Derby", 1, 75, 4), _a("S", "Chesterfield", 40, 45, 1), _a("SK", "Buxton", 13, 23, 1)),
    "DC": (_a("EX", "Exeter", 1, 39, 2), _a("PL", "Plymouth", 1, 35, 2), _a("TQ", "Torquay", 1, 14),
           _a("TR", "Truro", 1, 27)),
    "DOR": (_a("BH", "Bournemouth", 1, 31, 3), _a("DT", "Dorchester", 1, 11)),
    "DUR": (_a("DH", "Durham", 1, 9, 2), _a("DL", "Darlington", 1, 17, 2)),
    "DP": (_a("SA", "Carmarthen", 31, 73, 3), _a("LD", "Llandrindod Wells", 1, 8), _a("SY", "Aberystwyth", 15, 25)),
    "ESS": (_a("CM", "Chelmsford", 0, 24, 3), _a("CO", "Colchester", 1, 16, 2), _a("SS", "Southend-on-Sea", 0, 17, 3),
            _a("RM", "Grays", 14, 20)),
    "GLO": (_a("GL", "Gloucester", 1, 56),),
    "GMP": (_a("M", "Manchester", 1, 90, 6), _a("OL", "Oldham", 1, 16, 2), _a("BL", "Bolton", 0, 9, 2),
            _a("WN", "Wigan", 1, 8, 2), _a("SK", "Stockport", 1, 8, 2)),
    "GWE": (_a("NP", "Newport", 4, 26),),
    "HAM": (_a("SO", "Southampton", 14, 53, 3), _a("PO", "Portsmouth", 1, 17, 3), _a("GU", "Aldershot", 11, 14),
            _a("RG", "Basingstoke", 21, 29), _a("SP", "Andover", 10, 11)),
    "HER": (_a("AL", "St Albans", 1, 10, 2), _a("SG", "Stevenage", 1, 14, 2), _a("WD", "Watford", 3, 25, 2),
            _a("HP", "Hemel Hempstead", 1, 4), _a("EN", "Cheshunt", 6, 11)),
    "HUM": (_a("HU", "Hull", 1, 20, 3), _a("DN", "Grimsby", 14, 41, 2), _a("YO", "Bridlington", 15, 43)),
    "KEN": (_a("ME", "Maidstone", 1, 20, 3), _a("CT", "Canterbury", 1, 21, 2), _a("TN", "Tunbridge Wells", 1, 30, 2),
            _a("DA", "Dartford", 1, 13)),
    "LAN": (_a("PR", "Preston", 0, 7, 3), _a("BB", "Blackburn", 1, 18, 3), _a("FY", "Blackpool", 1, 8, 2),
            _a("LA", "Lancaster", 1, 7)),
    "LEI": (_a("LE", "Leicester", 1, 67),),
    "LIN": (_a("LN", "Lincoln", 1, 13, 3), _a("PE", "Boston", 10, 25, 2), _a("NG", "Grantham", 31, 34),
            _a("DN", "Gainsborough", 21, 21)),
    "MER": (_a("L", "Liverpool", 1, 40, 6), _a("CH", "Birkenhead", 41, 63, 2), _a("WA", "St Helens", 9, 11),
            _a("PR", "Southport", 8, 9)),
    "MPS": (_a("E", "London", 1, 18, 4), Area("EC", "London", _EC, 0.5), _a("N", "London", 1, 22, 4),
            _a("NW", "London", 1, 11, 3), _a("SE", "London", 1, 28, 5), _a("SW", "London", 1, 20, 4),
            _a("W", "London", 2, 14, 3), Area("WC", "London", _WC, 0.5), _a("BR", "Bromley", 1, 8),
            _a("CR", "Croydon", 0, 9, 2), _a("DA", "Bexleyheath", 5, 18), _a("EN", "Enfield", 1, 5),
            _a("HA", "Harrow", 0, 9, 2), _a("IG", "Ilford", 1, 11, 2), _a("KT", "Kingston upon Thames", 1, 9),
            _a("RM", "Romford", 1, 13, 2), _a("SM", "Sutton", 1, 6), _a("TW", "Twickenham", 1, 14),
            _a("UB", "Southall", 1, 11, 2)),
    "NFK": (_a("NR", "Norwich", 1, 31, 4), _a("PE", "King's Lynn", 30, 38, 2), _a("IP", "Thetford", 20, 26)),
    "NWP": (_a("LL", "Bangor", 11, 78, 3), _a("CH", "Mold", 5, 8)),
    "NYP": (_a("YO", "York", 1, 32, 3), _a("HG", "Harrogate", 1, 5, 2), _a("DL", "Northallerton", 6, 11),
            _a("BD", "Skipton", 23, 24), _a("TS", "Whitby", 9, 22)),
    "NTH": (_a("NN", "Northampton", 1, 18),),
    "NBR": (_a("NE", "Newcastle upon Tyne", 1, 71, 5), _a("SR", "Sunderland", 1, 8, 2), _a("DH", "Chester-le-Street", 2, 4)),
    "NOT": (_a("NG", "Nottingham", 1, 25, 5), _a("S", "Worksop", 80, 81), _a("DN", "Retford", 22, 22)),
    "SWP": (_a("CF", "Cardiff", 3, 83, 4), _a("SA", "Swansea", 1, 13, 3)),
    "SYP": (_a("S", "Sheffield", 1, 75, 4), _a("DN", "Doncaster", 1, 12, 2)),
    "STA": (_a("ST", "Stoke-on-Trent", 1, 21, 4), _a("WS", "Lichfield", 7, 15, 2), _a("DE", "Burton upon Trent", 13, 15)),
    "SUF": (_a("IP", "Ipswich", 1, 33, 4), _a("NR", "Lowestoft", 32, 35), _a("CO", "Sudbury", 10, 10),
            _a("CB", "Newmarket", 8, 9)),
    "SUR": (_a("GU", "Guildford", 1, 27, 3), _a("KT", "Woking", 10, 24, 2), _a("RH", "Redhill", 1, 9, 2)),
    "SUS": (_a("BN", "Brighton", 1, 45, 4), _a("RH", "Crawley", 10, 20, 2), _a("TN", "Hastings", 31, 40),
            _a("PO", "Chichester", 18, 22)),
    "TVP": (_a("OX", "Oxford", 1, 49, 3), _a("RG", "Reading", 1, 45, 3), _a("SL", "Slough", 0, 9, 2),
            _a("HP", "High Wycombe", 5, 27, 2), _a("MK", "Milton Keynes", 1, 19, 2)),
    "WAR": (_a("CV", "Warwick", 7, 47, 3), _a("B", "Nuneaton", 46, 50)),
    "WMC": (_a("WR", "Worcester", 1, 15, 2), _a("HR", "Hereford", 1, 9), _a("SY", "Shrewsbury", 1, 14, 2),
            _a("TF", "Telford", 1, 13, 2), _a("DY", "Kidderminster", 10, 14)),
    "WMP": (_a("B", "Birmingham", 1, 45, 6), _a("CV", "Coventry", 1, 6, 2), _a("WV", "Wolverhampton", 1, 14, 2),
            _a("WS", "Walsall", 1, 10), _a("DY", "Dudley", 1, 9)),
    "WYP": (_a("LS", "Leeds", 1, 29, 5), _a("BD", "Bradford", 1, 22, 4), _a("HX", "Halifax", 1, 7),
            _a("HD", "Huddersfield", 1, 9, 2), _a("WF", "Wakefield", 1, 17, 2)),
    "WIL": (_a("SN", "Swindon", 1, 26, 3), _a("SP", "Salisbury", 1, 5), _a("BA", "Trowbridge", 12, 15)),
}

# Rough resident population (millions), for where people live and offend.
FORCE_POPULATION: dict[str, float] = {
    "ASP": 1.75, "BED": 0.7, "CAM": 0.9, "CHE": 1.1, "COL": 0.03, "CLE": 0.57, "CUM": 0.5,
    "DER": 1.06, "DC": 1.8, "DOR": 0.78, "DUR": 0.66, "DP": 0.52, "ESS": 1.86, "GLO": 0.65,
    "GMP": 2.87, "GWE": 0.6, "HAM": 2.0, "HER": 1.2, "HUM": 0.94, "KEN": 1.87, "LAN": 1.53,
    "LEI": 1.1, "LIN": 0.77, "MER": 1.43, "MPS": 8.9, "NFK": 0.92, "NWP": 0.7, "NYP": 0.83,
    "NTH": 0.79, "NBR": 1.47, "NOT": 1.16, "SWP": 1.35, "SYP": 1.4, "STA": 1.14, "SUF": 0.76,
    "SUR": 1.2, "SUS": 1.72, "TVP": 2.46, "WAR": 0.6, "WMC": 1.31, "WMP": 2.93, "WYP": 2.35,
    "WIL": 0.73,
}

WELSH_FORCES = frozenset({"DP", "GWE", "NWP", "SWP"})
# Forces whose populations have large South Asian, Black or Eastern European communities.
DIVERSE_FORCES: dict[str, float] = {
    "MPS": 3.0, "COL": 2.0, "WMP": 2.5, "GMP": 1.8, "WYP": 1.8, "LEI": 2.2, "BED": 2.0,
    "TVP": 1.4, "NOT": 1.3, "LAN": 1.3, "HER": 1.2, "NTH": 1.2, "CAM": 1.1, "ESS": 1.0,
}

# The record-management system each territorial force runs.  Niche is the commonest; the
# Athena consortium and the Met's CONNECT are the other big families.
_ATHENA = frozenset({"BED", "CAM", "ESS", "HER", "KEN", "NFK", "SUF", "WAR", "WMC"})
# Forces that (in this synthetic world) still send custody from a separate system.
_CUSTODY: dict[str, str] = {
    "WMP": "NSPIS-CUSTODY", "STA": "NSPIS-CUSTODY", "SUS": "STORM-CUSTODY",
    "SUR": "STORM-CUSTODY", "DC": "NSPIS-CUSTODY", "LAN": "STORM-CUSTODY",
}

PNC_SOURCE = "PNC-NOMINAL"
INTEL_SOURCE = "INTEL-MIMS"


def rms_source(force: str) -> str:
    if force == "MPS":
        return "CONNECT"
    if force in _ATHENA:
        return "ATHENA"
    return "NICHE-RMS"


def custody_source(force: str) -> str:
    """Where a force's arrests and custody records come from."""
    return _CUSTODY.get(force, rms_source(force))


def is_territorial(force: str) -> bool:
    return force in FORCE_AREAS


def areas_of(force: str) -> tuple[str, ...]:
    """The postcode areas a territorial force polices."""
    return tuple(a.area for a in FORCE_AREAS[force])


def _check() -> None:
    missing = set(TERRITORIAL_FORCES) ^ set(FORCE_AREAS)
    if missing or set(FORCE_POPULATION) != set(FORCE_AREAS):
        raise RuntimeError(f"geography tables out of step with the force list: {sorted(missing)}")


_check()
