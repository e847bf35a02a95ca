"""Weighted name pools for the communities of England and Wales.

Each community blends a *head* of its commonest names (our own short tables, in rank
order, weighted by a Zipf law, which is close to how real name frequencies fall off) with
a *tail* taken once, at start-up, from Faker's locale data (en_GB, en_IE, pl_PL, en_IN,
yo_NG, ig_NG, tw_GH, zh_CN, ro_RO, ...).  Faker is never called per record: its word lists
are read once into pools that are sampled with cumulative weights and ``bisect``.
"""

from __future__ import annotations

import importlib
import unicodedata
from bisect import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from random import Random

from .geography import DIVERSE_FORCES, FORCE_AREAS, WELSH_FORCES


class Pool:
    """A weighted list of names, sampled in O(log n) with one random number."""

    __slots__ = ("names", "cum", "total")

    def __init__(self, weighted: Iterable[tuple[str, float]]) -> None:
        merged: dict[str, float] = {}
        for name, weight in weighted:
            if weight > 0:
                merged[name] = merged.get(name, 0.0) + weight
        if not merged:
            raise ValueError("empty name pool")
        self.names: list[str] = list(merged)
        self.cum: list[float] = list(accumulate(merged.values()))
        self.total: float = self.cum[-1]

    def pick(self, rng: Random) -> str:
        return self.names[bisect(self.cum, rng.random() * self.total)]

    def top(self, n: int) -> list[str]:
        weights = [b - a for a, b in zip([0.0, *self.cum], self.cum, strict=False)]
        ranked = sorted(range(len(self.names)), key=lambda i: (-weights[i], self.names[i]))
        return [self.names[i] for i in ranked[:n]]


def _zipf(names: Sequence[str], share: float, s: float = 1.0, offset: float = 2.0) -> list[tuple[str, float]]:
    raw = [1.0 / (rank + offset) ** s for rank in range(len(names))]
    scale = share / sum(raw) if raw else 0.0
    return [(n, w * scale) for n, w in zip(names, raw, strict=True)]


def _uniform(names: Sequence[str], share: float) -> list[tuple[str, float]]:
    return [(n, share / len(names)) for n in names] if names else []


def _latin(name: str) -> bool:
    """A clean, capitalised Latin-script name (Faker's lists have a few typos and
    non-Latin letters that a British system would not hold)."""
    if not name or not name[0].isupper() or len(name) < 2:
        return False
    for i, ch in enumerate(name):
        if ch in " -'":
            continue
        if not ch.isalpha() or "LATIN" not in unicodedata.name(ch, ""):
            return False
        if i > 0 and ch.isupper() and name[i - 1] not in " -'" and not name.startswith(("Mc", "Mac")):
            return False
    return True


def _faker(locale: str, attr: str) -> list[str]:
    try:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
    except ImportError:  # pragma: no cover - Faker is a declared dependency
        return []
    values = getattr(provider, attr, ())
    seen: dict[str, None] = {}
    for v in values:
        if isinstance(v, str) and _latin(v):
            seen.setdefault(v, None)
    return list(seen)


def _faker_weighted(locale: str, attr: str) -> list[tuple[str, float]]:
    provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
    values = getattr(provider, attr, {})
    return [(k, float(v)) for k, v in values.items() if _latin(k)] if hasattr(values, "items") else []


def _w(text: str) -> list[str]:
    return text.split()


def _lines(text: str) -> list[str]:
    return [s.strip() for s in text.strip().split(",") if s.strip()]


