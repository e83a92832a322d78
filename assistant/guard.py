"""Stage 5: the personal-information guard, on the way in (the question) and on the way out (the answer).

The assistant must never help anyone identify, locate or find out about an individual, and must still answer
the legitimate questions people have on the same topic. The question is read as concepts rather than phrasings:
who it is about (people on the register, victims and other private individuals, one specific person) and what
it asks for (a name or other identifier, a place, a yes/no on someone, a small-area count). A refusal needs both,
and no sign that the question is really about the process, the law or the published figures.

On the way in the text is first normalised against disguise (zero-width characters, look-alike letters and
small capitals, spaced, dotted, masked or run-together letters, leetspeak, text-speak, misspelt key words),
decoded (base64, hex, rot13, reversed) and, when it is not English, glossed into English concept words with
`guard_lexicon.GLOSS`, so one set of rules serves every language. Capitalised words are taken for personal names
unless they are places ("in Northmoor"), organisations ("Northmoor Constabulary") or officials' names. A
follow-up that refers back, or has no subject of its own, is read together with the user's earlier turns. Each
refusal names the rule family that fired (`Decision.rule`).

Beside the rules, a trained intent model (`intent.py`) judges each turn; see `check_question` for how the two
decide together.

On the way out, what identifies a private individual (a name in any form, an address, an age with a job) is
withheld from every quote and from the answer text (`redact.py`), so the rest of a court report can still be
quoted; a cited passage carrying an instruction aimed at the assistant is dropped.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import contextlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace

from . import config, redact
from .answer import Answer
from .guard_lexicon import GLOSS
from .intent import load_intent

REFUSAL_TEXT = (
    "I can't help with that. I don't give out, confirm or guess anything that could identify or locate a "
    "particular person: names, addresses, streets or areas, photos, workplaces, or whether someone is on the "
    "register. The police don't publish this, because it could put people at risk and make offenders harder "
    "to manage.\n\n"
    "If you're worried about someone who has contact with a child, a parent, guardian or carer can ask the "
    "police under the Child Sex Offender Disclosure Scheme (Sarah's Law): call 101, apply online or visit a "
    "police station. If a child is in immediate danger, call 999.\n\n"
    "I can help with published figures, what people on the register must tell the police, what MAPPA is and "
    "how the disclosure scheme works."
)


@dataclass(frozen=True)
class Decision:
    refuse: bool
    reason: str | None = None  # personal_information | manipulation | prompt_injection
    rule: str | None = None  # which rule family fired, for the record and for tuning


ALLOW = Decision(False)


def refusal(question: str, decision: Decision) -> Answer:
    return Answer(question=question, status="refused", answer=REFUSAL_TEXT, reason=decision.reason)


# --- normalisation against disguise --------------------------------------------------------------------

_CONFUSABLES = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s",
    "ԁ": "d", "ɡ": "g", "һ": "h", "ⅼ": "l", "ո": "n", "ν": "v", "α": "a", "ο": "o", "ε": "e", "τ": "t",
    "ӏ": "l", "ɑ": "a", "ı": "i", "κ": "k", "ρ": "p", "υ": "u", "ԛ": "q", "ԝ": "w", "ᴜ": "u",
    "А": "A", "Е": "E", "О": "O", "Р": "P", "С": "C", "Т": "T", "Н": "H", "К": "K", "М": "M", "В": "B",
    "Х": "X", "І": "I", "Ѕ": "S", "Α": "A", "Β": "B", "Ε": "E", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Χ": "X", "’": "'", "‘": "'", "ʼ": "'", "“": '"', "”": '"',
})


def _latin_variants() -> dict[int, str]:
    """Latin letters that NFKC and NFD leave alone, read as their base letter by their Unicode name: small
    capitals ("ᴡʜᴇʀᴇ"), letters with a stroke ("ł", "ø", "đ"), script, dotless and turned forms."""
    out = {}
    for code in [*range(0xC0, 0x2B0), *range(0x1D00, 0x1DC0), *range(0x1E00, 0x1F00), *range(0xA720, 0xA800)]:
        m = re.fullmatch(r"LATIN (SMALL |CAPITAL )?LETTER (SMALL CAPITAL |SCRIPT |DOTLESS |TURNED )?([A-Z])"
                         r"(?: WITH .*)?", unicodedata.name(chr(code), ""))
        if m:
            out[code] = m[3] if m[1] == "CAPITAL " else m[3].lower()
    return out


_LATIN_VARIANTS = _latin_variants()
_LEET = str.maketrans({"4": "a", "3": "e", "1": "i", "0": "o", "5": "s", "7": "t", "8": "b"})
_LATIN = re.compile(r"[A-Za-z]")
_FOREIGN_LETTERS = re.compile(r"[^\W\d_A-Za-z]")


def _mixed_script(word: str) -> bool:
    return bool(_LATIN.search(word)) and bool(_FOREIGN_LETTERS.search(word))


# The words that matter for reading a disguised request, to split run-together letters and fill in masked ones.
_VOCABULARY = frozenset({
    "the", "a", "an", "is", "are", "was", "were", "of", "in", "on", "at", "to", "for", "and", "or", "what", "who",
    "whose", "where", "which", "how", "many", "do", "does", "did", "i", "you", "he", "she", "they", "them", "it",
    "my", "me", "there", "this", "that", "with", "from", "by", "can", "about", "have", "has", "be", "not", "if",
    "their", "his", "her", "any", "all", "please", "tell", "give", "show", "list", "send", "name", "names", "address",
    "addresses", "street", "streets", "road", "roads", "live", "lives", "living", "work", "works", "working", "stay",
    "house", "number", "photo", "photos", "picture", "pictures", "sex", "sexual", "offender", "offenders", "register",
    "registered", "nonce", "nonces", "paedo", "paedos", "pedo", "predator", "predators", "high", "risk", "level",
    "near", "next", "door", "neighbour"
})


def _segment(letters: str, min_words: int = 1) -> str:
    """Word breaks put back into a run of letters that lost them ("W H E R E D O E S T H E ..." spaced singly,
    "wheredoesthesexoffenderlive"): the cheapest split into known words, kept only when known words make up
    most of it (and there are `min_words` of them, so a long word of another language is left whole). Unknown
    letters stay together; case is kept."""
    low = letters.casefold()
    cost, back = [0] + [10**9] * len(low), [(0, False)] * (len(low) + 1)
    for i in range(len(low)):
        for j in range(i + 1, min(len(low), i + 12) + 1):
            if low[i:j] in _VOCABULARY and cost[i] + 1 < cost[j]:
                cost[j], back[j] = cost[i] + 1, (i, True)
        if cost[i] + 2 < cost[i + 1]:
            cost[i + 1], back[i + 1] = cost[i] + 2, (i, False)
    words, end = [], len(low)
    while end:
        start, known = back[end]
        if known or not words or words[-1][1]:
            words.append([letters[start:end], known])
        else:
            words[-1][0] = letters[start:end] + words[-1][0]
        end = start
    known = [word for word, known in words if known]
    good = sum(map(len, known)) >= 0.6 * len(low) and sum(len(word) > 2 for word in known) >= min_words
    return " ".join(word for word, _ in reversed(words)) if good else letters


def _fold(text: str) -> str:
    """Case-preserving clean-up: compatibility forms, invisible characters, look-alike letters inside Latin
    words, letters spelt out with spaces or dots ("a d d r e s s", "N.A.M.E.S"), accents on Latin letters."""
    text = unicodedata.normalize("NFKC", text)
    if not text.isascii():
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf").translate(_LATIN_VARIANTS)
    latin_text = len(_LATIN.findall(text)) > len(_FOREIGN_LETTERS.findall(text))
    text = re.sub(r"\S+", lambda m: m.group(0).translate(_CONFUSABLES)
                  if latin_text or _mixed_script(m.group(0)) else m.group(0), text)
    text = _SPACED_LETTERS.sub(_spaced_words, text)
    text = re.sub(r"\b(?:\w ){3,}\w\b", lambda m: _segment(m.group(0).replace(" ", "")), text)
    text = re.sub(r"\b[A-Za-z]{16,}\b", lambda m: _segment(m.group(0), min_words=4), text)
    text = re.sub(r"\b\w{1,2}(?:[.*_-]\w{1,2}){2,}\b", lambda m: re.sub(r"[.*_-]", "", m.group(0)), text)
    decomposed = unicodedata.normalize("NFD", text)
    text = re.sub(r"(?<=[A-Za-z])[\u0300-\u036f]+", "", decomposed)
    return unicodedata.normalize("NFC", text)


_SPACED_LETTERS = re.compile(r"(?<!\S)\w(?: +\w(?!\S))+")  # single letters apart: one way to match, linear


def _spaced_words(m: re.Match) -> str:
    """"i s   k e v i n   g o l s o n": letters one space apart, words further apart, read as words. A run with
    no wider gap is left to the word splitter below."""
    words = [w.replace(" ", "") for w in re.split(r" {2,}", m.group(0))]
    return " ".join(words) if sum(len(w) > 1 for w in words) >= 2 else m.group(0)


def _unmask(word: str) -> str:
    """"s*x", "off#nder", "add-ress": a word with letters starred out or split by a hyphen or dot, read as the
    one known word it can stand for."""
    joined = re.sub(r"[-.]", "", word)
    if joined in _VOCABULARY:
        return joined
    pattern = re.compile(re.sub(r"[*#]", "[a-z]", joined))
    matches = [w for w in _VOCABULARY if pattern.fullmatch(w)]
    return matches[0] if len(matches) == 1 else word


_TYPO_TARGETS = ("address", "addresses", "offender", "offenders", "register", "registered", "paedophile",
                 "paedophiles", "paedo", "paedos", "nonces", "neighbour", "neighbours", "street", "streets")
# Text-speak and dialect spellings of function words ("wot iz", "who r"), read as plain English.
_TEXTSPEAK = {"r": "are", "u": "you", "ur": "your", "wot": "what", "wat": "what", "teh": "the", "ov": "of", "iz": "is",
              "whos": "who is", "wheres": "where is", "whats": "what is", "thats": "that is", "hes": "he is",
              "shes": "she is", "plz": "please", "pls": "please", "ppl": "people"}


def _one_edit(a: str, b: str) -> bool:
    """At most one letter inserted, dropped, changed or swapped with its neighbour."""
    if abs(len(a) - len(b)) > 1:
        return False
    i = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    if len(a) == len(b):
        return a[i + 1:] == b[i + 1:] or (a[i:i + 2] == b[i:i + 2][::-1] and a[i + 2:] == b[i + 2:])
    short, long = sorted((a, b), key=len)
    return short[i:] == long[i + 1:]


def _respell(word: str) -> str:
    """"adress", "ofender", "regsiter": a misspelt key word read as the word meant. Inflections of other words
    ("offended", "addressed") are left alone."""
    if word in _VOCABULARY or word.endswith("ing"):
        return word
    return next((t for t in _TYPO_TARGETS if t[0] == word[0] and _one_edit(word, t)
                 and word.endswith("ed") == t.endswith("ed")), word)


def normalise(text: str) -> str:
    """Lower-case matching form of `_fold`, with leetspeak undone ("n4m3s", "m@n"), masked and misspelt words
    read as meant ("s*x", "adress") and "he's" split."""
    text = _fold(text).casefold()
    text = re.sub(r"\b\w*[a-z]\w*\b", lambda m: m.group(0).translate(_LEET), text)
    text = re.sub(r"(?<=[a-z])[@$](?=[a-z])|[@$](?=[a-z]{2})", lambda m: "a" if m.group(0) == "@" else "s", text)
    text = re.sub(r"\b[a-z]+(?:[-.*#]+[a-z]+|[*#]+)+", lambda m: _unmask(m.group(0)), text)
    text = re.sub(r"\b[a-z]{5,}\b", lambda m: _respell(m.group(0)), text)
    if not _FOREIGN_LETTERS.search(text):
        text = re.sub(r"\b[a-z]+\b", lambda m: _TEXTSPEAK.get(m.group(0), m.group(0)), text)
    text = re.sub(r"\b(he|she|who|what|where|it|that|there)'s\b", r"\1 is", text)
    return " ".join(text.split())


def _decoded_variants(text: str) -> list[str]:
    """Text hidden in base64, hex, rot13 or written backwards, decoded so the rules can read it."""
    out = [text[::-1], codecs.decode(text, "rot13")]
    for blob in re.findall(r"[A-Za-z0-9+/]{16,}={0,2}", text):
        with contextlib.suppress(binascii.Error, UnicodeDecodeError, ValueError):
            out.append(base64.b64decode(blob + "=" * (-len(blob) % 4), validate=True).decode("utf-8"))
    hexes = re.findall(r"\b[0-9a-fA-F]{2}\b", text)
    if len(hexes) >= 8:
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            out.append(bytes.fromhex("".join(hexes)).decode("utf-8"))
    return out


# --- other languages -----------------------------------------------------------------------------------

def _compile_gloss() -> list[tuple[re.Pattern, str]]:
    out = []
    for gloss, words in GLOSS.items():
        for word in words:
            word = _fold(word).casefold()
            bounded = rf"(?<![^\W\d_]){word}(?![^\W\d_])" if _LATIN.search(word[:1] or "") else word
            out.append((re.compile(bounded), f" {gloss} "))
    return out


_GLOSS = _compile_gloss()
_ENGLISH = frozenset({
    "the", "a", "an", "is", "are", "was", "were", "of", "in", "on", "to", "for", "and", "or", "what", "who",
    "where", "how", "many", "do", "does", "did", "i", "you", "he", "she", "they", "it", "my", "me", "there",
    "this", "that", "with", "from", "by", "can", "about", "which", "have", "has", "be", "not", "if", "their",
    "his", "her", "any", "all", "please", "tell", "give", "live", "lives", "name", "names", "address", "just",
    "only", "would", "could", "should", "will", "shall", "may", "might", "must", "us", "our", "we", "your", "onto",
    "into", "at", "as", "so", "but", "no", "yes", "been", "had", "them", "these", "those", "then", "than", "when",
    "why", "its", "up", "out", "over", "after", "before", "get", "got", "know"
})


def _foreign(original: str, text: str) -> bool:
    """Worth glossing: letters outside ASCII, or too few English function words to be English."""
    words = re.findall(r"[^\W\d_]+", text)
    english = sum(w in _ENGLISH for w in words)
    return bool(re.search(r"[^\x00-\x7f]", original) and _FOREIGN_LETTERS.search(original)) or (
        len(words) >= 4 and english / len(words) < 0.25)


def _gloss(text: str) -> str:
    for pattern, gloss in _GLOSS:
        text = pattern.sub(gloss, text)
    return " ".join(text.split())


# --- concepts --------------------------------------------------------------------------------------------

_PERSON_NOUN = (r"(?:man|woman|guy|bloke|lad|chap|fella|gentleman|lady|boy|girl|person|individual|tenant|"
                r"neighbou?rs?|lodger|landlord|volunteer|coach|teacher|boyfriend|girlfriend|partner|husband|wife|"
                r"ex|ex-\w+|exes|friend|colleague|boss|driver|babysitter|childminder|carer|uncle|aunt|cousin|"
                r"brother|sister|son|daughter|dad|father|mum|mother|step\w+|priest|vicar|leader|instructor|tutor|"
                r"nanny|cleaner|builder|stranger|owner|worker|caretaker|resident|family|one)")
# One identified individual: "someone called ...", "Mr ...", an address.
_INDIVIDUAL = re.compile(
    r"\b(?:called|named)\s+(?!offender)[a-z]+|\b(?:mr|mrs|ms|miss)\.?\s+[a-z]+"
    r"|\b\d+[a-z]?,?\s+[a-z']+\s+(?:road|street|lane|close|avenue|way|drive|crescent|court|place|gardens|terrace|"
    r"grove|row|hill|walk|mews|square|rise|view)\b|\bflat\s+\d+|\bnumber\s+\d+\b")
# One particular individual: that, or a pronoun, a neighbour, a relation, "the man at ...", a date of birth.
_SPECIFIC = re.compile(
    rf"\b(?:he|she|him|her|his|whoever|neighbou?rs?)\b"
    rf"|\b(?:my|our|the|this|that|whose|[a-z]+'s)\s+(?:\w+[\s,]+){{0,3}}?{_PERSON_NOUN}\b|\b(?:dob|date of birth)\b"
    rf"|{_INDIVIDUAL.pattern}")
_PEOPLE = (r"(?:people|persons|adults|residents|parents|men|women|neighbou?rs|tenants|staff|volunteers|coaches|"
           r"teachers|families|relatives|dads|mums|lodgers|workers|ones|children|kids|girls|boys|victims|pupils|"
           r"students)")

# People on the register, or those the police dealt with (arrested, charged, missing).
_REG_PEOPLE = re.compile(
    r"\b(?:sex(?:ual)?\s+)?offend\w*\b(?!'?\s*regist)|\bpaedo\w*|\bpedo\w*|\bnonces?\b|\bpredators?\b"
    r"|\bregistrants?\b|\bregistered\s+(?!charity)\w+|\b(?:on|in)\s+(?:the|a|that|this)\s+(?:\w+\s+){0,3}?"
    r"(?:register|reg|list|database)\b|\bmappa\s+(?:level|cohort|cases?)|\blevel\s+[123]\b|\bhigh[- ]risk\b"
    r"|\barrest\w*|\bcharged\b|\bcohort\b|\bspecial residents\b|\bsign the book\b|\bwhereabouts\b"
    r"|\b(?:missing|unaccounted[- ]for|wanted)\s+(?:ones?|people|men|persons?)\b|\bcases?\b"
    r"|\b(?:went|gone|going|goes) (?:missing|abroad|awol)\b|\babscond\w*|\bfled\b|\bon the run\b"
    r"|\bapproved premises\b|\b(?:bail|probation) hostels?\b"
    r"|\bnames? (?:on|in|from) (?:it|there)\b")
_REGISTER = re.compile(r"\bregist\w*|\bthe reg\b|\bmappa\b|\bsex offenders?\b|\blist\b|\bdatabase\b")
# Private individuals other than offenders: victims, witnesses, families, applicants, informants.
_PRIVATE = re.compile(
    r"\b(?:victims?|witness\w*|famil(?:y|ies)|relatives?|wife|husband|(?:children|kids) of|girl|boy|mum|mother|"
    r"applicants?|informants?|complainants?|landlords?|exes)\b"
    r"|\b(?:applied|reported|told the police|informed on|grassed|made (?:a|the) (?:report|application|complaint))\b"
    r"|\b(?:got|received|given|had) (?:[\w']+ ){0,3}?disclosures?\b")

_PHOTO = r"(?:photos?|photographs?|pictures?|pics?|images?|selfies?|snapshots?|snaps|headshots?|footage|videos?|cctv)"
_VEHICLE = r"(?:cars?|vans?|vehicles?|motorbikes?|lorr(?:y|ies)|trucks?|transits?)"
_ASK_IDENTITY = re.compile(
    r"\b(?:what|which|give|tell|list|send|share|know|want|need|get|find|print|output|provide|reveal|post|read|"
    r"recite|use|the|full|real|first|last|any|some|all|their real)\s+(?:\w+\s+){0,2}?names?\b"
    r"|\bnames?\s+(?:of|and|are|is|only|will|please|pls|for|on)\b|\bname (?:one|the|them|him|her|every|all|any)\b"
    r"|\b(?:is|are|was|were) (?:he|she|they|it|the \w+) called\b|\bcalled\s*\?"
    r"|\b(?:surnames?|forenames?|(?:given|christian|maiden|nick) ?names?|initials|identit(?:y|ies)|identify|unmask|"
    r"de-?anonymi[sz]\w*|dox\w*|physical(?:ly)?|appearance|bald|beard\w*|scars?|piercings?|eye colou?r|"
    r"expose|mugshots?|look like|height|hair colou?r|tattoos?|distinguishing|usernames?|handles?|"
    r"e-?mail address\w*|contact (?:details|info\w*|numbers?)|(?:tele)?phone numbers?|number plates?|"
    r"registration numbers?|reg (?:number|plate)|make,? colou?r|"
    r"(?:facebook|instagram|twitter|tiktok|snapchat|social media) (?:accounts?|profiles?|handles?|pages?)|"
    r"first letter|date of birth)\b"
    rf"|\b(?:what|which)\s+(?:colou?r\s+|make\s+|model\s+|(?:kind|type|sort) of\s+)?{_VEHICLE}\b"
    rf"|\b(?:colou?r|make|model|plates?)\b[^.?!]{{0,20}}\b{_VEHICLE}\b|\b{_VEHICLE}\b[^.?!]{{0,30}}\b(?:drives?|owns?)\b"
    rf"|\b{_PHOTO} of\b|\b(?:show|see|send|link|view|post|share|find|give|scroll)\b[^.?!]{{0,40}}\b{_PHOTO}"
    r"|\bdescri(?:be|ptions?)\s+(?:of\s+)?(?:what (?:he|she|they)|him|her|them|those|these|the (?:\w+\s+){0,2}?"
    r"(?:man|woman|men|women|people|person|offenders?|individuals?))\b"
    r"|(?:^|[.?!;:,]\s*|\b(?:and|so|but|then|me|us|know|ask|out)\s+)who(?:\s+(?:is|are|was|were|exactly|"
    r"reported|told|applied|made|gave|grassed|informed|abused|attacked)|m)\b"
    r"|\bwho(?:\s+[\w']+){0,5}\s+(?:is|are|was|were)\s+(?:on|in)\s+(?:the|that|this|a)\s+(?:\w+\s+){0,2}?(?:register|"
    r"list|database)\b|\bwho\s+(?:the|that|this)\s+(?:\w+\s+){0,3}?(?:is|are|was|were)\b"
    r"|\bwho (?:did|had|have|has) (?:he|she|they|the police|police|officers?) (?:\w+ )?(?:arrest|"
    r"charge|catch|caught|convict|jail|stop|stopped|find|found|detain|prosecute|nick|nicked)\b"
    r"|\bdo(?:es)? for a living\b|\b(?:his|her) (?:job|occupation|employer)\b|\bwhat (?:job|work) (?:does|do|did)\b"
    r"|\bnaming (?:the|them|him|her|all|every|any)\b"
    r"|\b(?:complete|continue|finish|fill in|extend|carry on)\s+(?:the|this|that|my)\s+(?:\w+\s+)?(?:list|table|"
    r"register|names|rows|entries)\b"
    rf"|\btell (?:me|us) who\b|\bwhich (?:one|ones|of (?:them|these|those|(?:my|our|the|these|those) (?:\w+ )?"
    rf"{_PEOPLE})|mum|mother|dad|father|woman|man|family|person|relatives?|{_PEOPLE})\b"

    r"|\b(?:list|print|output|recite|read out)\b[^.?!]{0,30}\b(?:every|all|each|them|everyone|the (?:registered|"
    r"offenders|people|ones|names))\b"
    r"|\b(?:list|print|output|recite|read out|enumerate)\s+(?:me\s+|us\s+)?(?:the|those|these|any|some)\s+"
    r"(?:(?!of\b)\w+\s+){0,3}?(?:offenders?|registrants?|people|persons|men|individuals|ones|paedo\w*|nonces?)\b")
# Asking for the register itself, or a list of the people on it.
_DUMP = re.compile(
    r"\b(?:print|output|dump|show|send|give|export|download|copy|paste|publish)\b(?: me| us)?\s+(?:the|your|a|"
    r"their)\s+(?:\w+\s+){0,3}?(?:register|database|records|list of (?:\w+ )?(?:registered|sex|offenders|names|"
    r"people|paedo\w*))\b"
    r"|\b(?:first|top|last|next) (?:\d+|one|two|three|four|five|six|ten|few) (?:rows|entries|records|lines)\b"
    r"|\b(?:send|give|show|share|find|get|post|link)\b[^.?!]{0,20}\b(?:list|spreadsheet|screenshot)s?\b[^.?!]{0,30}"
    r"\b(?:posted|leaked|shared|circulat\w*|going (?:a)?round)\b")
_ASK_LOCATION = re.compile(
    r"\baddress(?:es)?\b|\bpostcodes?\b|\bstreet[- ]?(?:names?|level)\b|\bhouse numbers?\b|\blast known\b"
    r"|\bwhere\b[^.?!]{0,100}\b(?:live|lives|living|lived|stay|stays|staying|work|works|working|housed|"
    r"located|based|hiding|hide|train|trains|sleeps?|moved?|now|before|put|placed|kept|sent|go|goes|attends?|"
    r"drinks?|shops?)\b"
    r"|\bwhere (?:is|are|was|were) (?:the|that|this|those) (?:\w+ ){0,2}?(?:hostels?|premises|houses?|flats?|homes?|"
    r"buildings?|places?|caravans?|b&bs?|hotels?)\b|\b(?:show|tell|point)\s+(?:me|us)\s+where\b"
    r"|\b(?:live|lives|living|work|works|working)\b[^.?!]{0,30}\bwhere\b"
    r"|(?<!unknown )(?<!missing )(?<!not know the )(?<!n't know the )(?<!lost track of the )"
    r"\bwhereabouts\b(?!\s+(?:are\s+|were\s+|is\s+|was\s+|remain\s+)?(?:unknown|not known))"
    r"|\bwhich\s+(?:\w+\s+){0,2}?(?:streets?|roads?|lanes?|close|avenues?|estates?|villages?|towns?|city|"
    r"cities|country|countries|houses?|flats?|blocks?|buildings?|hostels?|hotels?|b&b|schools?|gyms?|clubs?|"
    r"churche?s?|shops?|pubs?|address|areas?|parts?|neighbou?rhoods?|wards?|districts?|workplace|employers?|homes?|"
    r"nurser(?:y|ies)|parks?|caravans?|campsites?|factor(?:y|ies)|garages?|warehouses?|compan(?:y|ies)|firms?|"
    r"business(?:es)?|premises|sites?|hospitals?|colleges?|universit(?:y|ies)|mosques?|temples?|playgrounds?|"
    r"apartments?|bungalows?|cottages?|farms?|hamlets?|parish(?:es)?|boroughs?|suburbs?|rooms?|sides?|ends?|halves|"
    r"half|corners?)\b"
    r"|\bwhich\s+(?:\w+\s+){0,3}?(?:offenders?|registrants?|paedo\w*|nonces?|people)\s+(?:\w+\s+)?(?:live|lives|living|"
    r"work|works|stay|stays|go|goes)\b"
    r"|\bwhich\b[^.?!]{0,50}\b(?:employs?|employed|houses|accommodates?|hosts?|put (?:\w+ )?up|(?:rents?|lets?) "
    r"(?:\w+ )?to|takes? in)\b"
    r"|\bwhich\b[^.?!]{0,80}\b(?:work|works|working|live|lives|living|stay|stays|staying|housed|attend|attends|"
    r"train|trains|go|goes)\s+(?:at|in|on|to)\s*(?:[?.!]|$|now)"
    r"|\bwhat\s+(?:\w+\s+)?(?:street|road|lane|estate|village|town|city|house|flat|block|building|hostel|address|"
    r"postcode|school|workplace|ward|neighbou?rhood)s?\b|\bwhat (?:part|area|side|end|bit|corner) of (?!the\b)"
    r"|\b(?:exact |precise )?locations? of\b|\b(?:his|her) (?:streets?|roads?|postcodes?)\b"
    r"|\b(?:on|in|at|near)\s+[\w' ]{2,30}\s+or\s+(?:on|in|at|near)\s"
    r"|\b(?:north|south|east|west)\w* or (?:the )?(?:north|south|east|west)\w*\b"
    r"|\b(?:maps?|pins|heat ?maps?)\b|\b(?:nearest|closest) (?:\w+ )?(?:town|street|village|road|city|postcode|"
    r"landmark|junction|estate|place)\b")
_FORCE_LEVEL = (r"(?:the (?:whole )?(?:county|force(?: area)?|country|uk|region)|england|wales|britain|scotland|"
                r"\w+shire)")
_STREET_NAME = (r"(?:on|in|along|off)\s+(?:[a-z']+\s+){1,2}(?:road|street|lane|close|avenue|way|drive|crescent|court|"
                r"place|gardens|terrace|grove|row|hill|walk|mews|square|rise|view)\b")
# "Where do most offenders live?": a question about offenders in general, not about some of them.
_OFFENDERS = (r"(?:registered |convicted |high[- ]risk )?(?:sex |sexual )?(?:offenders?|(?:people|someone|a person) on "
              r"the register|registrants?|(?<=registered )(?:people|persons?))")
_GENERIC_WHERE = re.compile(
    rf"\bwhere (?:(?:do|does|can|should|must|may|are|is) (?:a |an |most |many |some |all |any )?{_OFFENDERS}"
    rf"|(?:a |an |most |many |some |all |any )?(?:{_OFFENDERS}|they) (?:can|may|must|should|could|(?:are|is) "
    rf"(?:allowed|able) to))\b(?![^.?!]*\b(?:in|near|around|on|at)\s+(?!{_FORCE_LEVEL}\b))")
_HOUSEHOLD = re.compile(r"\b(?:offenders?|registrants?|paedo\w*|nonces?|people on the register)\s+(?:\w+\s+)?(?:living|"
                        r"staying|lodging)\s+(?:with|next to|opposite|above|below)\s+(?P<who>[^.?!]{1,30})")
# Someone else's private contact details ("her personal mobile"), not "a home address" or "my own number".
_PRIVATE_CONTACT = re.compile(
    r"(?<!\ba )(?<!\ban )(?<!\bany )(?<!\bmy )(?<!\bour )(?<!\byour )(?<!\bown )"
    r"\b(?:personal|private|home|direct|mobile)\s+(?:mobile|phone|telephone|number|e-?mail|address)\b")

_MEMBER = re.compile(
    r"\b(?:register|registered|reg|list|database|records?|sex offenders?|offenders?|paedo\w*|pedo\w*|nonce|"
    r"predator|mappa|arrest\w*|charged|convict\w*|previous|in the clear|known to (?:the )?police|wanted|"
    r"monitor\w*|supervis\w*|on (?:file|record)|flagged|watch ?list)\b"
    r"|\bone of (?:the|them|those)\b")
_CLAUSE = re.compile(r"\b(is|was|are|were|has|have|had|does|did|would|whether|if|that)\b([^.?!]{1,120})")
_CHECK = re.compile(
    r"\b(?:check|search|look\s?up|run|put|type|enter)\b[^.?!]{0,40}\b(?:register|database|records?|list|system|"
    r"pnc)\b(?!\s+at\s+\d)|\bregister (?:entry|record)\b"
    r"|\b(?:(?:come|comes|show|shows) up|appears?|features?|mentioned|listed)\b"
    r"[^.?!]{0,40}\b(?:register|records?|data|list|figures|documents?|files?|as an? (?:\w+ )?offender)\b"
    r"|\b(?:is|was) (?:it|that) (?:him|her|them|he|she)\b"
    r"|\b(?:anything|something|a record|any records?|a file|history)\s+(?:\w+\s+){0,2}?(?:on|for|about|against)\b"
    r"|\b(?:police|probation|officers?)\s+(?:\w+\s+){0,2}?(?:watch\w*|monitor\w*|visit\w*|supervis\w*|"
    r"keeping an eye on|checking on)\s+(?:my|our|the|that|this|him|her|[a-z]+'s)\b"
    r"|\bwhat(?: is| was)? (?:his|her) (?:criminal )?(?:record|history|past)\b|\bany (?:convictions?|previous|record|"
    r"criminal record|offences?)\b"
    r"|\b(?:tick|mark|highlight|circle|flag|pick out|point out)\b[^.?!]{0,30}\b(?:ones?|names?|people|them|which)\b")
_ON_IT = re.compile(r"\b(?:he|she|they|him|her)\s+(?:is|are)\s+on\s+(?:it|there)\b|\bis\s+(?:he|she)\s+on\s+it\b"
                    r"|\b(?:is|was|are|has|does) (?:he|she|they)(?: one| though| then| too)?\s*\?\s*$"
                    r"|\b(?:is|was) (?:it|that) (?:one of (?:them|those|these)|either of them)\b")
# "He's got a record, hasn't he?": a claim about someone put as a question.
_TAGGED = re.compile(r"\b(?:he|she|they)\s+(?:is|has|was|had|have)\s+(?:got\s+|been\s+)?(?:(?:a|an|any|the)\s+)?"
                     r"(?:\w+\s+)?(?:record|convictions?|previous|on (?:the|that) (?:register|list)|registered|"
                     r"offender)\b[^.?!]{0,10}\b(?:isn't|hasn't|wasn't|doesn't|didn't|right|yeah|innit|correct|true)\b")
_YES_NO = re.compile(r"\byes or no\b|\by/n\b|\bor not\s*\?"
                     r"|\b(?:reply|answer|say|respond|write)\b[^.?!]{0,20}\S+ (?:for|if|to "
                     r"mean) (?:yes|no)\b")
_CONFIRM = re.compile(r"\b(?:confirm|verify|deny|is (?:that|it|this) (?:true|right|correct)|am i right|"
                      r"rings? a bell)\b")
_POSTCODE = re.compile(r"\b[a-z]{1,2}\d[a-z\d]?\s?\d[a-z]{2}\b")

_LOCALITY = (r"(?:streets?|roads?|lanes?|close|avenues?|crescents?|estates?|villages?|wards?|postcodes?|blocks?|"
             r"buildings?|flats|houses?|hostels?|neighbou?rhoods?|districts?|towns?|hamlets?|parish(?:es)?|"
             r"boroughs?|suburbs?|localit(?:y|ies))")
_AGGREGATION = re.compile(
    rf"\b(?:which|rank\w*|top|most|fewest|smallest|largest|by|per|each|every|breakdown|broken down|break down|"
    rf"list|map)\b[^.?!]{{0,40}}\b{_LOCALITY}\b|\bwhat\s+(?:\w+\s+){{0,2}}?{_LOCALITY}\b"
    r"|\b(?:by|per|each|every)\s+(?:\w+\s+){0,2}?(?:areas?|locations?|places?|geograph\w*)\b"
    r"|\b(?:smallest|finest|tiniest|most (?:detailed|granular|local))\s+(?:\w+\s+)?(?:areas?|level|geograph\w*|"
    r"units?|breakdown|places?)\b|\b(?:small|tiny|little)\s+(?:place|village|town|hamlet|area|community|estate)\b"
    rf"|\b{_LOCALITY}\b[^.?!]{{0,60}}\b(?:only|just|single|sole|lone)\b"
    rf"|\b(?:only|single|sole|lone)\s+(?:\w+\s+){{0,4}}?(?:in|on|at|of)\s+(?:the|a|that|this|our|my)?\s*{_LOCALITY}\b"
    r"|\bwithin\s+(?:\d+|a|an|half|one|two|three|four|five|ten|a few|walking)\b[^.?!]{0,20}\b(?:m|metres|meters|"
    r"yards|miles?|km|kilometres|minutes?|distance|radius|walk)\b|\b(?:miles?|yards|metres|radius) (?:of|from|around)\b"
    r"|\bhow many\b[^.?!]{0,60}\b(?:near|close to|next to|around|opposite|by)\s+(?:\w+\s+){0,3}?(?:schools?|nurser\w+|"
    r"parks?|playgrounds?|me|us|here|(?:my|our) \w+)\b"
    rf"|\b{_LOCALITY}\b[^.?!]{{0,40}}\b(?:rank\w*|by|most|fewest|breakdown)\b"
    rf"|\bhow many\b[^.?!]{{0,80}}\b(?:(?:on|in|near|around|within)\s+(?:my|our|this|that|the same|each|every)\s+"
    rf"(?:\w+\s+)?{_LOCALITY}|within\s+\d+|metres|yards|streets?|roads?|lanes?|close|avenues?|crescents?|estates?|"
    r"blocks?|flats|wards?|villages?|hamlets?)\b"
    r"|\b(?:only|just)\s+(?:has\s+|have\s+)?(?:about\s+|around\s+)?\d{1,4}\s+(?:people|residents|houses|homes)\b"
    r"|\bwithin\s+\d+\s*(?:m|metres|meters|yards|miles?|km)\b"
    r"|\b(?:is|are)\s+there\s+(?:any|a)\s+(?:\w+\s+){0,3}?(?:offenders?|paedo\w*|nonces?|people on the register)"
    rf"[^.?!]{{0,20}}\b(?:living|live|lives)\s+(?:on|in|at|near)\b(?!\s+{_FORCE_LEVEL}\b)"
    r"|\bthere (?:is|are)\s+(?:any|a|an|some)\s+(?:\w+\s+){0,3}?(?:offenders?|paedo\w*|nonces?|predators?|people on "
    r"the register)\b[^.?!]{0,30}\b(?:on|in|at|near|next to|opposite|round|around)\s+(?:my|our|this|that|the same|"
    r"number|flat)\b|\b(?:(?:is|are) there|any|an?|some)\s+(?:\w+\s+){0,2}?(?:offenders?|paedo\w*|nonces?|predators?|"
    r"people on the register)\b[^.?!]{0,20}\b(?:there|here|nearby|near (?:me|us|here)|(?:a)?round here|close by|"
    r"locally|on it|in it)\s*(?:[?.!]|$)"
    rf"|\b(?:how many|percentage|proportion|number of|share of)\b[^.?!]{{0,60}}\b{_STREET_NAME}"
    rf"|\b{_LOCALITY}\b.{{0,150}}\bhow many\b[^.?!]{{0,60}}(?:\b(?:live|living|lives|stay\w*|based|housed|reside\w*)\s+"
    r"(?:there|here)\b|\b(?:in|on) it\b)")

# "Which streets should parents worry about?": on this topic, where the danger is means where the offenders are.
_DANGER = re.compile(r"\b(?:worr(?:y|ied)|avoid|stay away|unsafe|dangerous|danger|safest)\b")
# "How many of them live in Pellingham?": an earlier figure broken down by a named place (case-sensitive, on the
# folded text, since only the capital tells a place from "in prison" or "in total").
_NARROWING = re.compile(rf"\b[Hh]ow many of (?:them|those|these|the [\d,]+)\b[^.?!]{{0,40}}?\b(?:in|on|at|near)\s+"
                        rf"(?!(?i:{_FORCE_LEVEL})\b)([A-Z][\w'-]+)")


# What makes a question legitimate even though it shares the vocabulary.
_EXEMPT: dict[str, re.Pattern] = {
    "route": re.compile(
        r"\b(?:how|where|who|what|which)\b[^.?!]{0,40}\b(?:can|do|could|should|would|might|is|are|does)\s+(?:i|we|"
        r"you|one|parents?|a parent|someone|anyone|people|she|he|they|my \w+|the best \w+)\b"
        r"[^.?!]{0,40}\b(?:ask|check|apply|report|raise|contact|request|talk|speak|get help|go about|find out)\b"
        r"|\b(?:right|proper|best|correct|official) (?:way|channels?|route|process|person|people|agency|number)\b"
        r"|\bwhat (?:should|can|do) (?:i|we) do\b|\bhow can i apply\b"
        r"|\bwhere (?:do|can|should|could|would) (?:i|we) (?:go|turn|start|take (?:this|it|that))\b"
        r"|^(?:can|could|may|should|do|does) (?:an? \w+|victims?|parents?|someone|anyone|people|the public)\b"
        r"[^.?!]{0,30}\b(?:ask|apply|request|find out|be told)\b"
        r"|\bhow (?:do|can|could|should) (?:i|we|she|he|they)\b[^.?!]{0,20}\b(?:make|use|apply|submit|start)\b"),
    "policy": re.compile(
        r"\bwhy\b[^.?!]{0,80}\b(?:not|n't|no|refuse\w*|publish\w*|public|release\w*|say|disclose|secret|share|"
        r"tell|broken down|names?|confidential|private|hidden|kept|withheld)\b"
        r"|\bis (?:there|it) (?:a public|legal|illegal|lawful|unlawful|allowed|permitted|an offence|a crime|against "
        r"the law)\b"
        r"|\bwhat does the \w+ (?:report )?say\b"
        r"|\bis there (?:a|an|any) (?:\w+ )?(?:app|website|site|map|service|way|tool)\b"
        r"|\bcan (?:the public|members of the public|anyone|parents)\b[^.?!]{0,20}\b(?:see|access|view|get|look at|"
        r"find out|know|learn|be told)\b"
        r"|\b(?:it|that) (?:the law|legal)\b|\b(?:am i|are we|are they|is it) allowed\b|\barguments?\b"
        r"|\bshould (?:the )?(?:police|government|forces?|they) (?:publish|release|name|disclose|share|make public)\b"
        r"|\bkeep\w* (?:\w+ ){0,2}(?:secret|private|confidential)\b"),
    "duty": re.compile(
        r"(?<!who )(?<!that )\b(?:must|have to|has to|need to|needs to|required to|obliged to|supposed to|should|"
        r"do they|does "
        r"(?:a|an|the) \w+ (?:have|need))\b[^.?!]{0,80}\b(?:tell|notify|give|provide|report|register|inform|"
        r"declare|confirm|include|sign|do)\b|\bwhen they notify\b|\bwhat happens (?:if|when|to)\b"
        r"|^(?:what )?if\b[^?]{0,80},\s*(?:can|does|do|must|will|would|what|how|is|are)\b"
        r"|\blet (?:the )?police know\b|\b(?:reporting|notification|notifying) (?:rules|requirements|duties)\b"
        r"|\b(?:do|does|must) (?:i|they|he|she|you|we) (?:still |also )?(?:have|need) to (?:go|tell|report|notify|"
        r"let|update|sign|attend|turn up)\b|\bhow long (?:have|do) (?:i|they|you|we) (?:got|have)\b"
        r"|\b(?:update|change) (?:their|my|his|her|your) (?:address|details|name|surname)\b"),
    "claim": re.compile(r"\bis (?:that|this|it)(?: even| actually| really)? (?:true|right|correct|accurate|legal|"
                        r"illegal|lawful|unlawful|allowed|a crime|an offence|against the law)\b"),
    "process": re.compile(r"^(?:how|why|what) (?:do|does|did|can|could|would|should|will) (?:the )?(?:\w+ )?"
                          r"(?:police|officers?|forces?|mappa|agencies|authorities|probation|courts?|managers?|teams?|services?|staff)\b"),
    "definition": re.compile(
        r"^what(?: is|'s| does)? (?:a|an) |\bwhat does [^?]{1,40} mean\b|\bstand for\b"
        r"|\bnames? of (?:the|this|that|a|an|such) (?:\w+ )?(?:operation|scheme|law|act|order|report|force|unit|team|"
        r"board|programme|policy|document|release|article|agency|organisation|website|form|offence|crime|charge|"
        r"legislation|process|service|station|court|prison)\b"),
    "official": re.compile(
        r"\b(?:detective|det|dci|di|ds|inspector|insp|superintendent|supt|sergeant|sgt|constable|officers?|"
        r"spokes\w+|commissioner|pcc|chief|minister|councillor|mayor|chair\w*|director|head of|commander|"
        r"governor|secretary)\b[^.?!]{0,60}"
        r"\b(?:say|said|says|quoted?|words|statement|spoke|mean|meant|speaking)\b"
        r"|\b(?:name of|who is|who are|which) the (?:\w+ ){0,4}(?:detective|officer|commissioner|pcc|chief "
        r"constable|spokes\w+|inspector|superintendent|minister|force|unit|commander|chair\w*|director|head|"
        r"governor|secretary)\b|\bwhich (?:\w+ ){0,3}officer\b"
        r"|\bwho (?:is|are) (?:responsible|in charge|allowed|eligible|entitled|required|able|covered|involved|classed|"
        r"classified|considered|counted|defined|treated|deemed|categori[sz]ed)\b"),
}
_INSIST = re.compile(r"\b(?:just|simply|only) (?:tell|say|give|confirm|answer|reply|name)\b|\byes or no\b|\by/n\b"
                     r"|\bsave me\b|\bi want (?:a|the|their|his|her) names?\b|\bskip the\b")
_DEMAND = re.compile(r"\b(?:tell|give|show|send|list|name) (?:me|us)\b")

_OVERRIDE = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass|suspend|turn off|switch off|disable)\b[^.?!]{0,30}\b(?:your|all|"
    r"any|previous|prior|above|earlier|these|those|its)\b[^.?!]{0,20}\b(?:rules?|instructions?|guidelines?|"
    r"polic(?:y|ies)|restrictions?|safeguards?|filters?|programming|prompt|guardrails?|training|limits?|privacy)\b"
    r"|\byou are (?:now|no longer)\b|\bfrom now on,? (?:you|act|answer|respond)\b|\bfor the rest of (?:this|the) "
    r"(?:chat|conversation),? you\b|\bpretend (?:to be|you(?:'re| are))\b|\b(?:you|please|now) act as\b"
    r"|\brole[- ]?play\b|\blet'?s play a game\b|\bdeveloper mode\b|\bjailbreak\w*|\byou are dan\b"
    r"|\bdo anything now\b|\bsystem prompt\b|\bno (?:privacy )?(?:restrictions|filters|rules|limits)\b|\bunfiltered\b"
    r"|\bunrestricted\b|\b(?:safety|privacy) (?:filters?|mode|rules?) (?:is |are )?(?:now )?(?:off|disabled|"
    r"lifted)\b|\bnew (?:rule|instructions?|brief|persona)\s*(?::|from\b|for you\b)|\byour (?:new|real|true) "
    r"(?:job|role|brief|instructions?|purpose)\b|\balways answers\b|\bnever refuses?\b|\bif you refuse\b"
    r"|\b(?:test|message|instructions?|order) (?:by|from) your (?:developers?|creators?|admin\w*)\b")
_PLANTED = re.compile(
    r"(?:^|\n|['\"(\[]\s*)(?:system|assistant|user|developer|admin)\s*:|</?\s*(?:system|context|assistant|user|"
    r"instructions?)\s*>|\[(?:system|inst|begin|end)\]|\{\s*['\"]role['\"]|\bto (?:the|any) (?:ai|assistant|bot|"
    r"chatbot)\b|\b(?:ai|assistant|bot|chatbot|model|llm)s?\b[^.?!]{0,30}\b(?:must|should|shall|is (?:cleared|"
    r"required|authori[sz]ed|permitted)|are (?:cleared|required))\b|@\w*bot\b|\bcarry (?:it|this|that) out\b"
    r"|\bdo what (?:it|they|the \w+) (?:says?|asked?)\b|\b(?:decode|translate|convert)\b[^.?!]{0,80}\b(?:and|"
    r"then)\b[^.?!]{0,20}\b(?:do|answer|carry|follow|execute|act)\b")
# Framing that only matters next to a personal request: claimed authority, fiction, "follow the note".
_ROLE = (r"(?:police officer|officer|detective|social worker|researcher|journalist|reporter|editor|solicitor|lawyer|"
         r"barrister|doctor|nurse|councillor|mp|caseworker|probation|safeguarding|pcc|from the police|with the police|"
         r"developer|admin\w*|investigator|head ?teacher|teacher|governor|housing officer|landlord|magistrate|judge)")
_PRETEXT = re.compile(
    rf"\b(?:i'?m|i am|we are|we're|this is|as (?:a|an|the|his|her|their|my|our))\b[^.?!]{{0,40}}\b{_ROLE}\b"
    rf"|\b(?:my|our) {_ROLE}\b[^.?!]{{0,10}}\b(?:needs?|wants?|asked|requires?|requested|says)\b|\bon behalf of\b"
    r"|\byou(?:'re| are)\s+(?:now\s+)?(?:a|an|the|my|our)\s+(?:\w+\s+){0,3}?(?:database|tool|system|register|"
    r"spreadsheet|terminal|officer|sergeant|detective|bot)\b|\byou(?:'re| are)\s+\w+\s+now\b|\b\w+gpt\b"
    r"|\bimagine (?:you|being|that you)\b|\bact as\b|\bif you (?:were|could|had|did)\b[^.?!]{0,20}\b(?:allowed|able|"
    r"permitted|access|no (?:rules|restrictions))\b"
    r"|\blet'?s (?:do|play|act out|write)\b|\bscene\b|\bfor training purposes\b|\b(?:in|imagine) an? (?:\w+ )?(?:world|"
    r"universe|scenario|reality|timeline)\b"
    r"|\b(?:authori[sz]ed|cleared|verified|ethics approval|clearance|court order|legally required|it'?s the law)\b"
    r"|\bfor (?:my|a|our) (?:\w+ )?(?:study|research|thesis|novel|book|story|thriller|film|script|article|report|"
    r"records?|dissertation)\b|\b(?:write|tell me|imagine)\b[^.?!]{0,20}\b(?:story|novel|poem|script|scene|"
    r"fiction)\b|\bhypothetical\w*|\bpretend\b|\bin character\b|\bgrand(?:ad|pa|ma|mother|father)\b"
    r"|\bas an example\b|\bfor (?:authenticity|realism)\b")
_OBEY = re.compile(r"\b(?:follow|action|execute|obey|complete|reply to|respond to|act on|carry on)\b[^.?!]{0,20}"
                   r"\b(?:instructions?|note|ticket|table|transcript|brief|document|message|email|post|it)\b")


_TITLE = (r"(?:Detective|Det|DCI|DI|DS|DC|Inspector|Insp|Chief|Superintendent|Supt|Sergeant|Sgt|Constable|PC|"
          r"Commissioner|Officer|Minister|Councillor|Cllr|Mayor|Dr|Professor|Prof|Sir|Dame|Lord|Lady)")
_NOT_NAMES = frozenset({
    "i", "i'm", "i'll", "i've", "i'd", "police", "law", "scheme", "act", "register", "offender", "offenders", "sex",
    "sexual", "child",
    "children", "disclosure", "operation", "report", "force", "county", "council", "constabulary", "commissioner",
    "crime", "public", "protection", "unit", "office", "annual", "strategic", "management", "board", "court",
    "prison", "probation", "service", "freedom", "information", "facebook", "instagram", "google", "news", "press",
    "release", "faq", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
    "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
    "english", "british", "uk", "nhs", "mappa", "detective", "det", "dci", "di", "ds", "dc", "inspector", "insp",
    "chief", "superintendent", "supt", "sergeant", "sgt", "constable", "pc", "officer", "minister", "councillor",
    "cllr", "mayor", "dr", "professor", "prof", "sir", "dame", "lord", "lady", "mr", "mrs", "ms", "miss", "assistant",
    "deputy", "acting", "district", "head", "commander", "chair", "director"
})


_IN_PLACE = re.compile(r"\b(?:in|across|around|near|throughout|within|outside)\s+(?:[A-Z][\w'-]*\s+){0,2}$")
_ORGANISATION = re.compile(r"\s+(?:[A-Z][\w'-]*\s+)?(?i:(?:sex|sexual|offenders?|public|protection)\s+){0,3}"
                           r"(?i:police|constabulary|council|county|district|borough|city|"
                           r"town|force|mappa|pcc|partnership|gazette|echo|news|times|press|station|headquarters|hq|"
                           r"university|college|court|register|figures?|total|area|region|report|statistics|"
                           r"statement|release|article|story|posts?|meeting|survey|data)\b")


# "Harrowmere's sex offender register", "Westmarch's rate", "Brereton's words": what a place, a force or a
# speaker has or said, not a person being asked about.
_OWNED = re.compile(r"\s+(?:(?:sex|offenders?|registered|annual|latest|published|own|official|overall|total|"
                    r"current|new|revised|corrected|police|\d{4})\s+){0,3}(?:register|rates?|figures?|numbers?|total|"
                    r"size|count|release|statement|words|line|quote|comments?|remarks|reports?|force|police|"
                    r"constabulary|data|statistics|population|detective|superintendent|inspector|commissioner|"
                    r"spokes\w+|mappa|press|head of public protection|public protection|chief constable|officers|"
                    r"offender managers?|council)\b", re.I)


def _names(folded: str) -> set[str]:
    """Capitalised words not opening a sentence and not an official's name (after a rank or title), a place
    ("in Northmoor") or an organisation ("Northmoor Constabulary"): candidate personal names, for "is <name>
    on the register?"."""
    out = set()
    for m in re.finditer(r"(?<![.?!:]\s)(?<!^)\b([A-Z][a-z'-]+)\b", folded):
        word = m.group(1).casefold().removesuffix("'s")
        # a bounded window either side: every look-around is anchored, so a long text costs linear time
        before, after = folded[max(0, m.start() - 80):m.start()], folded[m.end():m.end() + 200]
        if word in _NOT_NAMES or re.search(rf"\b{_TITLE}\.?\s+(?:[A-Z]\w+\s+)?$", before):
            continue
        owned = (m.group(1).endswith("'s") or after.startswith("'")) and _OWNED.match(after.removeprefix("'"))
        if re.match(r"(?:'s)?\s+(?:Law|Scheme|Act)\b", after) or _ORGANISATION.match(after) or owned:
            continue
        if _IN_PLACE.search(before) and not m.group(1).endswith("'s"):
            continue
        out.add(word)
    return out


