"""Understanding a question well enough to check an answer against it.

`Question` holds what the composer needs to know to pick, or refuse to pick, a sentence: the question with
follow-ups resolved against the conversation, what kind of answer it wants (a count, a rate, a duration, an
exact wording), the periods it is about, and the names that scope it. `periods()` and `figures()` read the
same things out of document text, so question and passage are compared like for like.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"], start=1)}
_MONTH = r"(january|february|march|april|may|june|july|august|september|october|november|december)"
NUMBER_WORDS = {w: i for i, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
     "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"])}

Period = tuple[dt.date, dt.date]


# --- periods -------------------------------------------------------------------------------------------

def _month_end(year: int, month: int) -> dt.date:
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def _year(text: str) -> int:
    return int(text)


def _year_to(end: dt.date) -> tuple[dt.date, dt.date]:
    """The twelve months that end on `end`."""
    return _day(end.year - 1, end.month, end.day) + dt.timedelta(days=1), end


def _day(year: int, month: int, day: int) -> dt.date:
    return min(dt.date(year, month, min(day, 28)) + dt.timedelta(days=max(day - 28, 0)), _month_end(year, month))


_PERIOD_PATTERNS: list[tuple[re.Pattern, object]] = [
    # 2023/24, 2023-24, 2023–24: a financial year, 1 April to 31 March
    (re.compile(r"\b(20\d\d|19\d\d)\s*[/–-]\s*(\d\d)\b"),
     lambda m: (dt.date(_year(m[1]), 4, 1), dt.date(_year(m[1]) + 1, 3, 31))),
    # the year to March 2025 / the 12 months ending 31 March 2025: the twelve months that end then
    (re.compile(rf"\b(?:year|12 months|twelve months)\s+(?:to|ending|ended|up to)\s+(?:(\d{{1,2}})(?:st|nd|rd|th)?\s+)?"
                rf"{_MONTH}\s+(\d{{4}})\b", re.I),
     lambda m: _year_to(_day(_year(m[3]), MONTHS[m[2].lower()], int(m[1])) if m[1]
                        else _month_end(_year(m[3]), MONTHS[m[2].lower()]))),
    # between April and June 2024 / April to June 2023 / April–September 2024
    (re.compile(rf"\b{_MONTH}\s*(?:to|and|until|through|[-–])\s*{_MONTH}\s+(\d{{4}})\b", re.I),
     lambda m: (dt.date(_year(m[3]), MONTHS[m[1].lower()], 1), _month_end(_year(m[3]), MONTHS[m[2].lower()]))),
    # 31 March 2024
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH}\s+(\d{{4}})\b", re.I),
     lambda m: (_day(_year(m[3]), MONTHS[m[2].lower()], int(m[1])),) * 2),
    # March 2024
    (re.compile(rf"\b{_MONTH}\s+(\d{{4}})\b", re.I),
     lambda m: (dt.date(_year(m[2]), MONTHS[m[1].lower()], 1), _month_end(_year(m[2]), MONTHS[m[1].lower()]))),
    # 2024 on its own
    (re.compile(r"\b(19[5-9]\d|20\d\d)\b"), lambda m: (dt.date(_year(m[1]), 1, 1), dt.date(_year(m[1]), 12, 31))),
]


def periods(text: str) -> list[Period]:
    """Every date or period the text names, most specific reading first; each span is read once."""
    found: list[Period] = []
    taken: list[tuple[int, int]] = []
    for pattern, make in _PERIOD_PATTERNS:
        for m in pattern.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            try:
                found.append(make(m))
            except ValueError:
                continue
            taken.append(m.span())
    return found


def overlaps(wanted: list[Period], offered: list[Period], strict: bool = False) -> bool:
    """Whether two periods meet; `strict` (for figures): share at least half of each, so a figure for calendar
    2023 is not one for 2022/23 (three months shared), nor a year's for a quarter's; one at 31 March 2023 is."""
    def shared(a0: dt.date, a1: dt.date, b0: dt.date, b1: dt.date) -> bool:
        days = (min(a1, b1) - max(a0, b0)).days + 1
        shorter, longer = sorted(((a1 - a0).days + 1, (b1 - b0).days + 1))
        # Between two spans (a quarter, a year) the longer must be mostly shared too: a year's figure is not
        # a quarter's. A day inside a span (a snapshot at the year's end) is enough.
        needed = longer if shorter >= 28 else shorter
        return days > 0 and (not strict or days * 2 >= needed)
    return any(shared(a0, a1, b0, b1) for a0, a1 in wanted for b0, b1 in offered)


# --- figures -------------------------------------------------------------------------------------------

_FIGURE = re.compile(
    r"(?<![\w/£$.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?|" + "|".join(NUMBER_WORDS) + r")(?![\w/])"
    r"(\s*(?:%|per\s*cent|percent|per\s+[\d,]+|for every\s+[\d,]+|in every\s+[\d,]+))?",
    re.I,
)
_NOT_A_COUNT_BEFORE = re.compile(
    r"(?:level|category|tier|table|page|q|quarter|part|section|schedule|article|no\.?|number|£|age[sd]?|"
    r"under|over|aged|call|dial|ring|phone|text|on)\s*$", re.I)
_UNIT_AFTER = re.compile(
    r"\s*(?:days?|hours?|weeks?|months?|years?|minutes?|per\s*cent|%|am|pm|mph|miles?|km|metres?|"
    r"(?:" + _MONTH + r"))\b", re.I)


_RATE_LABEL = re.compile(r"(?:per|for every|in every)\s+[\d,]+(?:\s+[a-z]+)?\s*:\s*$", re.I)
_RATE_AFTER = re.compile(r"\s*(?:[\w-]+\s+){0,5}?(?:per|for every|in every|out of)\s+[\d,]+\b", re.I)
_NOUN_STOP = {"of", "in", "at", "on", "for", "who", "which", "that", "were", "was", "are", "is", "had", "have", "has",
              "from", "to", "with", "by", "and", "or", "than", "under", "during", "between", "across", "as", "a",
              "the", "per", "out", "over", "since", "after", "before", "compared", "will", "would", "could"}


@dataclass(frozen=True)
class Figure:
    text: str
    start: int
    end: int
    kind: str  # count | rate | duration | other
    noun: str = ""  # what a count counts: "64 people were charged" -> "people"


def period_spans(text: str) -> list[tuple[int, int]]:
    """Where the text names a date or period (readings may overlap: '31 March 2024' holds 'March 2024')."""
    return [m.span() for p, _ in _PERIOD_PATTERNS for m in p.finditer(text)]


def figures(text: str) -> list[Figure]:
    """Numbers in the text, each classed as a count, a rate, a duration or something else (a date part,
    a level, a page), so a "how many" question is not answered with a year or a rate."""
    date_spans = period_spans(text)
    out = []
    for m in _FIGURE.finditer(text):
        if any(s <= m.start() < e for s, e in date_spans):
            continue
        before, after = text[max(0, m.start() - 12):m.start()], text[m.end():m.end() + 60]
        noun = ""
        if m.group(2) or re.match(r"\s*(?:per\s*cent|%)", after, re.I) or _RATE_LABEL.search(
                text[max(0, m.start() - 40):m.start()]):
            kind = "rate"  # also "Offenders per 100,000 population: 118"
        elif _UNIT_AFTER.match(after):
            kind = "duration"  # "3 days", "every 12 months"
        elif _RATE_AFTER.match(after) or re.search(r"(?:per|every|out of)\s*$", before, re.I):
            kind = "rate"  # "142 offenders for every 100,000 residents"
        elif _NOT_A_COUNT_BEFORE.search(before):
            kind = "other"
        else:
            kind, noun = "count", _counted_noun(after)
        if out and kind == "count" and _COMPARISON.fullmatch(text[out[-1].end:m.start()]):
            kind, noun = out[-1].kind, out[-1].noun  # "118 per 100,000 at 31 March 2025 (113 at ...)"
        out.append(Figure(m.group(0), m.start(), m.end(), kind, noun))
    return out


# What lies between a figure and a comparison with it in brackets: "... at 31 March 2025 (".
_COMPARISON = re.compile(r"[^()]{0,40}\(\s*(?:compared with|against|from|up from|down from|vs\.?)?\s*", re.I)


def _counted_noun(after: str) -> str:
    """The head of the noun phrase after a number: '268 foreign travel notifications from' -> notifications."""
    words: list[str] = []
    for i, word in enumerate(re.findall(r"[A-Za-z][\w'-]*|[^\w\s]", after)[:5]):
        low = word.lower()
        if not word[0].isalpha() or low in _NOUN_STOP or (i and low.endswith(("ing", "ed"))):
            break
        words.append(low)
    return words[-1] if words else ""


def number_tokens(text: str) -> set[str]:
    """Figures as comparable tokens: digits without thousands separators, number words as digits."""
    out = set()
    for m in re.finditer(r"\d[\d,]*(?:\.\d+)?|\b(?:" + "|".join(NUMBER_WORDS) + r")\b", text, re.I):
        token = m.group(0).lower().rstrip(",.")
        out.add(str(NUMBER_WORDS[token]) if token in NUMBER_WORDS else token.replace(",", ""))
    return out


# --- the question --------------------------------------------------------------------------------------

_WANTS = [
    ("open", re.compile(r"^\s*(why|what is the reason|is there a reason)\b", re.I)),
    ("wording", re.compile(r"\b(exact(ly)?|word for word|wording|worded|verbatim|quote[sd]?|quotation|"
                           r"(what|how) did .{0,80}\b(say|said|put it|describe)|what was .{0,60}\bline|"
                           r"line about|phrase)\b", re.I)),
    ("duration", re.compile(r"\b(how long|how often|how soon|how much notice|within how|by when|when must|"
                            r"how quickly|deadline)\b", re.I)),
    ("count", re.compile(r"\b(how many|number of|how much|total|count of|size of)\b", re.I)),
    ("rate", re.compile(r"\b(what|which) (percentage|proportion|share|rate)\b|\brate of\b|\bper cent\b", re.I)),
]
_FOLLOW_UP = re.compile(
    r"^(and|also|what about|how about|so|then|but)\b|\b(it|its|that|those|these|them|they|this|there|he|she|"
    r"his|her|the same|then)\b", re.I)
# "How many offenders were there at ...", "there are": in a question of its own, 'there' points at nothing earlier
# in the conversation; but "how many were charged?" counts what the conversation was about.
_EXISTENTIAL = re.compile(r"\b(?:(?:is|are|was|were|be|been)\s+there|there\s+(?:is|are|was|were|be|been|have|has|"
                          r"had))\b", re.I)
_ELIDED = re.compile(r"\bhow (?:many|much)\s+(?:were|are|was|is|have|has|had|did|do|does|got|came|went)\b", re.I)
_SHIFT = re.compile(r"\b(a|one|the) (year|twelve months|12 months) (before|earlier|previously|after|later)\b|"
                    r"\bthe (previous|prior|following|next) year\b|\bthe year (before|after)\b", re.I)
# Capitalised words not opening a sentence: a run of them ("Operation Keystone") or one ("Westmarch").
_CAPITALISED = re.compile(r"(?<![.?!;]\s)(?<!^)\b(?:([A-Z][a-z'’]+(?:\s+(?:[A-Z][a-z'’]+|of|and|the))*"
                          r"(?:\s+[A-Z][a-z'’]+))|([A-Z][a-z'’]{2,})\b)")
_GENERIC_NAMES = {"Police", "Law", "Scheme", "Report", "Sex", "Offender", "Offenders", "Register", "I",
                  "How", "What", "When", "Where", "Why", "Who", "Which", "Is", "Are", "Was", "Were", "Do", "Does",
                  "Did", "Can", "Could", "Should", "Would", "Will", "And", "But", "If", "In", "On", "At", "The",
                  "According", "Has", "Have", "Had", "For", "From", "By", "Of", "To", "A", "An",
                  *(m.capitalize() for m in MONTHS),
                  "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}


@dataclass
class Question:
    text: str  # what the user typed
    resolved: str  # with a follow-up's missing context filled in from the conversation
    wants: str  # wording | count | rate | duration | open
    periods: list[Period] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # proper names that scope the answer
    places: list[str] = field(default_factory=list)  # the names the question is "in", "across", "for"
    measure: str = ""  # for "how many X": the X counted ("offenders", "applications")
    focus: str = ""  # what is asked, without the scene-setting: "If ..., can I post it online?" -> the ask
    subject: str = ""  # what a "What is X?" question wants defined

    @classmethod
    def parse(cls, text: str, history: list[dict] | None = None) -> Question:
        resolved = resolve_follow_up(text, history or [])
        wants = next((name for name, pat in _WANTS if pat.search(text)), None)
        if wants is None and resolved != text:
            wants = next((name for name, pat in _WANTS if pat.search(resolved)), None)
        own = periods(text)
        return cls(
            text=text,
            resolved=resolved,
            wants=wants or "open",
            periods=own or periods(resolved),
            names=(names := proper_names(resolved)),
            places=[n for n in names if re.search(rf"\b(?:in|within|across|throughout|around|near|for|of) "
                                                   rf"(?:the )?{re.escape(n)}", resolved)
                    # "Westmarch's rate", "Kestrel Downs' offenders": a figure that belongs to the name
                    or (wants in ("count", "rate") and re.search(rf"{re.escape(n)}['’]", resolved))],
            measure=counted_thing(text) or counted_thing(resolved),
            focus=focus_of(text),
            subject=_defined_thing(text),
        )


_COUNT_HEAD = re.compile(r"\bhow many\s+(?:of\s+)?((?:[\w'’-]+\s+){0,5}?[\w'’-]+?)(?:\s+(?:did|do|does|were|was|are|"
                         r"is|have|has|had|will|would|could|can|live|lived|living|received?|made|make|in|at|on|"
                         r"during|under|between|across|for|came|come|got|get)\b|\s*\?|\s*$)", re.I)


def counted_thing(text: str) -> str:
    """'How many registered sex offenders lived ...' -> 'offenders'; '' when the question counts 'them'."""
    m = _COUNT_HEAD.search(text)
    if not m:
        return ""
    words = m.group(1).lower().split()
    word = words[-1]
    if words[0] in GENERIC_COUNTS and len(words) > 1:
        return ""  # "how many of those ended in ...": what "those" are is in the conversation
    if word not in GENERIC_COUNTS:
        return word
    # "How many people were on the register": people say nothing, what they are on or in says what is counted.
    qualifier = _GENERIC_QUALIFIER.match(text, m.end(1))
    return qualifier.group(1).lower() if qualifier else ""


_GENERIC_QUALIFIER = re.compile(r"\s+(?:(?:were|are|was|is)\s+)?(?:on|in|under)\s+(?:the\s+)?"
                                r"(register|prison|custody|scheme|programme|list)\b", re.I)


# Counting "people" or "them" says nothing about what is counted: the documents may say "offenders".
GENERIC_COUNTS = {"them", "they", "those", "these", "it", "people", "persons", "individuals", "ones", "men",
                  "women", "times"}


_CONDITION = re.compile(r"^\s*(?:if|when|once|after|although|though|since|because|given that)\b[^?]*?,\s*(?=\w)",
                        re.I)


_WHAT_IS = re.compile(r"^\s*(?:what|who)\s+(?:is|are|was|were)\s+(?:the\s+|a\s+|an\s+)?([^?]{2,60}?)\s*\??\s*$", re.I)


def _defined_thing(text: str) -> str:
    m = _WHAT_IS.match(text)
    return m.group(1) if m and len(m.group(1).split()) <= 6 else ""


def focus_of(text: str) -> str:
    """The question itself: the last sentence, without a leading condition. "My brother is on the register.
    Does he have to tell anyone?" asks the second; "If the police tell me X, can I post it?" asks the rest."""
    sentences = [s for s in re.split(r"(?<=[.?!])\s+", text.strip()) if s]
    ask = next((s for s in reversed(sentences) if s.endswith("?")), sentences[-1] if sentences else text)
    return _CONDITION.sub("", ask)


