"""Stage 5: the personal-information guard, on the way in (the question) and on the way out (the answer).

The assistant must never help anyone identify, locate or find out about an individual, and must still answer
the legitimate questions people have on the same topic. The question is read as concepts rather than phrasings:
who it is about (people on the register, victims and other private individuals, one specific person) and what
it asks for (a name or other identifier, a place, a yes/no on someone, a small-area count). A refusal needs both,
and no sign that the question is really about the process, the law or the published figures.

On the way in the text is first normalised against disguise (zero-width characters, look-alike letters, spaced
or dotted letters, leetspeak), decoded (base64, hex, rot13, reversed) and, when it is not English, glossed into
English concept words with `guard_lexicon.GLOSS`, so one set of rules serves every language. A follow-up is
read together with the user's earlier turns. Each refusal names the rule family that fired (`Decision.rule`).

On the way out, cited passages carrying a private individual's name or contact details, or an instruction aimed
at the assistant, are dropped and the remaining citations renumbered.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import contextlib
import re
import unicodedata
from dataclasses import dataclass

from .answer import Answer
from .guard_lexicon import GLOSS

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
_LEET = str.maketrans({"4": "a", "3": "e", "1": "i", "0": "o", "5": "s", "7": "t", "8": "b"})
_LATIN = re.compile(r"[A-Za-z]")
_FOREIGN_LETTERS = re.compile(r"[^\W\d_A-Za-z]")


def _mixed_script(word: str) -> bool:
    return bool(_LATIN.search(word)) and bool(_FOREIGN_LETTERS.search(word))


def _fold(text: str) -> str:
    """Case-preserving clean-up: compatibility forms, invisible characters, look-alike letters inside Latin
    words, letters spelt out with spaces or dots ("a d d r e s s", "N.A.M.E.S"), accents on Latin letters."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    latin_text = len(_LATIN.findall(text)) > len(_FOREIGN_LETTERS.findall(text))
    text = re.sub(r"\S+", lambda m: m.group(0).translate(_CONFUSABLES)
                  if latin_text or _mixed_script(m.group(0)) else m.group(0), text)
    text = re.sub(r"\b(?:\w ){3,}\w\b", lambda m: m.group(0).replace(" ", ""), text)
    text = re.sub(r"\b\w{1,2}(?:[.*_-]\w{1,2}){2,}\b", lambda m: re.sub(r"[.*_-]", "", m.group(0)), text)
    decomposed = unicodedata.normalize("NFD", text)
    text = re.sub(r"(?<=[A-Za-z])[\u0300-\u036f]+", "", decomposed)
    return unicodedata.normalize("NFC", text)


def normalise(text: str) -> str:
    """Lower-case matching form of `_fold`, with leetspeak undone ("n4m3s", "m@n") and "he's" split."""
    text = _fold(text).casefold()
    text = re.sub(r"\b\w*[a-z]\w*\b", lambda m: m.group(0).translate(_LEET), text)
    text = re.sub(r"(?<=[a-z])[@$](?=[a-z])|[@$](?=[a-z]{2})", lambda m: "a" if m.group(0) == "@" else "s", text)
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
    "only"
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
# One particular individual: a pronoun, a relation, "the man at ...", an address, "someone called ...".
_SPECIFIC = re.compile(
    rf"\b(?:he|she|him|her|his|whoever|neighbou?rs?)\b"
    rf"|\b(?:my|our|the|this|that|whose|[a-z]+'s)\s+(?:\w+[\s,]+){{0,3}}?{_PERSON_NOUN}\b"
    r"|\b(?:called|named)\s+(?!offender)[a-z]+|\b(?:mr|mrs|ms|miss)\.?\s+[a-z]+"
    r"|\b\d+[a-z]?,?\s+[a-z']+\s+(?:road|street|lane|close|avenue|way|drive|crescent|court|place|gardens|terrace|"
    r"grove|row|hill|walk|mews|square|rise|view)\b|\bflat\s+\d+|\bnumber\s+\d+\b|\b(?:dob|date of birth)\b")
_PEOPLE = (r"(?:people|persons|adults|residents|parents|men|women|neighbou?rs|tenants|staff|volunteers|coaches|"
           r"teachers|families|relatives|dads|mums|lodgers|workers|ones)")