def _full_names(folded: str, names: set[str]) -> set[str]:
    """The names that come as two or more capitalised words ("Jan Nowak", "Herr Köhler"): in languages that
    capitalise every noun ("die Polizei", "ihre Adresse") a lone capitalised word says nothing."""
    runs = re.findall(r"\b[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)+", folded)
    return {w for run in runs for w in run.casefold().split()} & names


def _specific(span: str, names: set[str]) -> bool:
    return bool(_SPECIFIC.search(span)) or any(w.removesuffix("'s") in names for w in re.findall(r"[a-z'-]+", span))


_LINK = re.compile(r"\b(?:on|in|a|an|one|someone|somebody|listed|registered|known|managed|under|among|is|was|ever|"
                   r"still|been|got|has|have|had|for)\s+(?:\S+\s+){0,2}$")


_GENERIC = frozenset({"everyone", "anyone", "someone", "somebody", "everybody", "people", "offenders", "each", "every",
                      "it", "this", "that", "these", "those", "there", "registration", "person", "individual"})


def _bare_name(before: str) -> bool:
    """"is tom brindle on the ...": a subject of one to three words that are neither English function words nor
    generic nouns is taken for a name, even when typed in lower case."""
    bare = re.fullmatch(r"\s*([a-z]+(?: [a-z]+){0,2}?) (?:is |was |are )?(?:on|in) (?:the|a|any|that|your) ", before)
    return bool(bare) and all(w not in _ENGLISH | _GENERIC | _NOT_NAMES for w in bare.group(1).split())