# --- head tables (rank order) -------------------------------------------------
_ANGLO_M = _w("""David John Paul Michael James Mark Andrew Richard Robert Christopher Daniel Thomas
Stephen Matthew Peter Steven Anthony Jack Lee Ryan Gary Craig Darren Kevin Jamie Adam Liam
Wayne Scott Dean Shaun Simon Martin Ian Neil Jason Carl Jordan Connor Kieran Lewis Luke
Joshua Nathan Callum Bradley Ashley Aaron Sam Danny Tyler Harry Charlie George William Alan
Brian Keith Colin Terry Graham Barry Stuart Philip Ben Joseph Oliver Kyle Reece Jake""")
_ANGLO_F = _w("""Sarah Emma Claire Nicola Lisa Laura Rebecca Michelle Kelly Gemma Karen Amy Louise
Samantha Stacey Jade Hayley Victoria Donna Joanne Rachel Natalie Leanne Jennifer Charlotte
Danielle Helen Susan Julie Tracey Sharon Katie Chloe Lauren Megan Jessica Shannon Paige
Courtney Emily Sophie Hannah Caroline Elizabeth Margaret Patricia Deborah Kimberley Jodie
Kirsty Zoe Amanda Dawn Angela Lucy Georgia Ellie Bethany Abigail Kayleigh Toni Vicky""")
_IRISH_M = _w("""Sean Patrick Michael John Ciaran Declan Liam Conor Niall Padraig Eoin Darragh
Kevin Brendan Eamonn Cathal Shane Dermot Fergal Ronan Colm Aidan Kieran Cormac Fintan
Seamus Diarmuid Oisin Killian Tadhg""")
_IRISH_F = _w("""Mary Siobhan Niamh Aoife Ciara Roisin Sinead Orla Mairead Bridget Clodagh Grainne
Maeve Deirdre Aisling Caoimhe Eimear Saoirse Fionnuala Nuala Majella Sheila Eileen Kathleen""")
_IRISH_S = _w("""Murphy Kelly O'Sullivan Walsh O'Brien Byrne Ryan O'Connor O'Neill O'Reilly Doyle
McCarthy Gallagher Doherty Kennedy Lynch Murray Quinn Moore McLaughlin Connolly Daly
O'Connell Dunne Brennan Burke Collins Fitzgerald Maguire Nolan Flynn O'Callaghan O'Donnell
Duffy O'Mahony Boyle Healy O'Shea Sweeney Hayes Kavanagh Power McGrath Moran Brady Casey
O'Keeffe O'Driscoll Foley McDonagh Farrell Reilly Carroll Regan Keane Devlin Donnelly
McGuinness Fahy O'Rourke Hegarty Cullen Whelan Mulligan Flanagan McNamara Costello
Murtagh Tierney Fogarty Gilmartin MacNamara""")
_SCOT_M = _w("""Callum Ross Fraser Euan Angus Hamish Alasdair Iain Craig Scott Jamie Andrew Stuart
Gordon Duncan Graeme Calum Lachlan Finlay Struan Murdo""")
_SCOT_F = _w("""Eilidh Morag Kirsty Fiona Isla Mhairi Shona Ailsa Catriona Heather Lorna Elspeth
Iona Skye Rhona Morven""")
_SCOT_S = _w("""Smith Brown Wilson Campbell Stewart Thomson Robertson Anderson MacDonald Scott Reid
Murray Taylor Clark Ross Watson Morrison Paterson Young Mitchell Walker Fraser Miller
McDonald Gray Henderson Hamilton Johnston Duncan Graham Ferguson Kerr Davidson Bell
Cameron Martin MacKenzie McKenzie Grant Allan Black MacLeod McLean Russell Gibson Wallace
Gordon Marshall Stevenson Sutherland Craig McKay Mackay Kennedy Johnstone Burns Munro
Hunter Jamieson McIntosh McGregor Crawford Docherty Milne McMillan Sinclair Watt Muir
Simpson MacLean McPherson McAllister MacIntyre McInnes McArthur McEwan MacLeish""")
_WELSH_M = _w("""Rhys Dylan Gareth Dafydd Huw Ieuan Iwan Owain Rhodri Aled Gethin Emyr Llyr Geraint
Gwyn Dewi Bryn Cai Osian Tomos Elis Morgan Evan""")
_WELSH_F = _w("""Bethan Catrin Cerys Ffion Gwen Lowri Megan Nia Rhian Sian Seren Angharad Eleri Carys
Alys Mali Non Nerys Gwenllian Elin Ceri Delyth""")
_WELSH_S = _w("""Jones Williams Davies Evans Thomas Roberts Lewis Hughes Morgan Griffiths Edwards Owen
Price Jenkins Rees Powell Lloyd James Phillips Watkins Pritchard Parry Hopkins Howells Pugh
Bowen Bevan Vaughan Rowlands Llewellyn Prosser Probert Gwilliam Harries Beynon Meredith
Prytherch Rhys Ellis Humphreys Jenkin Morris Protheroe""")
_SAM_M = _w("""Mohammed Muhammad Ali Ahmed Imran Adil Asif Amir Bilal Faisal Hamza Hassan Ibrahim
Irfan Kamran Khalid Nadeem Omar Rizwan Sajid Shahid Tariq Usman Waqas Zain Zubair Abdul
Yusuf Ismail Shakil Rafiq Jamal Abdullah Arif Haroon Junaid Naveed Wasim Zeeshan Shoaib
Aftab Sohail Tahir Saqib Suleman Rashid Mahmood Karim""")
_SAM_F = _w("""Fatima Ayesha Aisha Zainab Maryam Amina Noor Sana Saima Nadia Shabana Shazia
Rukhsana Nasreen Parveen Farzana Rubina Samina Sadia Hina Iqra Anisa Shamima Rahima Salma
Hafsa Khadija Aliya Yasmin Sumaira Tahira Uzma Naseem Razia Asma""")
_SAM_S = _w("""Khan Ali Ahmed Hussain Mahmood Iqbal Akhtar Rahman Islam Miah Uddin Hossain Mohammed
Aslam Javed Rashid Siddiqui Malik Butt Chaudhry Anwar Ashraf Bashir Hanif Karim Latif
Nawaz Qureshi Raza Riaz Sadiq Saleem Sheikh Tariq Younis Zaman Shah Akram Arshad Aziz
Begum Bibi Haq Hafeez Ismail Mirza Mughal Nazir Rafiq Rehman Sarwar Yousaf""")
_HINDU_M = _w("""Arjun Rahul Ravi Raj Sanjay Vikram Amit Rohit Sunil Deepak Anil Ajay Sandeep Aryan
Nikhil Rajesh Suresh Vijay Ashok Dinesh Hitesh Jayesh Kishan Manoj Mukesh Nilesh Pankaj
Prakash Ramesh Vinod Krishna Dev""")
_HINDU_F = _w("""Priya Sunita Anita Neha Pooja Kiran Asha Meena Rani Nisha Rekha Seema Shilpa Sonia
Usha Geeta Hema Jaya Kavita Lata Manisha Nita Radha Shanti Sita Vanita Bhavna Hetal Komal""")
_HINDU_S = _w("""Patel Sharma Kumar Mistry Shah Gupta Chauhan Parmar Solanki Desai Joshi Lad Modi Mehta
Thakkar Pandya Trivedi Vyas Rana Makwana Chavda Vaghela Jadeja Raval Bhatt Naidu Pillai
Rao Reddy Iyer Nair Mistri Kotecha Lakhani Popat Ruparelia""")
_SIKH_M = _w("""Harpreet Gurpreet Jaswinder Manjit Sukhdev Rajinder Kulwant Baljit Harjit Paramjit
Amarjit Balwinder Gurdeep Hardeep Jagdeep Kuldip Lakhbir Mandeep Navdeep Parminder
Ranjit Satnam Surinder Tejinder Gurjit Daljit Harvinder Inderjit""")
_SIKH_F = _w("""Manpreet Jaspreet Simran Rajinder Harjit Kulwinder Gurpreet Harpreet Jasbir Kamaljit
Manjit Navjot Paramjit Parminder Rupinder Sukhjit Sukhwinder Balbir Amrit Charanjit""")
_SIKH_S = _w("""Singh Kaur Gill Sandhu Sidhu Dhillon Sohal Bains Johal Grewal Sahota Atwal Bassi
Dhaliwal Kang Mann Randhawa Sangha Sekhon Virdi Bhamra Chahal Hayer Kalsi Nijjar Rai Sanghera""")
_EE_M = _w("""Piotr Krzysztof Tomasz Paweł Michał Marcin Łukasz Jakub Andrzej Mateusz Kamil Adam
Dariusz Marek Grzegorz Wojciech Rafał Damian Sebastian Bartosz Ionuț Andrei Mihai Alexandru
Gheorghe Florin Adrian Tomas Mindaugas Darius Mantas Aleksander""")
_EE_F = _w("""Anna Katarzyna Małgorzata Agnieszka Joanna Magdalena Aleksandra Monika Ewa Karolina
Natalia Justyna Paulina Marta Dorota Elena Ioana Maria Andreea Mihaela Gabriela Alina
Agne Ruta Inga""")
_EE_S = _w("""Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański
Woźniak Dąbrowski Kozłowski Jankowski Mazur Kwiatkowski Krawczyk Piotrowski Grabowski
Popescu Ionescu Popa Pop Radu Stan Dumitru Kazlauskas Jankauskas Petrauskas""")
_WA_M = _w("""Emmanuel Samuel David Daniel Michael Joseph John Oluwaseun Oluwatobi Adebayo Babatunde
Oluwafemi Chukwuemeka Chinedu Emeka Kwame Kofi Kwabena Yaw Olumide Tunde Femi Segun Ifeanyi
Obinna Nnamdi Godwin Prince Isaac Ebenezer""")
_WA_F = _w("""Blessing Grace Joy Precious Esther Comfort Patience Mercy Favour Deborah Ruth
Temitope Olufunmilayo Oluwabunmi Chiamaka Ngozi Adwoa Abena Akosua Ama Funmilayo Folasade
Adaeze Chioma Oluwadamilola Yetunde Bukola Abimbola""")
_WA_S = _w("""Adeyemi Okafor Okonkwo Adebayo Ogunleye Balogun Oyelaran Afolabi Adewale Okoro Eze
Nwosu Mensah Owusu Asante Boateng Osei Appiah Agyemang Darko Addo Acheampong Ampofo Oduya
Bello Ibrahim Ojo Akinola Ogunbiyi Olaniyan Adeleke Ajayi Bakare Nwachukwu Okeke Danso""")
_CAR_M = _w("""Tyrone Leroy Delroy Winston Errol Marcus Andre Jermaine Kemar Dwayne Shane Courtney
Devon Nathaniel Malachi Kareem Tyrese Clive Lloyd Junior Rohan Neville Everton Carlton""")
_CAR_F = _w("""Marcia Paulette Beverley Sonia Jasmine Shanice Tanisha Keisha Chantelle Simone Denise
Janice Monique Aaliyah Ebony Natasha Yvonne Claudette Hyacinth Maxine""")
_CAR_S = _w("""Campbell Brown Williams Thompson Clarke Francis Grant Lewis Reid Stewart Johnson Gordon
Henry Robinson James Edwards Samuels Morgan Thomas Richards Bailey Walker Forbes Dixon
Powell Palmer Hinds Joseph Charles Baptiste Simpson Blake Allen Bennett Daley Douglas Ellis
Facey Gayle Hylton McKenzie Miller Mitchell Nelson Phillips Scott Spencer Wright Wilson
Lawrence Anderson Bryan Johnson-Bailey Smith""")
_CHN_M = _w("""Wei Ming Jun Hao Jian Kevin Michael David Peter Tony Eric Jason Alan Raymond Kenneth""")
_CHN_F = _w("""Mei Li Ying Xiu Jing Lin Amy Jenny Helen Grace Emily Winnie Joyce Fiona""")
_CHN_S = _w("""Chan Wong Li Lee Zhang Wang Liu Chen Lam Cheung Ng Ho Yang Huang Lin Tang Wu Zhou Xu
Ma Yip Leung Tsang Kwok Lau Chow Yeung Tam Cheng Lo Fung Tse Mak Choi""")
_ARAB_M = _w("""Mohammed Ahmed Ali Omar Youssef Khaled Hassan Hussein Ibrahim Mustafa Mahmoud Abdullah
Tariq Karim Samir Nabil Walid Adel Ziad Fadi Rami Bilal Hamza Jamal Faisal Said Yasin
Amine Mehdi Rachid""")
_ARAB_F = _w("""Fatima Aisha Mariam Nour Layla Yasmin Sara Huda Rania Amira Salma Dina Hana Leila
Samira Zahra Reem Lina Nadia Farah""")
_ARAB_S = _w("""Hassan Hussein Ibrahim Mohamed Ahmed Ali Abdullah Mahmoud Mustafa Saleh Khalil Haddad
Nasser Aziz Farah Osman El-Sayed Al-Masri Rahman Yousef Salem Qasim Omar Suleiman Hamdan
Jaber Mansour Darwish Khoury Al-Hashimi Al-Rashid Benali Bouzid Mansouri Al-Amin Abbas
Al-Jabouri Hamad""")
_MIDDLE_M = _w("""James John William Thomas Michael Paul David Anthony Edward Robert Peter Lee
George Alexander Joseph Charles Andrew Richard Daniel Mark Stephen Christopher Jack Henry""")
_MIDDLE_F = _w("""Louise Marie Jane Ann Elizabeth Anne Victoria Rose Grace Jayne Lynn Michelle May
Claire Emma Kate Mary Frances Catherine Alice Elaine Dawn Jade""")