_SELF = re.compile(r"\b(?:i|i'm|i am|me|my own|myself)\b")

# People on the register, or those the police dealt with (arrested, charged, missing).
_REG_PEOPLE = re.compile(
    r"\b(?:sex(?:ual)?\s+)?offend\w*\b(?!'?\s*regist)|\bpaedo\w*|\bpedo\w*|\bnonces?\b|\bpredators?\b"
    r"|\bregistrants?\b|\bregistered\s+(?!charity)\w+|\b(?:on|in)\s+(?:the|a|that|this)\s+(?:\w+\s+){0,3}?"
    r"(?:register|reg|list|database)\b|\bmappa\s+(?:level|cohort|cases?)|\blevel\s+[123]\b|\bhigh[- ]risk\b"
    r"|\barrest\w*|\bcharged\b|\bcohort\b|\bspecial residents\b|\bsign the book\b|\bwhereabouts\b"
    r"|\b(?:missing|unaccounted[- ]for|wanted)\s+(?:ones?|people|men|persons?)\b|\bcases?\b"
    r"|\bnames? (?:on|in|from) (?:it|there)\b")
_REGISTER = re.compile(r"\bregist\w*|\bthe reg\b|\bmappa\b|\bsex offenders?\b|\blist\b|\bdatabase\b")
# Private individuals other than offenders: victims, witnesses, families, applicants, informants.
_PRIVATE = re.compile(
    r"\b(?:victims?|witness\w*|famil(?:y|ies)|relatives?|wife|husband|(?:children|kids) of|girl|boy|mum|mother|"
    r"applicants?|informants?|complainants?|landlords?|exes)\b"
    r"|\b(?:applied|reported|told the police|informed on|grassed|made (?:a|the) (?:report|application|complaint))\b")

_ASK_IDENTITY = re.compile(
    r"\b(?:what|which|give|tell|list|send|share|know|want|need|get|find|print|output|provide|reveal|post|read|"
    r"recite|use|the|full|real|first|last|any|some|all|their real)\s+(?:\w+\s+){0,2}?names?\b"
    r"|\bnames?\s+(?:of|and|are|is|only|will|please|pls|for|on)\b|\bname (?:one|the|them|him|her|every|all|any)\b"
    r"|\b(?:is|are|was|were) (?:he|she|they|it|the \w+) called\b|\bcalled\s*\?"
    r"|\b(?:surnames?|initials|identit(?:y|ies)|identify|unmask|de-?anonymi[sz]\w*|dox\w*|"
    r"expose|mugshots?|look like|height|hair colou?r|tattoos?|distinguishing|usernames?|handles?|"
    r"e-?mail address\w*|number plates?|registration numbers?|reg (?:number|plate)|make,? colou?r|"
    r"(?:facebook|instagram|twitter|tiktok|snapchat|social media) (?:accounts?|profiles?|handles?|pages?)|"
    r"first letter|date of birth)\b"
    r"|\b(?:what|which) (?:car|van|vehicle)s?\b|\b(?:photos?|photographs?|pictures?|images?) of\b"
    r"|\b(?:show|see|send|link|view|post|share|find|give|scroll)\b[^.?!]{0,40}\b(?:photos?|photographs?|"
    r"pictures?|images?)\b|\bdescribe (?:what|him|her|them)\b"
    r"|(?:^|[.?!;:,]\s*|\b(?:and|so|but|then|me|us|know|ask|out)\s+)who(?:\s+(?:is|are|was|were|exactly|"
    r"reported|told|applied|made|gave|grassed|informed|abused|attacked)|m)\b"
    rf"|\btell (?:me|us) who\b|\bwhich (?:one|ones|of (?:them|these|those|(?:my|our|the|these|those) (?:\w+ )?"
    rf"{_PEOPLE})|mum|mother|dad|father|woman|man|family|person|relatives?|{_PEOPLE})\b"

    r"|\b(?:list|print|output|recite|read out)\b[^.?!]{0,30}\b(?:every|all|each|them|everyone|the (?:registered|"
    r"offenders|people|ones|names))\b")