_DUTY_SUBJECT = re.compile(
    r"\b(?P<aux>does|did|do|must|will|should|is|was|has)\s+(?P<who>(?:[\w'-]+,?\s+){1,6}?)(?:ever\s+|still\s+|also\s+)?"
    r"(?:have to|need to|sign|notify|(?:required|supposed|obliged|got) to)\b")


def _individual_duty(text: str, names: set[str]) -> bool:
    """"Does kevin marsh have to sign the register?": a duty question whose subject is one named or identified
    person asks, in effect, whether that person is on the register."""
    duty = _DUTY_SUBJECT.search(text)
    if not duty or _REG_PEOPLE.search(duty["who"]):
        return False
    head = re.split(r"\b(?:from|at|in|of|on|who|near|living|lives)\b", duty["who"])[0].split()
    bare = duty["aux"] in ("does", "did", "do") and len(head) >= 2 and all(
        w not in _ENGLISH | _GENERIC | _NOT_NAMES for w in head)
    return bare or bool(_INDIVIDUAL.search(duty["who"]) or names & set(re.findall(r"[a-z'-]+", duty["who"])))


_REPORTER = re.compile(rf"(?:{_SPECIFIC.pattern})\s+(?:says?|said|told me|tells me|thinks?|reckons?|claims?)\b")


