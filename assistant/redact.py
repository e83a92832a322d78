"""Stage 7a: what is shown of a passage that identifies a private person is withheld, not refused.

A court report names its defendant ("Gary Threlfall, 34, of Badger Lane, was jailed"), refers back to him
("Mr Threlfall's solicitor told the court"), quotes his family ("his sister, Karen Threlfall, said") and
describes him ("the 34-year-old delivery driver"). Each piece alone may be harmless; together they identify
him. Refusing the whole answer would leave legitimate questions about the case (the sentence, the judge's
remarks, the register requirements) unanswered, so the pieces are withheld where they are shown and the rest
is quoted as written.

Who is private is decided over the whole document, not the quoted sentence: a surname is withheld wherever it
appears once the document has shown it to be a private person's. A person is anyone named with a person's
markers (Mr or Mrs, an age, an address, a relative, a court outcome, speech); officials (after a rank or title,
or followed by their role) are public, and so are organisations and places. Every pattern here has bounded
repeats, so its time is linear in the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

MARKERS = {"name": "[name withheld]", "address": "[address withheld]", "street": "[street withheld]",
           "postcode": "[postcode withheld]", "age": "[age withheld]", "phone": "[phone number withheld]",
           "birth": "[date of birth withheld]", "description": "[details withheld]"}

_WORD = r"[A-Z][a-z'’-]+"
_NAME = re.compile(rf"\b{_WORD}(?: (?:{_WORD}|[A-Z]\.?)){{0,4}} {_WORD}\b")
# Ranks and offices that open a name ("Det Chief Insp Tim Price", "Judge Sarah Mills"): the person is an official.
_TITLE_WORDS = frozenset({
    "Detective", "Det", "Inspector", "Insp", "Chief", "Superintendent", "Supt", "Sergeant", "Sgt", "Constable",
    "Commissioner", "Officer", "Minister", "Councillor", "Cllr", "Mayor", "Dr", "Professor", "Prof", "Sir", "Dame",
    "Lord", "Lady", "Judge", "Recorder", "Justice", "Honour", "His", "Her", "Commander", "Director", "Reverend",
    "Rev", "Assistant", "Deputy", "Acting", "Temporary", "Chair", "Chairman", "Chairwoman", "Mr", "Mrs", "Ms",
    "Miss", "Mx", "Prosecutor"
})
_HONORIFIC = re.compile(rf"\b(?:Mr|Mrs|Ms|Miss|Mx)\.? ({_WORD})\b")
_TITLE = re.compile(
    r"\b(?:Detective|Det|DCI|DI|DS|DC|Inspector|Insp|Chief|Superintendent|Supt|Sergeant|Sgt|Constable|PC|PCSO|"
    r"Commissioner|Officer|Minister|Councillor|Cllr|Mayor|Dr|Professor|Prof|Sir|Dame|Lord|Lady|Judge|Recorder|"
    r"Justice|HHJ|Honour|MP|PCC|Commander|Director|Reverend|Rev|Prosecutor)\.?\s+(?:[A-Z][a-z]+\s+){0,2}$")
_ROLE_AFTER = re.compile(
    r",? (?:the |a |an |who is |our )?(?:[\w'’-]+ ){0,6}?(?:[Cc]ommissioner|[Cc]onstable|[Oo]fficer|[Ii]nspector|"
    r"[Ss]uperintendent|[Ss]ergeant|[Dd]etective|[Dd]irector|[Hh]ead|[Mm]anager|[Ll]ead|[Cc]hair\w*|[Ss]pokes\w+|"
    r"[Cc]ouncillor|[Ll]eader|[Cc]oordinator|[Cc]o-ordinator|MP|[Mm]inister|[Jj]udge|[Rr]ecorder|[Pp]rosecutor|"
    r"[Ss]olicitor|[Bb]arrister|[Cc]ounsel|[Cc]hief|[Ss]ecretary|[Cc]ommander|[Pp]resident|[Cc]hief [Ee]xecutive)\b")
_NOT_PERSON = frozenset({
    "police", "constabulary", "council", "county", "district", "borough", "city", "town", "court", "crown",
    "magistrates", "magistrates'", "partnership", "service", "services", "trust", "board", "office", "unit", "team",
    "scheme", "law", "act", "register", "mappa", "operation", "street", "road", "lane", "close", "avenue", "drive",
    "way", "crescent", "grove", "terrace", "place", "gardens", "park", "centre", "center", "hall", "school",
    "college", "university", "hospital", "prison", "probation", "news", "gazette", "echo", "times", "herald",
    "press", "bulletin", "report", "statistics", "annual", "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december", "monday", "tuesday", "wednesday", "thursday",
    "friday", "saturday", "sunday", "north", "south", "east", "west", "upper", "lower", "great", "little", "new",
    "old", "saint", "st", "safer", "community", "commissioner's", "house", "chambers", "courier", "mercury", "post",
    "media", "ltd", "limited", "plc", "group", "corporate", "communications", "code", "editors", "the", "a", "an",
    "and", "of", "in", "for", "on", "at"
})
# A word that names an organisation somewhere in the document ("Fenwold Police", "Fenwold MAPPA Strategic
# Management Board") is a place or a body, never a private person's name, whatever pattern it turns up in.
_ORGANISATION = re.compile(rf"\b({_WORD})(?: (?:{_WORD}|[A-Z]{{2,6}})){{0,3}} (?:Police|Constabulary|Council|"
                           rf"Board|Service|Partnership|Court|Trust|Authority|Group|Commissioner)\b")
# What marks a name as a private person's, just after it or just before it.
_PRIVATE_AFTER = re.compile(
    r"(?:'s|’s)?,? (?:aged )?\d{1,2}\b(?![,.]\d)|,? (?:of|from) (?:\d|[A-Z])|,? who (?:lives|lived|had lived)\b"
    r"|(?:,[^,]{1,60},)? (?:was|were|has been|had been|is|had|will be) (?:\w+ ){0,2}?(?:jailed|sentenced|"
    r"convicted|charged|cautioned|fined|remanded|arrested|imprisoned|bailed|acquitted|found guilty|given|ordered|"
    r"banned|placed on|made subject|put on|added to|told)\b"
    r"|(?:,[^,]{1,60},)? (?:pleaded|admitted|denied|appeared|breached|failed to|stood trial)\b")
_PRIVATE_BEFORE = re.compile(
    r"(?:\b(?:his|her|their|the|a|my|our) (?:\w+ )?(?:wife|husband|partner|mother|father|mum|dad|sister|brother|"
    r"son|daughter|aunt|uncle|cousin|niece|nephew|grandmother|grandfather|gran|stepfather|stepmother|"
    r"neighbou?r|friend|girlfriend|boyfriend|ex-partner|landlord|employer|victim)s?,? "
    r"|\b(?:defendant|neighbou?r|resident|victim|offender|named as|called|known as|identified as),? )$", re.I)
_SPEECH = re.compile(r" (?:said|says|told|added|explained|described)\b")
_SAID_BEFORE = re.compile(r"\b(?:said|says|added)\s+$")

_STREET_WORDS = (r"(?:Road|Street|Lane|Close|Avenue|Drive|Crescent|Grove|Terrace|Place|Gardens|Way|Row|Walk|Mews|"
                 r"Rise|View|Court Road|Square)")
_ADDRESS = re.compile(rf"\b(?:[Ff]lat \d{{1,4}}[a-z]?,? )?\d{{1,4}}[a-z]?,? (?:{_WORD} ){{1,3}}{_STREET_WORDS}\b")
_STREET = re.compile(rf"\b(?:{_WORD} ){{1,3}}{_STREET_WORDS}\b")
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b")
_PHONE = re.compile(r"(?:\+44\s?|\b0)(?![38])\d{3,4}\s?\d{3}\s?\d{3,4}\b")  # not a helpline (03, 08)
_BIRTH = re.compile(r"(?i:\b(?:born on|date of birth|d\.?o\.?b\.?)\b)[^.]{0,20}\d[\d/ A-Za-z]{0,16}"
                    r"|\b\d{1,2}/\d{1,2}/(?:19|20)\d\d\b")
# An age with what goes with it: "the 34-year-old delivery driver", "aged 34" (not "aged 18 to 25").
_AGE = re.compile(r"\b\d{1,3}-year-old\b(?: (?!(?:was|is|who|had|has|from|of|and|said|admitted|pleaded|appeared|"
                  r"denied|were|will|had|in|at|on|with)\b)[a-z-]+){0,3}"
                  r"|\baged \d{1,3}\b(?! ?(?:to|-|–|and|or|\+|and over|or over|or under|years and over))")
# After a withheld name: ", 34," and ", a delivery driver from Ashby," describe him too.
_APPOSITION = re.compile(r", (?:\d{1,2}, )?(?:(?:an?|the) [a-z-]+(?: [a-z-]+){0,3}(?= from| of| who|,)|\d{1,2}(?=,))")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str  # a key of MARKERS


def _is_person_run(run: str) -> bool:
    words = run.split()
    plain = [w.lower().removesuffix("'s").removesuffix("’s").strip("'’") for w in words]
    return all(w not in _NOT_PERSON for w in plain) and not words[-1].endswith(("'s", "’s"))


@lru_cache(maxsize=64)
def private_names(text: str) -> frozenset[str]:
    """The words that name a private person in this document: each private person's full name, first name and
    surname. A bare "Mr X" is private unless an official of that surname is named in the document."""
    people: set[str] = set()
    official_surnames: set[str] = set()
    for m in _NAME.finditer(text):
        words = m.group().split()
        titles = 0
        while titles < len(words) - 1 and words[titles].rstrip(".") in _TITLE_WORDS:
            titles += 1
        run = " ".join(words[titles:])
        if not _is_person_run(run):
            continue
        before, after = text[max(0, m.start() - 60):m.start()], text[m.end():m.end() + 120]
        honorific = titles and words[titles - 1] in ("Mr", "Mrs", "Ms", "Miss", "Mx")
        if titles and not honorific or _TITLE.search(before) or _ROLE_AFTER.match(after):
            official_surnames.add(words[-1])
            continue
        if _PRIVATE_AFTER.match(after) or _PRIVATE_BEFORE.search(before) or _SPEECH.match(after) \
                or _SAID_BEFORE.search(before):
            people.add(run)
    bodies = {m.group(1) for m in _ORGANISATION.finditer(text)}
    people = {p for p in people if not set(p.split()) & bodies}
    words = people | {w.rstrip(".") for name in people for w in name.split() if len(w.rstrip(".")) > 1}
    for m in _HONORIFIC.finditer(text):
        surname = m.group(1).removesuffix("'s").removesuffix("’s")
        if surname not in official_surnames and _is_person_run(surname):
            words.add(surname)
    return frozenset(words - official_surnames - bodies)


def withheld(text: str, start: int, end: int, names: frozenset[str]) -> list[Span]:
    """The spans of text[start:end] to withhold: a private person's name in any form and what describes him
    (age, job), any street, address, postcode, private phone number or date of birth. Sorted, not overlapping."""
    piece = text[start:end]
    spans: list[Span] = []
    if names:
        pattern = _names_pattern(names)
        for m in pattern.finditer(piece):
            spans.append(Span(m.start(), m.end(), "name"))
            description = _APPOSITION.match(piece, m.end())
            if description:
                kind = "age" if description.group()[2:].isdigit() else "description"
                spans.append(Span(description.start() + 2, description.end(), kind))
    # An age alone is no identifier ("if a 16-year-old is convicted, the period is halved"): it is withheld
    # only in a document that names a private person, where it describes him.
    described = ((_AGE, "age"),) if names else ()
    for pattern, kind in ((_ADDRESS, "address"), (_STREET, "street"), (_POSTCODE, "postcode"), (_PHONE, "phone"),
                          (_BIRTH, "birth"), *described):
        spans += [Span(m.start(), m.end(), kind) for m in pattern.finditer(piece)]
    merged: list[Span] = []
    for s in sorted(spans, key=lambda s: (s.start, -s.end)):
        if merged and s.start < merged[-1].end:
            last = merged[-1]
            merged[-1] = Span(last.start, max(last.end, s.end), last.kind)
        else:
            merged.append(s)
    return [Span(s.start + start, s.end + start, s.kind) for s in merged]


@lru_cache(maxsize=64)
def _names_pattern(names: frozenset[str]) -> re.Pattern:
    """One alternation of the names, longest first, each with its initials and honorific: 'Mr Threlfall',
    'G. Threlfall' (a possessive keeps its 's: "[name withheld]'s solicitor")."""
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"\b(?:(?:Mr|Mrs|Ms|Miss|Mx)\.? |[A-Z]\. )?(?:{alternatives})\b")


def without_names(text: str, names: frozenset[str]) -> str:
    """Every form of these private names in `text` replaced by the marker."""
    return _names_pattern(names).sub(MARKERS["name"], text) if names else text


def shown(text: str, spans: list[Span], start: int, end: int) -> str:
    """text[start:end] as displayed, each withheld span replaced by its marker."""
    out, at = [], start
    for s in spans:
        out += [text[at:s.start], MARKERS[s.kind]]
        at = s.end
    out.append(text[at:end])
    return "".join(out)


def pieces(spans: list[Span], start: int, end: int, text: str) -> list[tuple[int, int]]:
    """The parts of [start, end) around the withheld spans that still hold words: what a citation may quote."""
    out, at = [], start
    for s in [*spans, Span(end, end, "")]:
        if re.search(r"\w", text[at:s.start]):
            out.append((at, s.start))
        at = s.end
    return out