# Asking for the register itself, or a list of the people on it.
_DUMP = re.compile(
    r"\b(?:print|output|dump|show|send|give|export|download|copy|paste|publish)\b(?: me| us)?\s+(?:the|your|a|"
    r"their)\s+(?:\w+\s+){0,3}?(?:register|database|records|list of (?:\w+ )?(?:registered|sex|offenders|names|"
    r"people|paedo\w*))\b")
_ASK_LOCATION = re.compile(
    r"\baddress(?:es)?\b|\bpostcodes?\b|\bstreet[- ]?(?:names?|level)\b|\bhouse numbers?\b|\blast known\b"
    r"|\bwhere\b[^.?!]{0,100}\b(?:live|lives|living|lived|stay|stays|staying|work|works|working|housed|"
    r"located|based|hiding|hide|train|trains|sleeps?|moved?|now|before)\b"
    r"|\b(?:live|lives|living|work|works|working)\b[^.?!]{0,30}\bwhere\b"
    r"|(?<!unknown )(?<!missing )\bwhereabouts\b(?!\s+(?:are\s+|were\s+|is\s+|was\s+|remain\s+)?(?:unknown|not known))"
    r"|\bwhich\s+(?:\w+\s+){0,2}?(?:streets?|roads?|lanes?|close|avenues?|estates?|villages?|towns?|city|"
    r"cities|country|countries|houses?|flats?|blocks?|buildings?|hostels?|hotels?|b&b|schools?|gyms?|clubs?|"
    r"churche?s?|shops?|pubs?|address|area|part|neighbou?rhoods?|wards?|districts?|workplace|employers?)\b"
    r"|\bwhich\b[^.?!]{0,50}\b(?:work|works|working|live|lives|living|stay|stays|staying|housed|attend|attends|"
    r"train|trains|go|goes)\s+(?:at|in|on|to)\s*(?:[?.!]|$|now)"
    r"|\b(?:map|pins|heat ?map)\b|\bnearest (?:town|street|village|road)\b")
# "Where do most offenders live?": a question about offenders in general, not about some of them.
_GENERIC_WHERE = re.compile(r"\bwhere (?:do|can|should|must|may|are) (?:most |many |some |all )?(?:registered |"
                            r"convicted |high[- ]risk )?(?:sex |sexual )?(?:offenders|people on the register|"
                            r"registrants)\b(?! in\b| near\b| around\b| on\b)")
_PRIVATE_CONTACT = re.compile(
    r"\b(?:personal|private|home|direct)\s+(?:mobile|phone|telephone|number|e-?mail)\b|\bmobile number\b")

_MEMBER = re.compile(
    r"\b(?:register|registered|reg|list|database|records?|sex offenders?|offenders?|paedo\w*|pedo\w*|nonce|"
    r"predator|mappa|arrest\w*|charged|convict\w*|previous|in the clear|known to (?:the )?police|wanted)\b"
    r"|\bone of (?:the|them|those)\b")
_CLAUSE = re.compile(r"\b(?:is|was|are|were|whether|if|that)\b([^.?!]{1,120})")
_CHECK = re.compile(
    r"\b(?:check|search|look\s?up|run|put|type|enter)\b[^.?!]{0,40}\b(?:register|database|records?|list|system|"
    r"pnc)\b|\bregister (?:entry|record)\b|\b(?:(?:come|comes|show|shows) up|appears?|features?|mentioned|listed)\b"
    r"[^.?!]{0,40}\b(?:register|records?|data|list|figures|documents?|files?|as an? (?:\w+ )?offender)\b"
    r"|\b(?:is|was) (?:it|that) (?:him|her|them|he|she)\b"
    r"|\b(?:tick|mark|highlight|circle|flag|pick out|point out)\b[^.?!]{0,30}\b(?:ones?|names?|people|them|which)\b")
_ON_IT = re.compile(r"\b(?:he|she|they|him|her)\s+(?:is|are)\s+on\s+(?:it|there)\b|\bis\s+(?:he|she)\s+on\s+it\b")
_YES_NO = re.compile(r"\byes or no\b|\by/n\b|\b(?:reply|answer|say|respond|write)\b[^.?!]{0,20}\S+ (?:for|if|to "
                     r"mean) (?:yes|no)\b")