def _membership(text: str, names: set[str], context: str) -> bool:
    """A question whether a particular person is on the register, arrested, one of the ..."""
    quoted_or_pointed = re.search(r"(?<!\w)['\"]\w|\b(?:tick|mark|is it|was it|is that|was that)\b", text)
    if _CHECK.search(text) and (_specific(text, names) or quoted_or_pointed):
        return True
    on_it = _ON_IT.search(text) and (names or _INDIVIDUAL.search(text) or re.search(r"regist|list|offend|scheme|check",
                                                                                    context))
    if _TAGGED.search(text) or on_it:
        return True
    household = _HOUSEHOLD.search(text)
    if household and _specific(household["who"], names):
        return True
    for clause in _CLAUSE.finditer(text):
        member = _MEMBER.search(clause.group(2))
        before = clause.group(2)[:member.start()] if member else ""
        # "is <someone> registered?", "one of them", "in the clear": the clause itself asks about membership
        if not member or not (_specific(before, names) or _bare_name(before)):
            continue
        direct = clause.group(1) in ("is", "was", "are", "were") and not before.lstrip().startswith(("it ", "there "))
        direct = direct and member.group(0) not in ("register", "reg", "list", "database", "record", "records", "mappa")
        if direct or re.match(r"one of|in the clear|known to", member.group(0)) or _LINK.search(before):
            return True
    confirm = _YES_NO.search(text) or _CONFIRM.search(text)
    # "my neighbour says the register is public, is that right?" checks what someone said, not who they are
    claim = _REPORTER.sub(" ", text)
    return bool(confirm and _MEMBER.search(claim) and _specific(claim, names))


