"""A deterministic, seeded synthetic corpus for scale benchmarks (`make bench-scale`) only.

Invented forces, districts, people and figures, written like the sample corpus: markdown with YAML front
matter; press releases with key-figure lists, three-year tables and quotes; PCC statements; MAPPA annual
reports with tables; guidance pages and FAQs; news of operations. Document `i` depends only on (seed, i), so
the corpus for 2,000 chunks is a prefix of the one for 20,000, which is a prefix of the one for 100,000.
Figures are drawn per (force, year), so every document about one force and year agrees with the others.

    python tests/synthetic.py OUT_DIR --chunks 2000     # writes the files, prints documents and chunks
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from dataclasses import dataclass
from pathlib import Path

SEED = 20250101
YEARS = tuple(range(2005, 2025))  # the year whose 31 March count a release announces

_PRE = ("Ash", "Brack", "Cold", "Dun", "Els", "Fern", "Glen", "Hart", "Ivel", "Kes", "Lang", "Marl", "Nor", "Oak",
        "Pen", "Rid", "Sel", "Thorn", "Wen", "Yar", "Bram", "Cress", "Dray", "Farl", "Gil", "Holm", "Lyn", "Mor",
        "Quen", "Stan")
_SUF = ("moor", "dale", "shire", "wick", "field", "garth", "mere", "stead", "vale", "combe")
_TOWN_PRE = ("Alder", "Birch", "Clay", "Dove", "East", "Fox", "Grey", "Hazel", "Kings", "Lower", "Mill", "New",
             "Old", "Pike", "Red", "Salt", "Tall", "Upper", "West", "Wood", "Crane", "Heron", "Otter", "Rook")
_TOWN_SUF = ("bridge", "ton", "port", "ley", "bury", "ham", "worth", "by", "well", "gate", "thorpe", "hythe")
_FIRST = ("Imogen", "Declan", "Priya", "Tomasz", "Aled", "Bronwen", "Callum", "Farah", "Gideon", "Hester",
          "Ifeoma", "Jolyon", "Keturah", "Lorcan", "Marisol", "Niamh", "Oswin", "Perpetua", "Rufus", "Saoirse",
          "Tobias", "Ursula", "Wilfred", "Yusra")
_LAST = ("Larkworthy", "Ormsby", "Quillfeather", "Brannock", "Sedgewick", "Tallis", "Pimberton", "Cawdrey",
         "Hollins", "Mayhew", "Fairclough", "Renshaw", "Dunmore", "Ashcombe", "Wetherall", "Crabtree",
         "Nettleship", "Blakemore", "Oakshott", "Pendry")
_RANKS = ("Detective Superintendent", "Detective Chief Inspector", "Chief Superintendent",
          "Assistant Chief Constable", "Detective Inspector", "Superintendent")
_OPS = ("Brackenhold", "Kingfisher", "Lantern", "Meadowsweet", "Nightjar", "Quarry", "Sentinel", "Tidemark",
        "Waymark", "Harebell", "Ironstone", "Larkspur", "Moorhen", "Redstart", "Shingle", "Wayfarer")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
# Document kinds in the order they recur: a release for most force-years, the rest less often.
_KINDS = ("press", "press", "statement", "press", "mappa", "news", "press", "guidance", "press", "faq",
          "statement", "news")


def forces() -> list[str]:
    return [p + s for s in _SUF for p in _PRE]  # 300 forces


def fmt(n: int) -> str:
    return f"{n:,}"


@dataclass(frozen=True)
class Figures:
    """Everything published about one force for one year, drawn from (seed, force, year) alone."""

    force: str
    year: int
    register: int
    previous: int
    compliance: float
    previous_compliance: float
    charged: int
    previous_charged: int
    unknown: int
    applications: int
    disclosures: int
    travel: int
    very_high: int
    high: int
    medium: int
    level2: int
    level3: int
    visits: int
    arrests: int

    @property
    def low(self) -> int:
        return self.register - self.very_high - self.high - self.medium


def _size(seed: int, force: str) -> int:
    return random.Random(f"{seed}:{force}:size").randint(300, 3200)


def figures(seed: int, force: str, year: int) -> Figures:
    base = _size(seed, force)
    grow = random.Random(f"{seed}:{force}:grow").uniform(0.01, 0.045)

    def count(y: int) -> int:
        wobble = random.Random(f"{seed}:{force}:{y}:wobble").randint(-15, 15)
        return int(base * (1 + grow) ** (y - YEARS[0])) + wobble

    rng = random.Random(f"{seed}:{force}:{year}")
    register = count(year)
    very_high = rng.randint(1, 4 + register // 400)
    high = rng.randint(register // 20, register // 12)
    medium = rng.randint(register // 5, register // 3)
    return Figures(
        force=force, year=year, register=register, previous=count(year - 1),
        compliance=round(rng.uniform(94.0, 98.9), 1), previous_compliance=round(rng.uniform(93.5, 98.9), 1),
        charged=rng.randint(register // 60, register // 25),
        previous_charged=rng.randint(register // 60, register // 25),
        unknown=rng.randint(0, 9), applications=rng.randint(register // 12, register // 5),
        disclosures=rng.randint(register // 90, register // 40), travel=rng.randint(register // 6, register // 3),
        very_high=very_high, high=high, medium=medium, level2=rng.randint(register // 40, register // 18),
        level3=rng.randint(2, 4 + register // 300), visits=rng.randint(register // 8, register // 4),
        arrests=rng.randint(2, 25),
    )


@dataclass(frozen=True)
class SyntheticDoc:
    name: str  # file name, the citation source
    text: str  # the whole file, front matter included
    force: str
    year: int
    kind: str


def _person(rng: random.Random) -> tuple[str, str]:
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}", rng.choice(_RANKS)


def _districts(rng: random.Random, n: int) -> list[str]:
    return rng.sample([p + s for p in _TOWN_PRE for s in _TOWN_SUF], n)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


def _front(title: str, publisher: str, published: dt.date, url: str, doc_type: str) -> str:
    return (f'---\ntitle: "{title}"\npublisher: "{publisher}"\npublished: {published.isoformat()}\nurl: {url}\n'
            f'doc_type: {doc_type}\nsample_data: true\n'
            f'note: "Synthetic benchmark data: invented force, people and figures."\n---\n\n# {title}\n\n')


def _long(day: dt.date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


# Background paragraphs, as releases and guidance carry them ("Notes to editors", "Why the rules exist"). They
# give the corpus the prose share of real documents: without them its chunks averaged 50 word pieces against
# 63-72 in corpus/, ../shared/eval and tests/holdout, which made the encoder look cheaper beside storage than it
# is on real text.
_BACKGROUND = (
    "The sex offender register is not a public list. It is the name commonly given to the notification "
    "requirements in Part 2 of the Sexual Offences Act 2003, under which people convicted or cautioned for "
    "certain sexual offences must give their details to the police in {force} and keep them up to date.",
    "How long someone stays subject to notification requirements depends on the sentence they received. It "
    "can be a fixed period of two to ten years, or an indefinite period, which a person may ask to have reviewed "
    "after fifteen years in the community. A review is decided by the police, not by the courts.",
    "Figures in this release are counts on a single day, 31 March, as recorded on the national database used "
    "by every force. They include people in the community only: people in prison or detained in hospital are "
    "counted separately and are not part of the totals given for {force}.",
    "Offender managers in {force} visit people on the register at home, often without warning, and the number "
    "of visits depends on the assessed risk. Visits are one part of the work; checks on addresses, bank cards, "
    "travel and online activity are made alongside them.",
    "Multi-agency public protection arrangements bring police, probation and prison services in {force} "
    "together with councils, health services and housing providers. Each agency keeps its own duties, and "
    "they share information so that a plan to manage risk does not depend on any one of them.",
    "The annual figures are published by every force in England and Wales at the same time each year, so "
    "that areas can be compared. Small numbers are not given below district level, and some are rounded, so "
    "that no individual can be identified from what is published.",
)


def _background(rng: random.Random, force: str, heading: str = "Notes to editors") -> str:
    picked = rng.sample(_BACKGROUND, 4)
    return f"\n## {heading}\n\n" + "\n\n".join(p.format(force=force) for p in picked) + "\n"


def _press(f: Figures, rng: random.Random, seed: int) -> tuple[str, str]:
    day = dt.date(f.year, 7, rng.randint(14, 31))
    older = figures(seed, f.force, f.year - 2).register
    who, rank = _person(rng)
    towns = _districts(rng, 4)
    per_town = sorted((rng.randint(f.register // 12, f.register // 5) for _ in towns), reverse=True)
    title = f"Sex offender register: {f.force} figures for {f.year - 1}/{str(f.year)[2:]} published"
    diff = f.register - f.previous
    trend = f"{abs(diff)} {'more' if diff >= 0 else 'fewer'} than a year before"
    text = _front(title, f"{f.force} Police", day,
                  f"https://www.example-{_slug(f.force)}-police.uk/news/{day:%Y/%m/%d}/register-figures",
                  "press_release")
    text += (f"**{day:%A} {_long(day)} – for immediate release**\n\n"
             f"{f.force} Police has published its annual figures on people subject to sex offender notification "
             f"requirements. At 31 March {f.year}, {fmt(f.register)} registered sex offenders were living in the "
             f"{f.force} force area, {trend}.\n\n"
             f"## Key figures for {f.year - 1}/{str(f.year)[2:]}\n\n"
             f"- {fmt(f.register)} registered sex offenders at 31 March {f.year} ({fmt(f.previous)} at 31 March "
             f"{f.year - 1})\n"
             f"- {f.compliance}% were meeting all of their notification requirements when the year ended "
             f"({f.previous_compliance}% a year earlier)\n"
             f"- {f.charged} people were charged with notification offences during {f.year - 1}/{str(f.year)[2:]} "
             f"({f.previous_charged} the year before)\n"
             f"- {f.unknown} people had whereabouts unknown at 31 March {f.year}\n"
             f"- Sarah's Law (the Child Sex Offender Disclosure Scheme) received {fmt(f.applications)} applications "
             f"in {f.force}, and {f.disclosures} disclosures were made\n"
             f"- {fmt(f.travel)} foreign travel notifications were received from people on the register\n\n"
             f"## Three-year picture\n\n| Count date | Registered sex offenders |\n|---|---|\n"
             f"| 31 March {f.year - 2} | {fmt(older)} |\n| 31 March {f.year - 1} | {fmt(f.previous)} |\n"
             f"| 31 March {f.year} | {fmt(f.register)} |\n\n"
             f"## By district\n\n| District | Registered sex offenders at 31 March {f.year} |\n|---|---|\n")
    text += "".join(f"| {t} | {fmt(n)} |\n" for t, n in zip(towns, per_town, strict=True))
    text += (f"\nDistrict figures are rounded to protect individuals and will not add up to the force total.\n\n"
             f"## Risk levels\n\nAt 31 March {f.year}, people on the register in {f.force} were assessed as:\n\n"
             f"- very high risk: {f.very_high}\n- high risk: {f.high}\n- medium risk: {fmt(f.medium)}\n"
             f"- low risk: {fmt(f.low)}\n\n"
             f"A person's risk level is different from their MAPPA level. The risk level is an assessment of the harm "
             f"someone could cause; the MAPPA level describes how much joint work between agencies is needed.\n\n"
             f"## What the force says\n\n{rank} {who}, Head of Public Protection, said:\n\n"
             f"\"{rng.choice(_QUOTES).format(force=f.force, n=f.charged, u=f.unknown)}\n\n"
             f"\"{rng.choice(_QUOTES2).format(force=f.force)}\"\n\n"
             f"## Where to get help\n\nIf you are worried about someone who spends time with a child, you can make a "
             f"Sarah's Law application online, by phoning 101 or at a police station in {f.force}. Anyone who "
             f"believes a child is at immediate risk should dial 999.\n")
    text += _background(rng, f.force)
    return f"{_slug(f.force)}-press-{day.isoformat()}-register-figures.md", text


_QUOTES = (
    "Every one of the {n} charges this year started with an officer noticing that something did not add up.",
    "The rise in the total is what we expect when many people are on the register for life in {force}.",
    "{u} people with whereabouts unknown is {u} too many, and each has a team of officers looking for them.",
    "Most people on the register in {force} keep to their requirements; we act quickly when someone does not.",
)
_QUOTES2 = (
    "What matters to the public is whether the people on the register are being watched closely. They are.",
    "We would rather check a hundred addresses that are right than miss one that is wrong.",
    "Our officers work with probation, councils and health services every day to manage risk in {force}.",
    "If you are worried about a child, talk to us. Sarah's Law exists so that parents can ask.",
)


def _statement(f: Figures, rng: random.Random, seed: int) -> tuple[str, str]:
    day = dt.date(f.year, 7, rng.randint(20, 31))
    who = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    title = f"Commissioner responds to {f.year - 1}/{str(f.year)[2:]} sex offender register figures in {f.force}"
    text = _front(title, f"Office of the Police and Crime Commissioner for {f.force}", day,
                  f"https://www.example-{_slug(f.force)}-pcc.gov.uk/news/{day:%Y-%m-%d}-register-statement",
                  "statement")
    text += (f"The Police and Crime Commissioner for {f.force}, {who}, has responded to the force's annual sex "
             f"offender register figures.\n\n"
             f"The force reported {fmt(f.register)} registered sex offenders living in {f.force} at 31 March "
             f"{f.year}, compared with {fmt(f.previous)} a year earlier. {f.charged} people were charged with "
             f"failing to meet their notification requirements.\n\n"
             f"The Commissioner said:\n\n\"I will keep asking the Chief Constable how officers manage the people on "
             f"the register, because the public in {f.force} are entitled to know that it is done well.\n\n"
             f"\"I have asked for a report on the {f.unknown} people whose whereabouts were unknown at the count "
             f"date, and I will publish what I am told.\"\n\n"
             f"## What the Commissioner will do\n\n"
             f"1. Hold a public scrutiny meeting on public protection before the end of {f.year}\n"
             f"2. Fund {rng.randint(2, 9)} more offender managers from the {f.year + 1}/{str(f.year + 1)[2:]} "
             f"budget\n"
             f"3. Publish the force's Sarah's Law figures every quarter\n")
    text += _background(rng, f.force)
    return f"{_slug(f.force)}-pcc-statement-{day.isoformat()}.md", text


def _mappa(f: Figures, rng: random.Random, seed: int) -> tuple[str, str]:
    day = dt.date(f.year, 10, rng.randint(1, 31))
    prev = figures(seed, f.force, f.year - 1)
    chair, rank = _person(rng)
    cat2, cat3 = rng.randint(f.register // 4, f.register // 2), rng.randint(5, 40)
    title = f"{f.force} MAPPA annual report {f.year - 1}/{str(f.year)[2:]}"
    text = _front(title, f"{f.force} MAPPA Strategic Management Board", day,
                  f"https://www.example-{_slug(f.force)}-gov.uk/mappa/annual-report-{f.year - 1}-{str(f.year)[2:]}",
                  "statistics")
    text += (f"## Foreword from the Chair\n\n{rank} {chair}, Chair of the {f.force} MAPPA Strategic Management "
             f"Board, said:\n\n\"MAPPA works best when nobody notices it. No arrangement can remove risk entirely, "
             f"but this one keeps it in view.\"\n\n"
             f"## About MAPPA\n\nMAPPA, the Multi-Agency Public Protection Arrangements, is the statutory framework "
             f"under which police, probation and prison services in {f.force} manage people in the community who have "
             f"committed sexual or violent offences.\n\n"
             f"- **Level 1**: managed by the lead agency through its normal work.\n"
             f"- **Level 2**: the case needs active involvement of more than one agency.\n"
             f"- **Level 3**: the highest-risk or most complex cases.\n\n"
             f"## Table 1: MAPPA-eligible offenders living in {f.force} at 31 March\n\n"
             f"| Category | 31 March {f.year - 1} | 31 March {f.year} |\n|---|---|---|\n"
             f"| Category 1: registered sexual offenders | {fmt(prev.register)} | {fmt(f.register)} |\n"
             f"| Category 2: violent and other sexual offenders | {fmt(cat2 - rng.randint(-30, 30))} | {fmt(cat2)} |\n"
             f"| Category 3: other dangerous offenders | {cat3 + rng.randint(-5, 5)} | {cat3} |\n\n"
             f"## Table 2: people managed at level 2 or 3\n\n"
             f"| Level | 31 March {f.year - 1} | 31 March {f.year} |\n|---|---|---|\n"
             f"| Level 2 | {prev.level2} | {f.level2} |\n| Level 3 | {prev.level3} | {f.level3} |\n\n"
             f"Across all categories, {f.level2 + f.level3} people were managed at level 2 or 3 at 31 March {f.year} "
             f"(level 2: {f.level2}; level 3: {f.level3}).\n\n"
             f"## Serious further offences\n\n{rng.randint(0, 4)} people managed under MAPPA in {f.force} were "
             f"charged with a serious further offence during {f.year - 1}/{str(f.year)[2:]}. Each case is reviewed "
             f"independently and lessons are shared with every agency.\n")
    text += _background(rng, f.force, "About these figures")
    return f"{_slug(f.force)}-mappa-annual-report-{f.year - 1}-{str(f.year)[2:]}.md", text


def _news(f: Figures, rng: random.Random, seed: int) -> tuple[str, str]:
    op = rng.choice(_OPS)
    month = rng.randint(1, 3)
    day = dt.date(f.year, month + 1, rng.randint(1, 28))
    who, rank = _person(rng)
    towns = _districts(rng, 3)
    title = f"Operation {op}: {f.visits} unannounced visits to registered sex offenders in {f.force}"
    text = _front(title, f"{f.force} Police", day,
                  f"https://www.example-{_slug(f.force)}-police.uk/news/{day:%Y/%m/%d}/operation-{op.lower()}",
                  "news")
    text += (f"Officers from {f.force} Police carried out {f.visits} unannounced home visits to registered sex "
             f"offenders during Operation {op}, which ran for {rng.randint(2, 5)} weeks in {MONTHS[month - 1]} "
             f"{f.year}.\n\nThe visits led to {f.arrests} arrests, most of them for failing to notify a change of "
             f"address or a new bank account.\n\n"
             f"## Where the visits took place\n\n")
    text += "".join(f"- {t}: {rng.randint(10, max(11, f.visits // 2))} visits\n" for t in towns)
    text += (f"\n{rank} {who} said:\n\n\"Unannounced visits tell us what a form never will: who is really "
             f"living at an address. Operation {op} showed that most people in {f.force} are keeping to the rules, "
             f"and that we find out quickly when someone is not.\"\n\n"
             f"Anyone with concerns about a child's safety should call 101, or 999 in an emergency.\n")
    text += _background(rng, f.force)
    return f"{_slug(f.force)}-news-{day.isoformat()}-operation-{op.lower()}.md", text


def _guidance(f: Figures, rng: random.Random, seed: int) -> tuple[str, str]:
    day = dt.date(f.year, rng.randint(1, 12), rng.randint(1, 28))
    stations = _districts(rng, 3)
    title = f"Sex offender notification requirements in {f.force}: what you must tell us and when"
    text = _front(title, f"{f.force} Police", day,
                  f"https://www.example-{_slug(f.force)}-police.uk/advice/notification-requirements-{f.year}",
                  "guidance")
    text += (f"This guide is for people in {f.force} who have notification requirements under the Sexual "
             f"Offences Act 2003. Your offender manager will explain the requirements that apply to you.\n\n"
             f"## The first notification\n\nYou must notify within **3 days** of your conviction or caution. If you "
             f"were in prison, in hospital or abroad at the time, the 3 days start on the day you are released or "
             f"return.\n\n"
             f"## Changes you must report within 3 days\n\n"
             f"- you change your name, or start or stop using a different name\n"
             f"- you move to a new home address\n"
             f"- you stay at another UK address for 7 days or more\n"
             f"- you open or close a bank account, or get a new payment card\n\n"
             f"## Annual re-notification\n\nAt least once in every **12 months** you must attend a designated police "
             f"station in {f.force} to confirm your details, whether or not anything has changed.\n\n"
             f"## Travelling outside the UK\n\nGive at least **7 days' notice** before any trip outside the United "
             f"Kingdom. If the trip could not reasonably be planned that far ahead, notify at least **12 hours** "
             f"before you leave.\n\n"
             f"## Designated police stations in {f.force}\n\n| Station | Opening hours |\n|---|---|\n")
    text += "".join(f"| {t} police station | {rng.choice(('8am to 8pm', '9am to 5pm', '24 hours'))} |\n"
                    for t in stations)
    text += ("\nFailing to comply with notification requirements without a reasonable excuse is a criminal offence "
             "with a maximum penalty of five years' imprisonment.\n")
    text += _background(rng, f.force, "Why the rules exist")
    return f"{_slug(f.force)}-guidance-notification-requirements-{f.year}.md", text


def _faq(f: Figures, rng: random.Random, seed: int) -> tuple[str, str]:
    day = dt.date(f.year, rng.randint(1, 12), rng.randint(1, 28))
    weeks = rng.choice((4, 6, 8))
    title = f"Sarah's Law in {f.force}: your questions about the Child Sex Offender Disclosure Scheme"
    text = _front(title, f"{f.force} Police", day,
                  f"https://www.example-{_slug(f.force)}-police.uk/advice/sarahs-law-{f.year}", "faq")
    text += (f"## What does the scheme do?\n\nThe Child Sex Offender Disclosure Scheme, known as Sarah's Law, allows "
             f"you to ask {f.force} Police whether a person who has contact with a particular child has convictions "
             f"for sexual offences against children. It is not a way to look people up on the register.\n\n"
             f"## Who is allowed to apply?\n\nAnybody can apply. If there is something to disclose, we will usually "
             f"share it only with the parent, carer or guardian best placed to protect the child.\n\n"
             f"## How do I apply?\n\n- online, using the Sarah's Law form on our website\n- by phoning 101\n"
             f"- in person at any {f.force} police station\n\n"
             f"## How long does it take?\n\nIn {f.force} we aim to complete an application within {weeks} weeks. If "
             f"we think a child is at immediate risk, we act straight away.\n\n"
             f"## How many applications do you receive?\n\nIn {f.year - 1}/{str(f.year)[2:]} we received "
             f"{fmt(f.applications)} applications and made {f.disclosures} disclosures.\n")
    text += _background(rng, f.force, "Background")
    return f"{_slug(f.force)}-faq-sarahs-law-{f.year}.md", text


_WRITERS = {"press": _press, "statement": _statement, "mappa": _mappa, "news": _news, "guidance": _guidance,
            "faq": _faq}


def document(i: int, seed: int = SEED) -> SyntheticDoc:
    """Document number `i`: its force, year and kind follow from i, its wording and figures from the seed."""
    names = forces()
    force = names[(i * 7 + seed) % len(names)]
    cycle = i // len(names)  # every force once per cycle; (force, year) repeats only after 20 cycles (6,000 docs)
    kind = _KINDS[(i + cycle) % len(_KINDS)]  # kinds mixed throughout, so a small corpus has every kind
    year = YEARS[-1 - cycle % len(YEARS)]
    rng = random.Random(f"{seed}:doc:{i}")
    name, text = _WRITERS[kind](figures(seed, force, year), rng, seed)
    return SyntheticDoc(name=f"{i:06d}-{name}", text=text, force=force, year=year, kind=kind)


@dataclass(frozen=True)
class Question:
    question: str
    expect: str  # a figure or phrase the answer must contain
    source: str  # the document it comes from


def questions(seed: int = SEED, n: int = 20) -> list[Question]:
    """Questions answerable from the first documents (present at every size), each with its expected figure."""
    out: list[Question] = []
    asked: dict[str, int] = {}
    i = 0
    while len(out) < n and i < 400:
        doc = document(i, seed)
        f = figures(seed, doc.force, doc.year)
        period = f"{doc.year - 1}/{str(doc.year)[2:]}"
        asks = {
            "press": [(f"How many registered sex offenders were living in {f.force} at 31 March {f.year}?",
                       fmt(f.register)),
                      (f"How many people were charged with notification offences in {f.force} in {period}?",
                       str(f.charged)),
                      (f"How many foreign travel notifications did {f.force} Police receive in {period}?",
                       fmt(f.travel))],
            "statement": [(f"How many registered sex offenders did the {f.force} commissioner say were living "
                           f"there at 31 March {f.year}?", fmt(f.register))],
            "mappa": [(f"How many people were managed at MAPPA level 3 in {f.force} at 31 March {f.year}?",
                       str(f.level3))],
            "news": [(f"How many arrests did the unannounced visits in {f.force} lead to in {f.year}?",
                      str(f.arrests))],
            "faq": [(f"How many Sarah's Law applications did {f.force} Police receive in {period}?",
                     fmt(f.applications))],
            "guidance": [(f"How long do offenders in {f.force} have to report a change of address?", "3 days")],
        }[doc.kind]
        turn = asked.get(doc.kind, 0)
        if turn < 3 + (doc.kind == "press") * 3:  # every kind, more of the commonest
            asked[doc.kind] = turn + 1
            pick = asks[turn % len(asks)]
            out.append(Question(pick[0], pick[1], doc.name))
        i += 1
    return out


def write_corpus(out: Path, chunks: int, seed: int = SEED) -> tuple[int, int]:
    """Write documents 0, 1, ... into `out` until they hold at least `chunks` chunks (as the index chunks them).
    Returns (documents, chunks)."""
    from assistant.chunking import chunk_document
    from assistant.documents import load_file

    out.mkdir(parents=True, exist_ok=True)
    total = i = 0
    while total < chunks:
        doc = document(i, seed)
        path = out / doc.name
        path.write_text(doc.text, encoding="utf-8")
        total += len(chunk_document(load_file(path, doc.name)))
        i += 1
    return i, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--chunks", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    docs, chunks = write_corpus(args.out, args.chunks, args.seed)
    print(f"{docs} documents, {chunks} chunks in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