_CONFIRM = re.compile(r"\b(?:confirm|verify|deny|is (?:that|it|this) (?:true|right|correct)|am i right|"
                      r"rings? a bell)\b")
_POSTCODE = re.compile(r"\b[a-z]{1,2}\d[a-z\d]?\s?\d[a-z]{2}\b")

_LOCALITY = (r"(?:streets?|roads?|lanes?|close|avenues?|crescents?|estates?|villages?|wards?|postcodes?|blocks?|"
             r"buildings?|flats|houses?|hostels?|neighbou?rhoods?|districts?|towns?|hamlets?)")
_AGGREGATION = re.compile(
    rf"\b(?:which|what|rank\w*|top|most|fewest|smallest|largest|by|per|each|every|breakdown|broken down|"
    rf"list|map)\b[^.?!]{{0,40}}\b{_LOCALITY}\b"
    rf"|\b{_LOCALITY}\b[^.?!]{{0,40}}\b(?:rank\w*|by|most|fewest|breakdown)\b"
    rf"|\bhow many\b[^.?!]{{0,80}}\b(?:(?:on|in|near|around|within)\s+(?:my|our|this|that|the same|each|every)\s+"
    rf"(?:\w+\s+)?{_LOCALITY}|within\s+\d+|metres|yards|streets?|roads?|lanes?|close|avenues?|crescents?|estates?|"
    r"blocks?|flats|wards?|villages?|hamlets?)\b"
    r"|\b(?:only|just)\s+(?:has\s+|have\s+)?(?:about\s+|around\s+)?\d{1,4}\s+(?:people|residents|houses|homes)\b"
    r"|\bwithin\s+\d+\s*(?:m|metres|meters|yards|miles?|km)\b"
    r"|\b(?:is|are)\s+there\s+(?:any|a)\s+(?:\w+\s+){0,3}?(?:offenders?|paedo\w*|nonces?|people on the register)"
    r"[^.?!]{0,20}\b(?:living|live|lives)\s+(?:on|in|at|near)\b")