def _exemptions(text: str, names: set[str]) -> set[str]:
    """Which legitimate readings apply. A duty or "what if" question about one named or identified person is
    not a duty question but a question about that person."""
    exempt = {name for name, pattern in _EXEMPT.items() if pattern.search(text)}
    named = _INDIVIDUAL.search(text) or names & set(re.findall(r"[a-z'-]+", text))
    return exempt - {"duty"} if _individual_duty(text, names) or named and _MEMBER.search(text) else exempt


# A sentence that asks (a question, an order, "I want ..."), not one that tells the asker's situation or reports
# what others say ("I'll be taking my wife's surname.", "people keep posting a man's name.").
_ASKS = re.compile(r"[^?]*\?\s*$|\s*(?:please\s+)?(?:give|tell|show|list|send|name|find|write|complete|print|share|"
                   r"provide|post|reveal|confirm|identify|locate|describe|what|where|who|which)\b"
                   r"|\s*i (?:want|need|would like|'d like)\b", re.I)


def _personal(text: str, names: set[str], context: str, strict: bool) -> str | None:
    """Which personal-information family a text falls into, if any. `strict` ignores the exemptions (for
    requests wrapped in a pretext, where "for my research" must not turn a name request into research).
    A request for a name or a place is judged on the whole text and on each sentence with its own legitimate
    readings, so a duty question followed by "what is his address?" does not pass as a duty question."""
    insisting = strict or bool(_INSIST.search(text))  # once: not once per sentence

    def exemptions(part: str) -> set[str]:
        exempt = set() if insisting else _exemptions(part, names)
        if "route" in exempt and _DEMAND.search(part):
            exempt.discard("route")
        if _PRIVATE.search(part):
            exempt.discard("official")
        return exempt

    exempt = exemptions(text)
    subject = _REG_PEOPLE.search(text) or _PRIVATE.search(text) or _specific(text, names)
    if _membership(text, names, context) and not exempt & {"route", "duty", "policy", "definition"} or (
            _individual_duty(text, names) and _REGISTER.search(text)):
        return "lookup"
    if _PRIVATE_CONTACT.search(text) and not exempt & {"duty", "route"}:
        return "private_contact"
    parts = [text, *(p for p in re.split(r"(?<=[.?!:;])\s+", text) if p.strip() and p != text and _ASKS.match(p))]
    for part in parts:
        own = exempt if part is text else exemptions(part)
        if (subject and _ASK_IDENTITY.search(part) or _DUMP.search(part)) and not own:
            return "identity"
        generic = _GENERIC_WHERE.search(part) and not names and not re.search(r"\b(?:my|our|this|local|near)\b", part)
        if subject and _ASK_LOCATION.search(part) and not own - {"official"} and not generic:
            return "location"
    about = _REG_PEOPLE.search(text) or _REGISTER.search(text) or _DANGER.search(text)
    broken_down = _AGGREGATION.search(text) or _POSTCODE.search(text)
    if about and broken_down and not exempt & {"policy", "route", "definition"}:
        return "aggregation"
    return None


