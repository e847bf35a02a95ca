"""A judged test collection, generated (seeded), for ``leds documents eval``.

Investigative material is rarely published with judgements, so this builds one: about
1,100 short messages, e-mails and notes, and 54 questions, each about one kind of
conduct (18 kinds) in one place (3 places each).  A document that describes that conduct
in that place is graded 2; the same conduct elsewhere is graded 1; everything else 0.

The documents describe conduct in the words people use ("the motor was nicked off the
drive"), and a question asks in other words ("a stolen car in Armley"): only about one
phrasing in six shares the question's words, so matching words alone cannot find every
answer, while the place names (rare words) are what meaning alone tells apart worst.
Fillers mention the same places about ordinary things, and carry the entities a real
collection has (names, phones, VRMs, dates, e-mail addresses).
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

CONDUCT: dict[str, tuple[str, list[str]]] = {
    "knife": ("getting rid of a knife", [
        "dumped the blade in the canal", "chucked the weapon over the bridge", "binned the knife after it happened",
        "threw the blade into the river", "hid the weapon under the floorboards", "got rid of the knife sharpish"]),
    "car": ("a stolen car", [
        "the motor was nicked off the drive", "the hatchback was taken without consent",
        "his car got stolen overnight", "someone drove off in the van without asking",
        "the vehicle was taken from outside the house", "grabbed the keys and the Audi was gone"]),
    "cocaine": ("selling cocaine", [
        "dropping off white to customers", "shotting coke on the estate", "sorting bags of charlie for the weekend",
        "the line is busy with orders for powder", "selling cocaine from the flat", "needs to re-up on the product"]),
    "laundering": ("cleaning cash through a business", [
        "pushing the money through the car wash till", "washing the notes through the takeaway",
        "cash deposits split under the reporting limit", "invoices for work that was never done",
        "running the cash through the business accounts", "moving the money via the nail bar"]),
    "witness": ("threatening a witness", [
        "told him to keep his mouth shut or else", "warned her not to go to court",
        "said they would burn the house down if she talks", "going to lean on the witness",
        "scare him off giving evidence", "sent a message saying grasses get hurt"]),
    "burglary": ("breaking into a house", [
        "forced the back door and took the telly", "went in through the window of the semi",
        "the break-in happened while they were on holiday", "broke into the house at night",
        "jemmied the patio door", "burgled the place and took the jewellery"]),
    "gun": ("getting hold of a gun", [
        "can get a shooter by Friday", "the piece is wrapped in a carrier bag", "sourcing a firearm from down south",
        "needs bullets for the handgun", "pistol hidden in the loft", "getting a gun off his cousin"]),
    "scam": ("a phone scam on elderly people", [
        "rang pensioners pretending to be the bank", "convinced the old lady to transfer her savings",
        "courier fraud on the retired couple", "bank impersonation calls to older victims",
        "running a phone scam on elderly people", "posed as police officers to collect their cards"]),
    "lines": ("using children to carry drugs", [
        "sending the youngers out of town with the packages", "the kid is running the line to the coast",
        "groomed the schoolboy to courier", "using children to carry drugs",
        "a fifteen year old holding the burner", "teenagers moving parcels on the train"]),
    "arson": ("setting fire to a building", [
        "torched the shop", "poured petrol through the letterbox", "the warehouse went up in flames on purpose",
        "setting fire to the unit", "lit the bins against the door", "the garage was burnt out deliberately"]),
    "assault": ("beating someone up", [
        "gave him a kicking outside the pub", "punched him until he went down", "left him with a broken jaw",
        "jumped the lad by the chippy", "beating someone up over a debt", "battered him with a bat"]),
    "phones": ("selling stolen phones", [
        "got twenty iPhones off the back of a lorry", "moving hot handsets at the market",
        "knocked off mobiles going cheap", "selling stolen phones", "fenced the handsets to a repair shop",
        "dodgy handsets for cash, no questions"]),
    "passports": ("forged passports", [
        "counterfeit travel documents for the lads", "fake passports for the workers",
        "altered the photo page of the passport", "forged passports", "bogus driving licences and ID cards",
        "printing false identity papers"]),
    "smuggling": ("bringing people into the country in a lorry", [
        "migrants hidden in the trailer", "moving people across the channel", "crossing in the back of a wagon",
        "bringing people into the country", "smuggled them through the port", "charged each one for the crossing"]),
    "stalking": ("following an ex-partner", [
        "keeps turning up outside her work", "tracking his ex with a GPS tag", "sits outside her house every night",
        "following an ex-partner everywhere", "watching her every movement", "won't leave his former girlfriend alone"]),
    "cannabis": ("growing cannabis in a house", [
        "the grow in the loft needs new lights", "weed farm in the terrace", "plants under the lamps upstairs",
        "growing cannabis in a house", "bypassed the electric meter for the grow", "harvest of skunk due next week"]),
    "robbery": ("robbing a shop at knifepoint", [
        "held up the corner shop with a blade", "demanded the till money with a knife", "the post office stick-up",
        "robbing a shop at knifepoint", "took the cashier's takings at blade point", "mugged the shopkeeper"]),
    "hacking": ("hacking into e-mail accounts", [
        "got into her inbox with the password", "phished the login details", "broke into his mailbox online",
        "hacking into e-mail accounts", "took over the account", "reset her password without her knowing"]),
}
PLACES = ("Armley Beeston Holbeck Harehills Chapeltown Seacroft Bramley Headingley Hunslet Kirkstall Meanwood "
          "Moortown Pudsey Rothwell Morley Garforth Otley Yeadon Horsforth Roundhay Gipton Halton Wortley Burley "
          "Woodhouse Osmondthorpe Middleton Farsley Calverley Drighlington").split()
ASK = ("Which messages are about {c} in {p}?", "Anything on {c} around {p}?", "Find mentions of {c} near {p}",
       "Who talked about {c} in {p}?")
SAY = ("{v} in {p}", "{v} up in {p}", "over in {p}, {v}", "{v}, round {p} way", "{v} near {p}")
FILLER = ("can you pick the kids up from school", "the boiler is playing up again", "are we still on for football",
          "mum says dinner is at six", "the match was rubbish", "need to renew the insurance", "bring the charger back",
          "meeting moved to Thursday", "the rent is due on the first", "the dog needs walking", "got the job offer",
          "new sofa is arriving", "bus was late again", "the shop was shut", "pay me back when you can",
          "fancy a curry later", "cancel the dentist", "the parcel came", "happy birthday mate", "phone is cracked")
FORENAMES = ("Jordan Kyle Dean Liam Connor Tyler Jade Chloe Leanne Kayleigh Ryan Shane Darren Stacey Nathan Bradley "
             "Callum Kerry Aaron Danielle").split()
SURNAMES = "Walsh Hussain Clarke Barker Metcalfe Pickles Sutcliffe Holroyd Akhtar Kowalski Brennan Lister".split()


@dataclass(frozen=True)
class Doc:
    name: str
    text: str


@dataclass(frozen=True)
class Question:
    qid: str
    text: str
    grades: dict[str, int]  # document name -> 1 or 2


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _entities(rng: Random) -> str:
    who = f"{rng.choice(FORENAMES)} {rng.choice(SURNAMES)}"
    bits = [f"ring {who} on 07{rng.randint(100, 999)} {rng.randint(100000, 999999)}",
            f"{who}'s car is {rng.choice('ABDEFGHKLMNOPRSVWY')}{rng.choice('ABCDEFGHJKLMNPRSTUVWXY')}"
            f"{rng.randint(10, 74)} {''.join(rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ') for _ in range(3))}",
            f"on {rng.randint(1, 28)}/{rng.randint(1, 12)}/{rng.randint(2023, 2026)}",
            f"email {who.split()[0].lower()}{rng.randint(1, 99)}@example.net"]
    return ". ".join(rng.sample(bits, 2))


def generate(seed: int = 1966, fillers: int = 800, per_pair: int = 5) -> tuple[list[Doc], list[Question]]:
    rng = Random(seed)
    places = list(PLACES)
    rng.shuffle(places)
    docs: list[Doc] = []
    topic: dict[str, tuple[str, str]] = {}
    pairs: list[tuple[str, str]] = []
    for i, kind in enumerate(CONDUCT):
        for j in range(3):
            pairs.append((kind, places[(i * 3 + j) % len(places)]))
    for kind, place in pairs:
        for k in range(per_pair):
            v = rng.choice(CONDUCT[kind][1])
            body = [_cap(rng.choice(FILLER)), _cap(rng.choice(SAY).format(v=v, p=place)),
                    _cap(_entities(rng)), _cap(rng.choice(FILLER))]
            name = f"msg-{kind}-{place.lower()}-{k}.txt"
            docs.append(Doc(name, ".\n\n".join(body) + "."))
            topic[name] = (kind, place)
    for n in range(fillers):
        body = [_cap(rng.choice(FILLER)), f"See you in {rng.choice(places)}",
                _cap(_entities(rng)), _cap(rng.choice(FILLER))]
        docs.append(Doc(f"note-{n:04d}.txt", ".\n\n".join(body) + "."))
    rng.shuffle(docs)
    questions = []
    for n, (kind, place) in enumerate(pairs):
        grades = {d: (2 if p == place else 1) for d, (k, p) in topic.items() if k == kind}
        questions.append(Question(f"Q{n + 1:02d}", rng.choice(ASK).format(c=CONDUCT[kind][0], p=place), grades))
    return docs, questions