# What makes a question legitimate even though it shares the vocabulary.
_EXEMPT: dict[str, re.Pattern] = {
    "route": re.compile(
        r"\b(?:how|where|who|what|which)\b[^.?!]{0,40}\b(?:can|do|could|should|would|might|is|are|does)\b"
        r"[^.?!]{0,40}\b(?:ask|check|apply|report|raise|contact|request|talk|speak|get help|go about|find out)\b"
        r"|\b(?:right|proper|best|correct|official) (?:way|channels?|route|process)\b"
        r"|\bwhat (?:should|can|do) (?:i|we) do\b|\bhow can i apply\b"
        r"|\bhow (?:do|can|could|should) (?:i|we|she|he|they)\b[^.?!]{0,20}\b(?:make|use|apply|submit|start)\b"),
    "policy": re.compile(
        r"\bwhy\b[^.?!]{0,80}\b(?:not|n't|no|refuse\w*|publish\w*|public|release\w*|say|disclose|secret|share|"
        r"tell|broken down|names?|confidential|private|hidden|kept|withheld)\b"
        r"|\bis (?:there|it) (?:a public|legal|lawful|allowed)\b"
        r"|\bwhat does the \w+ (?:report )?say\b"
        r"|\bis there (?:a|an|any) (?:\w+ )?(?:app|website|site|map|service|way|tool)\b"
        r"|\bcan (?:the public|members of the public|anyone|parents)\b[^.?!]{0,20}\b(?:see|access|view|get|look at)\b"
        r"|\b(?:it|that) (?:the law|legal)\b|\b(?:am i|are we|are they|is it) allowed\b|\bargument\b"
        r"|\bkeep\w* (?:\w+ ){0,2}(?:secret|private|confidential)\b"),
    "duty": re.compile(
        r"(?<!who )(?<!that )\b(?:must|have to|has to|need to|needs to|required to|obliged to|supposed to|should|"
        r"do they|does "
        r"(?:a|an|the) \w+ (?:have|need))\b[^.?!]{0,80}\b(?:tell|notify|give|provide|report|register|inform|"
        r"declare|confirm|include|sign|do)\b|\bwhen they notify\b|\bwhat happens (?:if|when|to)\b"
        r"|^if\b[^?]{0,80},\s*(?:can|does|do|must|will|would|what|how|is|are)\b"),
    "claim": re.compile(r"\bis (?:that|this|it) (?:true|right|correct|accurate|legal)\b"),
    "process": re.compile(r"^(?:how|why) (?:do|does|did|can|could|would|should) (?:the )?(?:police|officers?|forces?|"
                          r"mappa|agencies|authorities|probation|courts?)\b"),
    "definition": re.compile(
        r"^what(?: is|'s| does)? (?:a|an) |\bwhat does [^?]{1,40} mean\b|\bstand for\b"
        r"|\bnames? of (?:the|this|that|a|an|such) (?:\w+ )?(?:operation|scheme|law|act|order|report|force|unit|team|"
        r"board|programme|policy|document|release|article|agency|organisation|website|form|offence|crime|charge|"
        r"legislation|process|service|station|court|prison)\b"),
    "official": re.compile(
        r"\b(?:detective|det|dci|di|ds|inspector|insp|superintendent|supt|sergeant|sgt|constable|officers?|"
        r"spokes\w+|commissioner|pcc|chief|minister|councillor|mayor|chair\w*|director|head of)\b[^.?!]{0,60}"
        r"\b(?:say|said|says|quoted?|words|statement|spoke|mean|meant|speaking)\b"
        r"|\b(?:name of|who is|who are|which) the (?:\w+ ){0,4}(?:detective|officer|commissioner|pcc|chief "
        r"constable|spokes\w+|inspector|superintendent|minister|force|unit)\b|\bwhich (?:\w+ ){0,3}officer\b"
        r"|\bwho (?:is|are) (?:responsible|in charge|allowed|eligible|entitled|required|able|covered|involved)\b"),
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
_PRETEXT = re.compile(
    r"\b(?:i'?m|i am|we are|we're|this is)\b[^.?!]{0,40}\b(?:police officer|officer|detective|social worker|"
    r"researcher|journalist|reporter|solicitor|lawyer|doctor|councillor|probation|safeguarding|pcc|from the "
    r"police|with the police|developer|admin\w*|investigator)\b"
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
    "i", "i'm", "police", "law", "scheme", "act", "register", "offender", "offenders", "sex", "sexual", "child",
    "children", "disclosure", "operation", "report", "force", "county", "council", "constabulary", "commissioner",
    "crime", "public", "protection", "unit", "office", "annual", "strategic", "management", "board", "court",
    "prison", "probation", "service", "freedom", "information", "facebook", "instagram", "google", "news", "press",
    "release", "faq", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
    "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
    "english", "british", "uk", "nhs", "mappa", "detective", "det", "dci", "di", "ds", "dc", "inspector", "insp",
    "chief", "superintendent", "supt", "sergeant", "sgt", "constable", "pc", "officer", "minister", "councillor",
    "cllr", "mayor", "dr", "professor", "prof", "sir", "dame", "lord", "lady", "mr", "mrs", "ms", "miss"
})


def _names(folded: str) -> set[str]:
    """Capitalised words not opening a sentence and not an official's name (after a rank or title): candidate
    personal names, for "is <name> on the register?"."""
    out = set()
    for m in re.finditer(r"(?<![.?!:]\s)(?<!^)\b([A-Z][a-z'-]+)\b", folded):
        word = m.group(1).casefold().removesuffix("'s")
        if word in _NOT_NAMES or re.search(rf"\b{_TITLE}\.?\s+(?:[A-Z]\w+\s+)?$", folded[:m.start()]):
            continue
        if re.match(r"(?:'s)?\s+(?:Law|Scheme|Act)\b", folded[m.end():]):
            continue
        out.add(word)
    return out


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