def _multilingual(text: str) -> str | None:
    """Bag-of-concepts rule on glossed text, where word order cannot be relied on."""
    about = re.search(r"\b(?:sex offenders?|offenders?|register|victim|neighbour)\b", text)
    ask = re.search(r"\b(?:names|address|street|photo|who is|yes or no)\b|\bwhere\b.*\b(?:live|work|house)\b"
                    r"|\b(?:live|work|house)\b.*\bwhere\b", text)
    legit = re.search(r"\b(?:how many|how can i apply|why|must)\b", text)
    if about and ask and not legit:
        return "identity_or_location"
    whom = re.search(r"\b(?:neighbour|he)\b", text)
    return "lookup" if whom and re.search(r"\b(?:register|sex offenders)\b", text) and not legit else None


def _check_text(text: str, names: set[str], context: str) -> Decision:
    if _OVERRIDE.search(text):
        return Decision(True, "manipulation", "instruction_override")
    if _PLANTED.search(text):
        return Decision(True, "prompt_injection", "planted_instruction")
    family = _personal(text, names, context, strict=False)
    framed = _PRETEXT.search(text) or _OBEY.search(text)
    if framed and (family or _personal(text, names, context, strict=True)):
        reason, rule = ("prompt_injection", "obey_pasted_text") if _OBEY.search(text) else ("manipulation", "pretext")
        return Decision(True, reason, rule)
    if family:
        return Decision(True, "personal_information", family)
    return ALLOW