# Surnames of the Anglo head that really belong to other communities' heads: removed so
# the community and the officer-defined ethnicity stay consistent.
_NOT_ANGLO = {"Patel", "Khan", "Ali", "Begum", "Ahmed", "Hussain", "Singh", "Shah", "Chan",
              "Wong", "Kaur", "Mohammed", "Rahman", "Iqbal", "Akhtar", "Mahmood", "Islam"}


@dataclass(frozen=True, slots=True)
class Community:
    key: str
    label: str
    male: Pool
    female: Pool
    family: Pool
    # female family names that differ by form (Polish -ski/-ska) or are used by women only
    female_family: Pool | None
    ic_codes: tuple[tuple[str, float], ...]
    middle_name_rate: float
    married_name_rate: float  # share of adult women recorded with a married name
    middle: tuple[Pool, Pool] | None  # (male, female) middle names, if not the given-name pools


def _feminine_polish(name: str) -> str:
    for masc, fem in (("ski", "ska"), ("cki", "cka"), ("dzki", "dzka")):
        if name.endswith(masc):
            return name[: -len(masc)] + fem
    return name


def _build() -> dict[str, Community]:
    en_gb_m = _faker("en_GB", "first_names_male")
    en_gb_f = _faker("en_GB", "first_names_female")
    anglo_family = [(n, w) for n, w in _faker_weighted("en_GB", "last_names") if n not in _NOT_ANGLO]
    ie_m, ie_f, ie_s = _faker("en_IE", "first_names_male"), _faker("en_IE", "first_names_female"), _faker("en_IE", "last_names")
    in_m, in_f, in_s = _faker("en_IN", "first_names_male"), _faker("en_IN", "first_names_female"), _faker("en_IN", "last_names")
    pl_m, pl_f = _faker("pl_PL", "first_names_male"), _faker("pl_PL", "first_names_female")
    pl_s = _faker("pl_PL", "male_last_names")
    ro_m, ro_f, ro_s = _faker("ro_RO", "first_names_male"), _faker("ro_RO", "first_names_female"), _faker("ro_RO", "last_names")
    wa_m = _faker("yo_NG", "first_names_male") + _faker("ig_NG", "first_names_male") + _faker("tw_GH", "first_names_male")
    wa_f = _faker("yo_NG", "first_names_female") + _faker("ig_NG", "first_names_female") + _faker("tw_GH", "first_names_female")
    wa_s = _faker("yo_NG", "last_names") + _faker("ig_NG", "last_names") + _faker("tw_GH", "last_names")
    zh_given = _faker("zh_CN", "first_romanized_names")
    zh_s = _faker("zh_CN", "last_romanized_names")

    anglo_m = Pool(_zipf(_ANGLO_M, 0.6) + _zipf(en_gb_m, 0.4, offset=5))
    anglo_f = Pool(_zipf(_ANGLO_F, 0.6) + _zipf(en_gb_f, 0.4, offset=5))
    anglo_s = Pool(anglo_family)
    middle = (Pool(_zipf(_MIDDLE_M, 1.0)), Pool(_zipf(_MIDDLE_F, 1.0)))

    polish_s = _zipf(_EE_S, 0.55) + _uniform(pl_s, 0.3) + _uniform(ro_s, 0.15)
    polish_female = Pool((_feminine_polish(n), w) for n, w in polish_s)

    def c(key: str, label: str, m: Pool, f: Pool, s: Pool, ic: tuple[tuple[str, float], ...],
          middle_rate: float, married: float, female_s: Pool | None = None,
          mid: tuple[Pool, Pool] | None = None) -> Community:
        return Community(key, label, m, f, s, female_s, ic, middle_rate, married, mid)

    white = (("IC1", 0.95), ("IC2", 0.02), ("IC0", 0.03))
    return {
        "anglo": c("anglo", "Anglo", anglo_m, anglo_f, anglo_s, white, 0.55, 0.5, mid=middle),
        "irish": c("irish", "Irish",
                   Pool(_zipf(_IRISH_M, 0.6) + _uniform(ie_m, 0.4)),
                   Pool(_zipf(_IRISH_F, 0.6) + _uniform(ie_f, 0.4)),
                   Pool(_zipf(_IRISH_S, 0.7) + _uniform(ie_s, 0.3)), white, 0.5, 0.5, mid=middle),
        "scottish": c("scottish", "Scottish",
                      Pool(_zipf(_SCOT_M, 0.4) + _zipf(en_gb_m, 0.6, offset=5)),
                      Pool(_zipf(_SCOT_F, 0.4) + _zipf(en_gb_f, 0.6, offset=5)),
                      Pool(_zipf(_SCOT_S, 1.0)), white, 0.55, 0.5, mid=middle),
        "welsh": c("welsh", "Welsh",
                   Pool(_zipf(_WELSH_M, 0.35) + _zipf(en_gb_m, 0.65, offset=5)),
                   Pool(_zipf(_WELSH_F, 0.35) + _zipf(en_gb_f, 0.65, offset=5)),
                   Pool(_zipf(_WELSH_S, 0.9, s=1.2, offset=1)
                        + [(n, w * 0.1 / anglo_s.total) for n, w in anglo_family]),
                   white, 0.5, 0.5, mid=middle),
        "sa_muslim": c("sa_muslim", "South Asian (Pakistani and Bangladeshi heritage)",
                       Pool(_zipf(_SAM_M, 1.0, s=0.9)), Pool(_zipf(_SAM_F, 1.0, s=0.9)),
                       Pool(_zipf([s for s in _SAM_S if s not in ("Begum", "Bibi")], 1.0)),
                       (("IC4", 0.93), ("IC6", 0.02), ("IC0", 0.05)), 0.35, 0.3,
                       female_s=Pool(_zipf([s for s in _SAM_S if s not in ("Begum", "Bibi")], 0.75) + [("Begum", 0.18), ("Bibi", 0.07)])),
        "sa_hindu": c("sa_hindu", "South Asian (Indian heritage)",
                      Pool(_zipf(_HINDU_M, 0.7) + _uniform(in_m, 0.3)),
                      Pool(_zipf(_HINDU_F, 0.7) + _uniform(in_f, 0.3)),
                      Pool(_zipf(_HINDU_S, 0.75) + _uniform(in_s, 0.25)),
                      (("IC4", 0.94), ("IC0", 0.06)), 0.3, 0.6),
        "sikh": c("sikh", "South Asian (Sikh)", Pool(_zipf(_SIKH_M, 1.0)), Pool(_zipf(_SIKH_F, 1.0)),
                  Pool([("Singh", 0.45)] + _zipf(_SIKH_S[2:], 0.55)),
                  (("IC4", 0.94), ("IC0", 0.06)), 0.1, 0.3,
                  female_s=Pool([("Kaur", 0.5)] + _zipf(_SIKH_S[2:], 0.5))),
        "east_european": c("east_european", "Polish and Eastern European",
                           Pool(_zipf(_EE_M, 0.6) + _uniform(pl_m, 0.25) + _uniform(ro_m, 0.15)),
                           Pool(_zipf(_EE_F, 0.6) + _uniform(pl_f, 0.25) + _uniform(ro_f, 0.15)),
                           Pool(polish_s), (("IC1", 0.82), ("IC2", 0.14), ("IC0", 0.04)), 0.15, 0.6,
                           female_s=polish_female),
        "west_african": c("west_african", "West African",
                          Pool(_zipf(_WA_M, 0.65) + _uniform(wa_m, 0.35)),
                          Pool(_zipf(_WA_F, 0.65) + _uniform(wa_f, 0.35)),
                          Pool(_zipf(_WA_S, 0.65) + _uniform(wa_s, 0.35)),
                          (("IC3", 0.95), ("IC0", 0.05)), 0.45, 0.5),
        "caribbean": c("caribbean", "Black Caribbean",
                       Pool(_zipf(_CAR_M, 0.45) + _zipf(_ANGLO_M, 0.55)),
                       Pool(_zipf(_CAR_F, 0.45) + _zipf(_ANGLO_F, 0.55)),
                       Pool(_zipf(_CAR_S, 1.0, s=0.8)), (("IC3", 0.9), ("IC1", 0.04), ("IC0", 0.06)),
                       0.45, 0.45, mid=middle),
        "chinese": c("chinese", "Chinese",
                     Pool(_zipf(_CHN_M, 0.7) + _uniform(zh_given, 0.3)),
                     Pool(_zipf(_CHN_F, 0.7) + _uniform(zh_given, 0.3)),
                     Pool(_zipf(_CHN_S, 0.75) + _uniform(zh_s, 0.25)),
                     (("IC5", 0.92), ("IC4", 0.02), ("IC0", 0.06)), 0.2, 0.2),
        "arabic": c("arabic", "Arab and North African",
                    Pool(_zipf(_ARAB_M, 1.0, s=0.9)), Pool(_zipf(_ARAB_F, 1.0, s=0.9)),
                    Pool(_zipf(_ARAB_S, 1.0, s=0.8)),
                    (("IC6", 0.8), ("IC2", 0.1), ("IC4", 0.04), ("IC0", 0.06)), 0.3, 0.1),
    }