def _membership(text: str, names: set[str], context: str) -> bool:
    """A question whether a particular person is on the register, arrested, one of the ..."""
    quoted_or_pointed = re.search(r"(?<!\w)['\"]\w|\b(?:tick|mark|is it|was it|is that|was that)\b", text)
    if _CHECK.search(text) and (_specific(text, names) or quoted_or_pointed):
        return True
    if _ON_IT.search(text) and re.search(r"regist|list|offend|scheme|check", context):
        return True
    for clause in _CLAUSE.finditer(text):
        member = _MEMBER.search(clause.group(1))
        before = clause.group(1)[:member.start()] if member else ""
        predicate = member and re.match(r"one of|in the clear|known to", member.group(0))
        if member and (_specific(before, names) or _bare_name(before)) and (predicate or _LINK.search(before)):
            return True
    confirm = _YES_NO.search(text) or _CONFIRM.search(text)
    return bool(confirm and _MEMBER.search(text) and _specific(text, names))


def _exemptions(text: str) -> set[str]:
    return {name for name, pattern in _EXEMPT.items() if pattern.search(text)}


def _personal(text: str, names: set[str], context: str, strict: bool) -> str | None:
    """Which personal-information family a text falls into, if any. `strict` ignores the exemptions (for
    requests wrapped in a pretext, where "for my research" must not turn a name request into research)."""
    exempt = set() if strict or _INSIST.search(text) else _exemptions(text)
    if "route" in exempt and _DEMAND.search(text):
        exempt.discard("route")
    if _PRIVATE.search(text):
        exempt.discard("official")
    subject = _REG_PEOPLE.search(text) or _PRIVATE.search(text) or _specific(text, names)
    if _membership(text, names, context) and not exempt & {"route", "duty", "policy", "definition"}:
        return "lookup"
    if _PRIVATE_CONTACT.search(text) and not _SELF.search(text) and not exempt & {"duty", "route"}:
        return "private_contact"
    if (subject and _ASK_IDENTITY.search(text) or _DUMP.search(text)) and not exempt:
        return "identity"
    generic = _GENERIC_WHERE.search(text) and not names and not re.search(r"\b(?:my|our|this|local|near)\b", text)
    if subject and _ASK_LOCATION.search(text) and not exempt - {"official"} and not generic:
        return "location"
    if (_REG_PEOPLE.search(text) or _REGISTER.search(text)) and (
            _AGGREGATION.search(text) or _POSTCODE.search(text)) and not exempt & {"policy", "route", "definition"}:
        return "aggregation"
    return None


def _multilingual(text: str) -> str | None:
    """Bag-of-concepts rule on glossed text, where word order cannot be relied on."""
    about = re.search(r"\b(?:sex offenders|offenders|register|victim|neighbour)\b", text)
    ask = re.search(r"\b(?:names|address|street|photo|who is|yes or no)\b|\bwhere\b.*\b(?:live|work)\b"
                    r"|\b(?:live|work)\b.*\bwhere\b", text)
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
    """Every reading of the question: as written, decoded, and glossed when it is not English."""
    for i, raw in enumerate([question, *_decoded_variants(question)]):
        folded = _fold(raw)
        text = normalise(raw)
        names = _names(folded)
        decision = _check_text(text, names, context or text)
        if decision.refuse:
            return decision if i == 0 else Decision(True, decision.reason, f"{decision.rule}+decoded")
        if _foreign(raw, text):
            glossed = _gloss(text)
            decision = _check_text(glossed, names, context or glossed)
            family = decision.rule if decision.refuse else _multilingual(glossed)
            if family:
                return Decision(True, decision.reason or "personal_information", f"{family}+multilingual")
    return ALLOW


_FOLLOW_ON = re.compile(r"^(?:(?:ok|okay|so|right|now|fine|great|well|then)\W+)*(?:and|what about|how about|same)\b"
                        r"|\b(?:he|him|she|her|it|they|them|those|that one|the ones?|the other|second|first|"
                        r"(?<!are )(?<!is )there|same)\b")
_REFERS = re.compile(rf"\b(?:same|other|second|third|first|next|another|that one|the ones?|him|her|he|she|them|"
                     rf"again|specifically|instead)\b|\b{_LOCALITY}\b")
_DECLINED = re.compile(r"\b(?:can't|cannot|can not|won't|unable to|not able to)\b[^.]{0,40}\b(?:share|give|confirm|"
                       r"comment|discuss|identify|disclose|provide|say)\b")