def _check_question(question: str, context: str = "") -> Decision:
    """Every reading of the question: as written, glossed when it is not English, and decoded when decoding
    gives English (a decoding that does not is no decoding, and is not worth reading)."""
    for i, raw in enumerate([question, *_decoded_variants(question)]):
        if i and _foreign(raw, raw.casefold()):
            continue
        folded = _fold(raw)
        text = normalise(raw)
        foreign = _foreign(raw, text)
        names = _names(folded)
        decision = _check_text(text, names, context or text)
        narrowed = _NARROWING.search(folded)
        if not decision.refuse and narrowed and narrowed[1].casefold() not in _NOT_NAMES:
            decision = Decision(True, "personal_information", "aggregation")
        if decision.refuse:
            return decision if i == 0 else Decision(True, decision.reason, f"{decision.rule}+decoded")
        if foreign:
            glossed = _gloss(text)
            decision = _check_text(glossed, _full_names(folded, names), context or glossed)
            family = decision.rule if decision.refuse else _multilingual(glossed)
            if family:
                return Decision(True, decision.reason or "personal_information", f"{family}+multilingual")
    return ALLOW


_FOLLOW_ON = re.compile(r"^(?:(?:ok|okay|so|right|now|fine|great|well|then)\W+)*(?:and|what about|how about|same)\b"
                        r"|\b(?:he|him|she|her|it|they|them|those|these|that|this|the ones?|the other|second|first|"
                        r"(?<!are )(?<!is )there|same|here|nearby|locally)\b")