def proper_names(text: str) -> list[str]:
    names = []
    for m in _CAPITALISED.finditer(text):
        name = re.sub(r"['’]s?$", "", (m.group(1) or m.group(2)).strip())  # Downs' / Vale's -> the name
        words = [w for w in name.split() if w[0].isupper()]
        if words and not all(w in _GENERIC_NAMES for w in words):
            names.append(name)
    return names


def resolve_follow_up(text: str, history: list[dict]) -> str:
    """A question that leans on the conversation ("and how many of them were high risk?", "what was it a
    year before that?") is joined to the user's previous question, with relative years moved."""
    previous = [t.get("content", "") for t in history if t.get("role") == "user" and t.get("content")]
    cues = text if len(text.split()) <= 6 else _EXISTENTIAL.sub(" ", text)  # "are there more now?" still leans
    leans = _FOLLOW_UP.search(cues) or _ELIDED.search(text)
    if not previous or not leans or len(text.split()) > 25:
        return text
    base = previous[-1]
    shift = _SHIFT.search(text)
    if shift:
        later = any(w in shift.group(0).lower() for w in ("after", "later", "following", "next"))
        base = re.sub(r"\b(19|20)(\d\d)\b", lambda m: str(int(m.group(0)) + (1 if later else -1)), base)
        text = _SHIFT.sub("", text)
    return f"{base.rstrip('?. ')}; {text}"