# National shares (roughly the 2021 census picture, tilted a little towards the groups
# over-represented in police contact).
NATIONAL_SHARES: dict[str, float] = {
    "anglo": 0.70, "irish": 0.035, "scottish": 0.035, "welsh": 0.03, "sa_muslim": 0.055,
    "sa_hindu": 0.022, "sikh": 0.01, "east_european": 0.04, "west_african": 0.02,
    "caribbean": 0.017, "chinese": 0.01, "arabic": 0.016,
}
_MINORITIES = ("sa_muslim", "sa_hindu", "sikh", "west_african", "caribbean", "chinese", "arabic", "east_european")


def community_weights(force: str) -> list[tuple[str, float]]:
    """The community mix for people whose home is in ``force``."""
    shares = dict(NATIONAL_SHARES)
    if force in WELSH_FORCES:
        shares["welsh"] *= 10
    factor = DIVERSE_FORCES.get(force)
    if factor:
        for key in _MINORITIES:
            shares[key] *= factor
    elif force in FORCE_AREAS:
        for key in _MINORITIES:
            shares[key] *= 0.5
    return list(shares.items())


_COMMUNITIES: dict[str, Community] | None = None


def communities() -> dict[str, Community]:
    """All community pools, built on first use and then shared (worker processes forked
    after this call inherit them)."""
    global _COMMUNITIES
    if _COMMUNITIES is None:
        _COMMUNITIES = _build()
    return _COMMUNITIES


def strip_diacritics(text: str) -> str:
    text = text.replace("ł", "l").replace("Ł", "L")
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