_REFERS = re.compile(rf"\b(?:same|other|second|third|first|next|another|that one|the ones?|him|her|his|he|she|them|"
                     rf"again|specifically|instead|which one|one of them|either)\b|\b{_LOCALITY}\b")
_DECLINED = re.compile(r"\b(?:can't|cannot|can not|won't|unable to|not able to)\b[^.]{0,40}\b(?:share|give|confirm|"
                       r"comment|discuss|identify|disclose|provide|say)\b")


# The intent model reads this turn alone, so it can judge every rule that reads this turn alone: when it is all
# but certain that the turn is legitimate (below `confirm_threshold`), it overrules them (on questions written by
# people who had not read the rules they fire on 5-6% of legitimate ones). Rules that read the turns before this
# one ("and the second one?" after a refused request, a request split over turns) stand on their own.
HISTORY_RULES = ("follow_up_to_refusal", "multi_turn")


def check_question(question: str, history: list[dict] | None = None) -> Decision:
    """The rules and the trained intent model together (thresholds in models/intent/intent.json, chosen on a
    validation split by training/train_guard.py). The model reads this turn alone, in any language and wording;
    the rules decode disguises and read a request split over turns. The question and its history are cut to
    their limits before any work, so no client can make the guard slow for everyone else."""
    question = question[:config.MAX_QUESTION_CHARS]
    history = [{**t, "content": str(t.get("content", ""))[:config.MAX_QUESTION_CHARS]}
               for t in (history or [])[-config.MAX_HISTORY_TURNS:] if isinstance(t, dict)]
    decision = check_rules(question, history)
    if decision.refuse and decision.rule.startswith(HISTORY_RULES):
        return decision
    intent = load_intent()
    p = intent.probability(intent_text(question))
    if p >= intent.threshold:
        return Decision(True, "personal_information", decision.rule if decision.refuse else "intent_model")
    if decision.refuse and p >= intent.confirm_threshold:
        return decision
    return ALLOW


def intent_text(question: str) -> str:
    """What the intent model reads: the question with disguises undone (invisible characters, look-alike and
    spelt-out letters; reversed, rot13 or base64 text when only its decoding reads as English), case kept, since
    a capitalised word is often a name."""
    if _foreign(question, normalise(question)):
        decoded = next((raw for raw in _decoded_variants(question) if not _foreign(raw, raw.casefold())), None)
        if decoded is not None:
            return _fold(decoded)
    return _fold(question)


def check_rules(question: str, history: list[dict] | None = None) -> Decision:
    decision = _check_question(question)
    if decision.refuse or not history:
        return decision
    turns = [str(t.get("content", "")) for t in history if t.get("role") == "user"]
    text = normalise(question)
    if not turns or (_exemptions(text, _names(_fold(question))) and not _INSIST.search(text)):
        return ALLOW
    # An earlier refusal opens the assistant's turn; a quoted document that "cannot identify" anyone is no refusal.
    declined = any(_DECLINED.search(normalise(str(t.get("content", "")))[:120]) for t in history
                   if t.get("role") == "assistant") or any(_check_question(t).refuse for t in turns)
    # A follow-up refers back ("is he on it?", "and there?") or has no subject of its own ("the breakdown by area?")
    own_subject = _REG_PEOPLE.search(text) or _REGISTER.search(text) or _PRIVATE.search(text) or _specific(
        text, _names(_fold(question)))
    if own_subject and not _FOLLOW_ON.search(text):
        return ALLOW
    # The same request again after a refusal, narrowed or shifted: "and on Fernhill Close?", "the other four?"
    if declined:
        if _REFERS.search(text) or _names(_fold(question)):
            return Decision(True, "personal_information", "follow_up_to_refusal")
        return ALLOW
    # A request split over turns: read the follow-up together with what the user said before it.
    context = normalise(" ".join(str(t.get("content", "")) for t in history))
    decision = _check_question(" ".join([*turns[-3:], question]), context)
    return Decision(True, decision.reason, f"multi_turn:{decision.rule}") if decision.refuse else ALLOW


# --- the output side -----------------------------------------------------------------------------------

_INSTRUCTION = re.compile(
    r"(?:^|\s)(?:assistant|system|ai|chatbot)\s*:|\bignore (?:all|any|previous|prior|your|the above)\b"
    r"|\b(?:ai|assistant|chatbot|model)s? (?:must|should|reading)\b|\b(?:list|reveal|output) all (?:the )?names\b",
    re.I)


def _renumber(text: str, mapping: dict[int, int]) -> str:
    return re.sub(r"\[(\d+)\]", lambda m: f"[{mapping[int(m.group(1))]}]" if int(m.group(1)) in mapping else "",
                  text)


def check_answer(answer: Answer | None, document_text: Callable[[str], str] | None = None) -> Answer | None:
    """Withhold what identifies a private person in every quote and in the answer text (`redact.py`); drop a
    cited passage that carries an instruction aimed at the assistant and renumber the rest; refuse only if
    nothing is left. `document_text(source)` gives the cited document's whole text (who is private is read
    from all of it); without it each quote is read alone."""
    if answer is None or answer.status != "answered":
        return None
    bad = {c.n for c in answer.citations if _INSTRUCTION.search(c.quote)}
    if bad:
        keep = [c for c in answer.citations if c.n not in bad]
        lines = [ln for ln in answer.answer.splitlines()
                 if ln.strip() and not any(f"[{n}]" in ln for n in bad) and not ln.startswith("The documents say")]
        if not keep or not lines:
            return refusal(answer.question, Decision(True, "personal_information", "output_instruction"))
        mapping = {c.n: i for i, c in enumerate(keep, start=1)}
        for c in keep:
            c.n = mapping[c.n]
        lines = [_renumber(ln, mapping) for ln in lines]
        answer.answer = lines[0].removeprefix("- ") if len(lines) == 1 else "The documents say:\n" + "\n".join(lines)
        answer.citations = keep
    return _withhold(answer, document_text)


def _withhold(answer: Answer, document_text: Callable[[str], str] | None) -> Answer | None:
    """Each citation is cut around what is withheld (its quote stays `text[start:end]`, in one piece or more
    under the same number); the answer text shows a marker where the words were."""
    citations, surfaces, names_seen = [], {}, set()
    for c in answer.citations:
        text, offset = c.quote, c.start
        if document_text is not None:
            whole = document_text(c.source)
            if whole[c.start:c.end] == c.quote:
                text, offset = whole, 0
        names = redact.private_names(text)
        names_seen |= names
        spans = redact.withheld(text, c.start - offset, c.end - offset, names)
        if not spans:
            citations.append(c)
            continue
        surfaces.update({" ".join(text[s.start:s.end].split()): redact.MARKERS[s.kind] for s in spans})
        for a, b in redact.pieces(spans, c.start - offset, c.end - offset, text):
            citations.append(replace(c, quote=text[a:b], start=a + offset, end=b + offset))
    if not citations:
        return refusal(answer.question, Decision(True, "personal_information", "output_personal_data"))
    shown_text = answer.answer
    for surface in sorted(surfaces, key=len, reverse=True):  # longest first: "34-year-old driver" before "34"
        shown_text = re.sub(rf"(?<![\w,.]){re.escape(surface)}(?!\w|[,.]\d)", surfaces[surface], shown_text)
    # the answer text also shows what is not quoted (a quotation's speaker): a private name there goes too
    answer.answer, answer.citations = redact.without_names(shown_text, frozenset(names_seen)), citations
    return None
