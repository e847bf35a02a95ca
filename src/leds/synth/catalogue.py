"""Static tables for synthetic records: streets, vehicles, marks, warning markers, crime
categories and offences, stop-and-search, disposals and intelligence text.

The crime categories and stop-and-search values are those published on data.police.uk.
Their default weights were taken from the published street-level crime and
stop-and-search files (City of London 2023-24, Metropolitan August 2022), blended towards
the national picture; ``load_police_uk`` re-weights them from such files when given.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

# --- addresses --------------------------------------------------------------------
STREET_STEMS = """Church Station Victoria Mill Park High Queen King Albert Manor Chapel School
Grange Green Spring Windsor York Springfield Highfield Westfield Oak Elm Beech Ash Willow
Cedar Birch Holly Hawthorn Chestnut Meadow Orchard Brook River Bridge Castle Abbey Priory
Market North South East West New Old Cross Hill Valley Moor Common Heath Forest Farm Lime
Rose Cherry Sycamore Laurel Poplar Stanley Cromwell Nelson Wellington Gladstone Milton
Shakespeare Chaucer Byron Tennyson Kingsway Princess Prince Regent Crown Avondale Belmont
Clifton Fairfield Greenway Hillside Lakeside Riverside Woodland Woodside Ashfield Broadway
Carlton Denmark Everton Hamilton Lansdowne Marlborough Melbourne Norfolk Oxford Cambridge
Richmond Salisbury Stafford Trinity Union Vicarage Warwick Waterloo Alexandra Coronation
Jubilee Bank Canal Dale Field Garden Lodge""".split() + ["St John's", "St Mary's", "St Peter's"]
STREET_TYPES = [("Road", 30), ("Street", 25), ("Lane", 10), ("Avenue", 8), ("Close", 8), ("Drive", 6),
                ("Way", 4), ("Crescent", 4), ("Terrace", 3), ("Grove", 3), ("Court", 2), ("Place", 2),
                ("Gardens", 2), ("Walk", 1), ("Mews", 1), ("Rise", 1), ("View", 1)]
# Inward-code letters: Royal Mail never uses C I K M O V there.
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

# --- vehicles -----------------------------------------------------------------------
VEHICLES = [("Ford", "Fiesta", 40), ("Ford", "Focus", 30), ("Ford", "Transit", 15), ("Ford", "Kuga", 8),
            ("Vauxhall", "Corsa", 35), ("Vauxhall", "Astra", 25), ("Vauxhall", "Insignia", 6),
            ("Volkswagen", "Golf", 30), ("Volkswagen", "Polo", 22), ("Volkswagen", "Passat", 8),
            ("Volkswagen", "Transporter", 6), ("BMW", "1 Series", 14), ("BMW", "3 Series", 15),
            ("BMW", "5 Series", 6), ("BMW", "X5", 4), ("Mercedes-Benz", "A-Class", 12),
            ("Mercedes-Benz", "C-Class", 14), ("Mercedes-Benz", "E-Class", 6), ("Mercedes-Benz", "Sprinter", 5),
            ("Audi", "A3", 16), ("Audi", "A4", 10), ("Audi", "Q5", 5), ("Toyota", "Yaris", 12),
            ("Toyota", "Prius", 10), ("Toyota", "Corolla", 9), ("Toyota", "Aygo", 8), ("Nissan", "Qashqai", 18),
            ("Nissan", "Juke", 12), ("Nissan", "Micra", 8), ("Peugeot", "208", 12), ("Peugeot", "308", 8),
            ("Peugeot", "3008", 5), ("Renault", "Clio", 14), ("Renault", "Megane", 6), ("Citroen", "C3", 9),
            ("Kia", "Sportage", 12), ("Kia", "Picanto", 7), ("Kia", "Ceed", 6), ("Hyundai", "Tucson", 8),
            ("Hyundai", "i10", 6), ("Hyundai", "i20", 6), ("Honda", "Civic", 9), ("Honda", "Jazz", 6),
            ("Mini", "Hatch", 12), ("Land Rover", "Range Rover Sport", 5), ("Land Rover", "Discovery", 4),
            ("Land Rover", "Range Rover Evoque", 5), ("Skoda", "Octavia", 10), ("Skoda", "Fabia", 8),
            ("Seat", "Leon", 8), ("Seat", "Ibiza", 7), ("Fiat", "500", 9), ("Mazda", "CX-5", 4),
            ("Volvo", "XC60", 4), ("Tesla", "Model 3", 4), ("Suzuki", "Swift", 4), ("Dacia", "Sandero", 5),
            ("Yamaha", "YZF-R125", 2), ("Honda", "PCX125", 3)]
COLOURS = [("Black", 20), ("Silver", 16), ("Grey", 18), ("White", 17), ("Blue", 12), ("Red", 9),
           ("Green", 2), ("Orange", 1), ("Brown", 1), ("Yellow", 1), ("Purple", 1), ("Bronze", 1)]
# Letters a DVLA memory tag or the random part of a current-format VRM may use.
VRM_SECOND_LETTERS = "ABCDEFGHJKLMNOPRSTUVWXY"  # not I, Q, Z
VRM_RANDOM_LETTERS = "ABCDEFGHJKLMNOPRSTUVWXYZ"  # not I, Q
# Age identifiers from September 2001 (51) to March 2025 (25): two a year.
VRM_AGES = tuple([f"{y:02d}" for y in range(2, 26)] + [f"{y + 50:02d}" for y in range(1, 25)])
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
# DVLA memory-tag regions by force (first letter of a current-format VRM).
VRM_REGION: dict[str, str] = {
    "MPS": "L", "COL": "L", "ESS": "E", "KEN": "G", "SUS": "G", "SUR": "G", "HAM": "H", "DOR": "H",
    "TVP": "O", "BED": "K", "HER": "K", "NTH": "K", "CAM": "A", "NFK": "A", "SUF": "A", "LIN": "F",
    "LEI": "F", "NOT": "F", "DER": "F", "WMP": "B", "WAR": "B", "STA": "B", "WMC": "V", "GLO": "V",
    "ASP": "W", "WIL": "W", "DC": "W", "GMP": "M", "CHE": "M", "MER": "M", "LAN": "P", "CUM": "P",
    "WYP": "Y", "SYP": "Y", "NYP": "Y", "HUM": "Y", "NBR": "N", "DUR": "N", "CLE": "N", "SWP": "C",
    "GWE": "C", "DP": "C", "NWP": "D",
}

# --- marks, scars and tattoos ------------------------------------------------------------
BODY_PARTS = ["left forearm", "right forearm", "left upper arm", "right upper arm", "neck",
              "left hand", "right hand", "chest", "back", "left calf", "right calf", "face",
              "left cheek", "right cheek", "forehead", "left wrist", "right wrist", "knuckles",
              "left shoulder", "right shoulder", "stomach", "left leg", "right leg"]
TATTOO_MOTIFS = ["rose", "skull", "dragon", "cross", "swallow", "anchor", "lion", "tribal band",
                 "star", "heart with 'MUM'", "name 'KAYLEIGH'", "name 'TYLER'", "spider web",
                 "teardrop", "barcode", "clock", "eagle", "dagger", "football club crest",
                 "Chinese lettering", "rosary beads", "praying hands", "snake", "tiger", "date 1998",
                 "initials 'JB'", "word 'LOVE'", "word 'HATE'", "butterfly", "angel wings"]
SCARS = ["scar", "scar 3cm", "scar 5cm", "burn scar", "stab scar", "surgical scar", "slash scar"]
OTHER_MARKS = ["mole", "birthmark", "pierced", "missing tooth upper front", "gold tooth",
               "walks with a limp", "stammer"]

# --- warning markers -----------------------------------------------------------------
MARKERS = [("VI", 30.0), ("DR", 20.0), ("WE", 12.0), ("MN", 12.0), ("SH", 10.0), ("SU", 6.0),
           ("AG", 4.0), ("ES", 2.0), ("AT", 2.0), ("CO", 1.0), ("FI", 1.0), ("XP", 0.2),
           ("IM", 0.2), ("IF", 0.2)]
MARKER_DETAIL: dict[str, list[str]] = {
    "VI": ["assault on police", "violent when arrested", "assaulted custody staff", "history of domestic violence",
           "spat at officers", "headbutted officer during arrest"],
    "DR": ["known heroin user", "known crack cocaine user", "supplies class A", "conceals drugs internally",
           "cannabis cultivation"],
    "WE": ["carries knives", "found in possession of a machete", "has used a bottle as a weapon",
           "carries a screwdriver", "known to carry a blade"],
    "MN": ["diagnosed paranoid schizophrenia", "detained under s136 MHA", "bipolar disorder", "psychosis when using drugs"],
    "SH": ["history of self-harm", "cut self in custody", "ligature attempt in cell"],
    "SU": ["suicide attempt", "threatens suicide when arrested", "expressed suicidal intent"],
    "AG": ["alleges assault by officers", "makes complaints against staff"],
    "ES": ["escaped from lawful custody", "ran from officers while handcuffed"],
    "AT": ["epileptic", "diabetic - needs insulin", "asthmatic", "heart condition"],
    "CO": ["hepatitis C", "HIV positive", "tuberculosis"],
    "FI": ["access to firearms", "convicted possession of firearm", "believed to hold a sawn-off shotgun"],
    "XP": ["explosives knowledge", "found with pipe bomb components"],
    "IM": ["female presenting as male"],
    "IF": ["male presenting as female"],
}

# --- crime ---------------------------------------------------------------------------
CRIME_CATEGORIES: list[tuple[str, str, float]] = [
    ("violent-crime", "Violence and sexual offences", 33.0),
    ("anti-social-behaviour", "Anti-social behaviour", 12.0),
    ("shoplifting", "Shoplifting", 9.0),
    ("criminal-damage-arson", "Criminal damage and arson", 8.0),
    ("public-order", "Public order", 8.0),
    ("other-theft", "Other theft", 7.0),
    ("vehicle-crime", "Vehicle crime", 5.5),
    ("burglary", "Burglary", 5.0),
    ("drugs", "Drugs", 4.5),
    ("other-crime", "Other crime", 2.5),
    ("possession-of-weapons", "Possession of weapons", 1.5),
    ("robbery", "Robbery", 1.5),
    ("theft-from-the-person", "Theft from the person", 1.5),
    ("bicycle-theft", "Bicycle theft", 1.0),
]
CATEGORY_SLUGS = {label: slug for slug, label, _ in CRIME_CATEGORIES}
OFFENCES: dict[str, list[str]] = {
    "violent-crime": ["common assault", "assault by beating", "assault occasioning actual bodily harm",
                      "wounding with intent (s18)", "grievous bodily harm (s20)", "assault on an emergency worker",
                      "harassment", "controlling or coercive behaviour", "threats to kill", "sexual assault",
                      "stalking"],
    "anti-social-behaviour": ["breach of a community protection notice", "breach of a criminal behaviour order",
                              "drunk and disorderly"],
    "shoplifting": ["theft from a shop", "theft from a shop (repeat)"],
    "criminal-damage-arson": ["criminal damage to a dwelling", "criminal damage to a vehicle", "arson",
                              "racially aggravated criminal damage"],
    "public-order": ["section 4 public order", "section 4A public order", "section 5 public order",
                     "affray", "violent disorder"],
    "other-theft": ["theft", "theft by employee", "making off without payment", "handling stolen goods"],
    "vehicle-crime": ["theft of a motor vehicle", "theft from a motor vehicle", "aggravated vehicle taking",
                      "interfering with a motor vehicle", "taking without consent"],
    "burglary": ["burglary dwelling", "burglary other than a dwelling", "aggravated burglary",
                 "going equipped for burglary"],
    "drugs": ["possession of cannabis", "possession of a class A drug", "possession with intent to supply class A",
              "being concerned in the supply of class A", "production of cannabis"],
    "other-crime": ["fraud by false representation", "perverting the course of justice", "breach of bail",
                    "failing to surrender", "possession of an offensive weapon in prison"],
    "possession-of-weapons": ["possession of a bladed article", "possession of an offensive weapon",
                              "possession of a firearm", "threatening with a bladed article"],
    "robbery": ["robbery of personal property", "robbery of business property", "attempted robbery"],
    "theft-from-the-person": ["theft from the person", "snatch theft of a mobile phone"],
    "bicycle-theft": ["theft of a pedal cycle"],
}
CRIME_OUTCOMES = [("Investigation complete; no suspect identified", 30), ("Unable to prosecute suspect", 18),
                  ("Status update unavailable", 10), ("Court result unavailable", 8),
                  ("Awaiting court outcome", 8), ("Offender given a caution", 5),
                  ("Offender given a drugs possession warning", 3), ("Local resolution", 4),
                  ("Formal action is not in the public interest", 3), ("Offender sent to prison", 4),
                  ("Offender given community sentence", 4), ("Offender fined", 3)]
CUSTODY_OUTCOMES = [("charged and remanded", 10), ("charged and bailed", 18), ("released under investigation", 25),
                    ("released on pre-charge bail", 15), ("no further action", 20), ("cautioned", 7),
                    ("community resolution", 5)]
ARREST_REASONS = ["to allow the prompt and effective investigation of the offence",
                  "to prevent physical injury", "to ascertain name and address",
                  "to prevent the person disappearing", "to protect a vulnerable person"]
DISPOSALS = [("fine", 25), ("community order", 22), ("suspended sentence", 12), ("immediate custody", 14),
             ("conditional discharge", 12), ("absolute discharge", 2), ("youth rehabilitation order", 6),
             ("referral order", 5), ("compensation order", 2)]

# --- stop and search (data.police.uk values) -----------------------------------------------
SEARCH_OBJECTS = [("Controlled drugs", "Misuse of Drugs Act 1971 (section 23)", 10439.0),
                  ("Offensive weapons", "Police and Criminal Evidence Act 1984 (section 1)", 3236.0),
                  ("Stolen goods", "Police and Criminal Evidence Act 1984 (section 1)", 2427.0),
                  ("Evidence of offences under the Act", "Police and Criminal Evidence Act 1984 (section 1)", 667.0),
                  ("Firearms", "Firearms Act 1968 (section 47)", 263.0),
                  ("Anything to threaten or harm anyone", "Criminal Justice and Public Order Act 1994 (section 60)", 116.0),
                  ("Articles for use in criminal damage", "Police and Criminal Evidence Act 1984 (section 1)", 89.0),
                  ("Fireworks", "Police and Criminal Evidence Act 1984 (section 1)", 6.0)]
SEARCH_OUTCOMES = [("A no further action disposal", 12167), ("Arrest", 2564), ("Community resolution", 1731),
                   ("Penalty Notice for Disorder", 522), ("Summons / charged by post", 275),
                   ("Caution (simple or conditional)", 27)]

# --- intelligence ------------------------------------------------------------------------
DRUGS = ["cannabis", "cocaine", "crack cocaine", "heroin", "ketamine", "MDMA", "spice"]
GOODS = ["power tools", "catalytic converters", "mobile phones", "designer clothing", "bicycles",
         "cigarettes", "jewellery", "laptops", "meat and alcohol stolen from supermarkets"]
WEAPONS = ["knife", "machete", "lock knife", "zombie knife", "baseball bat", "screwdriver", "imitation firearm"]
INTEL_TEMPLATES = [
    "{name} is believed to be supplying {drug} in the {town} area, using a {vehicle}.",
    "{name} has been seen regularly at {street}, {town} with known associates. Possible cuckooing of a vulnerable resident.",
    "Information suggests {name} is storing stolen {goods} at an address in {town}.",
    "{name} is reported to carry a {weapon} when in {town} town centre.",
    "{name} is linked to a county lines phone line running between {town} and {town2}.",
    "Source reports {name} owes a drug debt of about £{amount} and has been threatened.",
    "{name} is believed to be part of a group committing {offence} offences across the force area.",
    "{name} was seen driving a {vehicle} late at night near {street}, {town}, believed to be delivering {drug}.",
    "Reported that {name} is using the name {alias} to avoid arrest.",
    "{name} has recently moved to {street}, {town} and is not registered at the address.",
    "Community intelligence: {name} is selling {drug} from a park near {street}, {town}.",
    "{name} is associating with {associate}; both believed involved in {offence}.",
]
GRADING_SOURCE = [("1", 15), ("2", 60), ("3", 25)]
GRADING_ASSESSMENT = [("A", 10), ("B", 35), ("C", 35), ("D", 15), ("E", 5)]


def load_police_uk(directory: Path) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """Crime-category, object-of-search and search-outcome frequencies from data.police.uk
    CSV files in ``directory`` (``*-street.csv`` and ``*-stop-and-search.csv``).  Empty
    mappings if none are found."""
    crimes: Counter[str] = Counter()
    objects: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    for path in sorted(directory.glob("*-street.csv")):
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                slug = CATEGORY_SLUGS.get(row.get("Crime type", ""))
                if slug:
                    crimes[slug] += 1
    known_objects = {o for o, _, _ in SEARCH_OBJECTS}
    known_outcomes = {o for o, _ in SEARCH_OUTCOMES}
    for path in sorted(directory.glob("*-stop-and-search.csv")):
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                obj = row.get("Object of search", "")
                if obj in known_objects:
                    objects[obj] += 1
                out = row.get("Outcome", "")
                if out in known_outcomes:
                    outcomes[out] += 1
    return dict(crimes), dict(objects), dict(outcomes)

# --- wanted, bail, release -----------------------------------------------------------------
# (wanted_type, what the person is wanted for, issuer, weight).  Issuer "court" is a
# magistrates' or Crown Court warrant; "force" is a circulation by the police themselves;
# "prison" is a licence recall.  "{court}" and "{offence}" are filled in per episode.
WANTED_REASONS = [
    ("warrant", "failing to appear at {court}", "court", 40.0),
    ("warrant", "breach of a community order made at {court}", "court", 10.0),
    ("warrant", "non-payment of fines imposed at {court}", "court", 6.0),
    ("warrant", "breach of a suspended sentence order made at {court}", "court", 4.0),
    ("recall", "recall to prison: breach of licence conditions", "prison", 10.0),
    ("suspect", "arrest on suspicion of {offence}", "force", 22.0),
    ("suspect", "breach of bail conditions", "force", 8.0),
]
WANTED_CANCELLED = [("arrested on warrant", 55), ("surrendered at a police station", 15),
                    ("arrested by another force", 12), ("warrant withdrawn by the court", 10),
                    ("returned to prison", 8)]
BAIL_CONDITIONS = [
    "to reside and sleep each night at the bail address",
    "not to contact the complainant directly or indirectly",
    "not to contact prosecution witnesses",
    "not to enter {town} town centre",
    "curfew 19:00 to 07:00 at the bail address, electronically monitored",
    "curfew 21:00 to 06:00 at the bail address",
    "to report to {town} police station every {weekday} between 10:00 and 12:00",
    "to surrender passport and not apply for travel documents",
    "not to enter licensed premises",
    "not to drive or be in charge of a motor vehicle",
    "not to go within 100 metres of the complainant's home address",
    "not to use any social media account",
]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

# --- missing persons ----------------------------------------------------------------------
MISSING_CHILD_CIRCUMSTANCES = [
    "Left home after an argument with a parent and did not return",
    "Did not return home from school",
    "Believed to be with an older male; concerns of child sexual exploitation",
    "Went out with friends in the evening and did not return",
    "Believed to have travelled to {town2}; concerns of county lines exploitation",
]
MISSING_IN_CARE_CIRCUMSTANCES = [
    "Failed to return to the children's home by the agreed time",
    "Left the foster placement without permission",
    "Left the care placement after being refused money; phone switched off",
    "Believed to be with an older male; concerns of child sexual exploitation",
    "Believed to have travelled to {town2}; concerns of county lines exploitation",
]
MISSING_VULNERABLE_CIRCUMSTANCES = [
    "Left home in distress after expressing suicidal thoughts",
    "Left the mental health ward without permission",
    "Did not return to supported accommodation",
    "Left home without medication",
    "Walked out of the care home; has dementia",
    "Failed to return from a walk; has dementia and is often disorientated",
]
MISSING_ADULT_CIRCUMSTANCES = [
    "Did not return home from work",
    "Left after a relationship breakdown; not answering the phone",
    "Not seen by family for several days; out of character",
    "Failed to return after a night out",
]
LAST_SEEN_CHILD = ["home address", "home address", "school", "bus station", "town centre", "shopping centre",
                   "railway station"]
LAST_SEEN_IN_CARE = ["children's home", "children's home", "foster placement", "school", "town centre",
                     "railway station"]
LAST_SEEN_ADULT = ["home address", "hospital ward", "care home", "supported accommodation", "town centre",
                   "railway station", "workplace", "public house"]
REPORTED_BY_CHILD = [("parent", 75), ("carer", 15), ("school", 10)]
REPORTED_BY_IN_CARE = [("children's home staff", 60), ("foster carer", 35), ("social worker", 5)]
REPORTED_BY_ADULT = [("family member", 40), ("partner", 25), ("hospital staff", 10), ("care home staff", 10),
                     ("support worker", 15)]
MISSING_RISK_CHILD = [("high", 10), ("medium", 55), ("low", 35)]
MISSING_RISK_ADULT = [("high", 30), ("medium", 55), ("low", 15)]
FOUND_HOW = [("returned of own accord", 45), ("found by police", 25), ("found by family", 12),
             ("located at a friend's address", 10), ("found in hospital", 4), ("found by police in {town2}", 4)]
FOUND_CONDITION = [("safe and well", 85), ("admitted to hospital", 6), ("harm suffered", 5), ("arrested", 4)]

# --- vehicles: warning markers --------------------------------------------------------------
# A marker on a vehicle (code, detail, weight): officer-safety information for anyone who
# stops it, whoever is driving.
VEHICLE_MARKERS = [
    ("DR", "vehicle used in drug supply", 25.0),
    ("DR", "used on a county lines route", 10.0),
    ("WE", "occupants known to carry knives", 18.0),
    ("VI", "driver failed to stop and drove at officers", 14.0),
    ("VI", "occupants violent towards police", 10.0),
    ("FI", "vehicle linked to a firearms discharge", 4.0),
    ("FI", "occupants believed to have access to a firearm", 4.0),
    ("ES", "driver has made off from police on foot", 8.0),
]
ANPR_DIRECTIONS = ["northbound", "southbound", "eastbound", "westbound"]