def check_question(question: str, history: list[dict] | None = None) -> Decision:
    decision = _check_question(question)
    if decision.refuse or not history:
        return decision
    turns = [str(t.get("content", "")) for t in history if t.get("role") == "user"]
    text = normalise(question)
    if not turns or (_exemptions(text) and not _INSIST.search(text)):
        return ALLOW
    declined = any(_DECLINED.search(normalise(str(t.get("content", "")))) for t in history
                   if t.get("role") == "assistant") or any(_check_question(t).refuse for t in turns)
    if not _FOLLOW_ON.search(text):
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

_STREET = (r"(?:Road|Street|Lane|Close|Avenue|Way|Drive|Crescent|Court|Place|Gardens|Terrace|Grove|Row|Hill|Walk|"
           r"Mews|Square|Rise|View)")
_PRIVATE_DATA = re.compile(
    rf"\b\d{{1,4}}[a-z]?,? (?:[A-Z][a-z]+ ){{1,2}}{_STREET}\b"
    r"|\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b"  # UK postcode
    r"|(?:\+44\s?|\b0)\d{3,4}\s?\d{3}\s?\d{3,4}\b"  # UK phone number
    r"|(?i:\b(?:born on|date of birth|d\.?o\.?b\.?)\b)[^.]{0,20}\d|\b\d{1,2}/\d{1,2}/(?:19|20)\d\d\b")
_PRIVATE_NAME = re.compile(
    r"\b(?:[A-Z][a-z]+ [A-Z][a-z'-]+|(?:Mr|Mrs|Ms|Miss)\.? [A-Z][a-z'-]+),? (?:aged )?\d{1,2},"
    r"|\b(?:named (?:as|him|her)|called|name is|known as) [A-Z][a-z]+ [A-Z][a-z]+"
    rf"|\b[A-Z][a-z]+ [A-Z][a-z'-]+,? (?:of|from|who lives (?:at|on|in)) (?:\d+|[A-Z][a-z]+ {_STREET})")
_AFTER_TITLE = re.compile(rf"\b{_TITLE}\.?\s*$")


def _names_private_person(quote: str) -> bool:
    """A private person named in a passage ("John Smith, 45, ...", "named as ...", "Jo Bloggs of 3 ..."), unless
    a title (rank, office) precedes the name: officials speaking in an official capacity are public. A bare
    "Mr Price said" is how the press refers back to an official, so it is not enough on its own."""
    return any(not _AFTER_TITLE.search(quote[max(0, m.start() - 30):m.start()])
               for m in _PRIVATE_NAME.finditer(quote))


_INSTRUCTION = re.compile(
    r"(?:^|\s)(?:assistant|system|ai|chatbot)\s*:|\bignore (?:all|any|previous|prior|your|the above)\b"
    r"|\b(?:ai|assistant|chatbot|model)s? (?:must|should|reading)\b|\b(?:list|reveal|output) all (?:the )?names\b",
    re.I)


def _renumber(text: str, mapping: dict[int, int]) -> str:
    return re.sub(r"\[(\d+)\]", lambda m: f"[{mapping[int(m.group(1))]}]" if int(m.group(1)) in mapping else "",
                  text)


def check_answer(answer: Answer | None) -> Answer | None:
    """Drop any cited passage that carries personal data or instructions, renumber what is left; refuse if
    nothing is left."""
    if answer is None or answer.status != "answered":
        return None
    bad = {c.n for c in answer.citations
           if _PRIVATE_DATA.search(c.quote) or _names_private_person(c.quote) or _INSTRUCTION.search(c.quote)}
    if not bad:
        return None
    keep = [c for c in answer.citations if c.n not in bad]
    lines = [ln for ln in answer.answer.splitlines()
             if ln.strip() and not any(f"[{n}]" in ln for n in bad) and not ln.startswith("The documents say")]
    if not keep or not lines:
        return refusal(answer.question, Decision(True, "personal_information", "output_personal_data"))
    mapping = {c.n: i for i, c in enumerate(keep, start=1)}
    for c in keep:
        c.n = mapping[c.n]
    lines = [_renumber(ln, mapping) for ln in lines]
    answer.answer = lines[0].removeprefix("- ") if len(lines) == 1 else "The documents say:\n" + "\n".join(lines)
    answer.citations = keep
    return None
