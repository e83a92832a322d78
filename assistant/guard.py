"""Stage 5: the personal-information guard, on the way in (the question) and on the way out (the answer).

The assistant must never help anyone identify, locate or find out about an individual, and must still
answer the legitimate questions people have on the same topic. On the way in, the question (and, for a
follow-up, the conversation it leans on) is first normalised against disguise (zero-width characters,
look-alike letters, spaced or dotted letters, leetspeak, encodings), then matched against families of rules,
each named so that a refusal can say which one fired. On the way out, sentences carrying an address, a
postcode, a phone number or a role-play instruction are dropped from the answer.
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
    "А": "A", "Е": "E", "О": "O", "Р": "P", "С": "C", "Т": "T", "Н": "H", "К": "K", "М": "M", "В": "B",
})
_LEET = str.maketrans({"4": "a", "@": "a", "3": "e", "1": "i", "!": "i", "0": "o", "5": "s", "$": "s", "7": "t"})


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")  # zero-width and direction marks
    text = text.translate(_CONFUSABLES)
    text = re.sub(r"\b(?:\w[ .*_-]){3,}\w\b", lambda m: re.sub(r"[ .*_-]", "", m.group(0)), text)  # a d d r
    text = re.sub(r"\b\w*[a-z]\w*\b", lambda m: m.group(0).translate(_LEET), text.lower())  # n4m3s
    return " ".join(text.split())


def _decoded_variants(text: str) -> list[str]:
    """Text hidden in base64, hex, rot13 or written backwards, decoded so the rules can read it."""
    out = [text[::-1]]
    for blob in re.findall(r"[A-Za-z0-9+/]{16,}={0,2}", text):
        with contextlib.suppress(binascii.Error, UnicodeDecodeError, ValueError):
            out.append(base64.b64decode(blob + "=" * (-len(blob) % 4), validate=True).decode("utf-8"))
    hexes = re.findall(r"\b[0-9a-fA-F]{2}\b", text)
    if len(hexes) >= 8:
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            out.append(bytes.fromhex("".join(hexes)).decode("utf-8"))
    if re.search(r"\brot[- ]?13\b", text, re.I):
        out.append(codecs.decode(text, "rot13"))
    return out


# --- the rules -----------------------------------------------------------------------------------------

_PEOPLE = (r"(?:sex(?:ual)? offenders?|offenders?|paedo\w*|pedo\w*|nonces?|predators?|registrants?|"
           r"criminals?|people|persons?|men|women|man|woman|individuals?|ones|guy|bloke|lad|suspects?|"
           r"victims?|famil(?:y|ies)|arrestees?|he|she|him|her|they|them|someone|anyone|neighbou?rs?|tenants?)")
_REGISTER = (r"(?:(?:sex offenders?'? |offenders?'? )?register|registered|sex offenders?|paedo\w*|pedo\w*|"
             r"nonces?|mappa|level [23]|high[- ]risk|very high[- ]risk|disclosure scheme|sarah's law|"
             r"convictions?|criminal record|record for|arrested|charged|whereabouts unknown|missing)")
_IDENTIFY = (r"(?:names?|named|surnames?|first names?|identit(?:y|ies)|identify|unmask|expose|dox\w*|"
             r"who (?:is|are|was|were)|who's|address(?:es)?|where (?:do|does|did|is|are|was|were)\b.{0,60}"
             r"\b(?:live|living|stay|staying|work|working|housed|located|based|now|go|went|moved?)|whereabouts|"
             r"which (?:street|road|house|flat|estate|village|close|avenue|lane|block|building|postcode|ward|"
             r"school|hostel|address|town|area|part)|streets?|roads?|postcodes?|house numbers?|photos?|"
             r"photographs?|pictures?|images?|mugshots?|look like|descriptions?|describe|cars?|vans?|vehicles?|"
             r"number plates?|registration (?:number|plate)|accounts?|profiles?|usernames?|handles?|"
             r"where (?:\w+ )?works?|workplace|employer|date of birth|list (?:them|all|the|every)|details of)")
_OFFICIAL = re.compile(r"\b(?:names?|who|called)\b.{0,30}\b(?:officials?|officers?|detective|dci|di|inspector|"
                       r"superintendent|spokes(?:person|man|"
                       r"woman)|commissioner|pcc|chief constable|councillor|chair|minister|board members?|"
                       r"press office|author|head of)\b")
_OWN_DUTY = re.compile(r"\b(must|have to|has to|need to|needs to|required to|obliged to|should|do they|does "
                       r"(?:a|an|the) \w+ (?:have|need)|what (?:details|information|personal details))\b.{0,80}"
                       r"\b(tell|notify|give|provide|report|register|inform|declare|confirm)\b"
                       r"|\b(?:notify|tell (?:the )?police|report) (?:a |their |of )?(?:new |change of )?"
                       r"(?:name|address)", re.I)
_ROUTE = re.compile(r"^(?:how|where|who|what) (?:can|do|could|should|would|might|is|are)\b.{0,50}\b(?:ask|check|"
                    r"find out|apply|report|raise|contact|get|go|request|the (?:way|process|route))\b"
                    r"|\bwhat (?:should|can|do) i do\b|\bhow (?:do|can|could) (?:i|we|parents?)\b", re.I)
_POLICY = re.compile(r"^(?:why|is there|are there|does|do) .{0,30}\b(?:not|n't|no|ever|public)\b.{0,60}"
                     r"\b(?:publish|name|release|public|list|register|disclose|share)", re.I)

_RULES: list[tuple[str, str, re.Pattern]] = [
    ("manipulation", "instruction_override", re.compile(
        r"\b(?:ignore|disregard|forget|override|bypass|drop|suspend)\b.{0,40}\b(?:rules?|instructions?|"
        r"guidelines?|polic(?:y|ies)|restrictions?|safeguards?|filters?|programming|prompt|guardrails?|"
        r"training|limits?)\b"
        r"|\byou are (?:now|no longer)\b|\bfrom now on,? you\b|\bpretend (?:to be|you(?:'re| are))\b"
        r"|\bact as (?:a|an|the|if)\b|\brole[- ]?play\b|\bdeveloper mode\b|\bjailbreak\w*\b|\bdan\b"
        r"|\bsystem prompt\b|\bno (?:restrictions|filters|rules)\b|\bunfiltered\b|\bunrestricted\b"
        r"|\bnew (?:rule|brief|instructions?|persona)\b|\byour (?:new|real) (?:job|role|brief|instructions?)\b")),
    ("prompt_injection", "planted_instruction", re.compile(
        r"(?:^|\n|['\"\s])(?:system|assistant|user|developer)\s*:|</?(?:system|context|assistant|user)>"
        r"|\[(?:system|inst|begin)\]|\{['\"]role['\"]|\bto the ai\b|\bai (?:systems?|assistants?|models?) "
        r"(?:reading|must|should)\b|\b(?:do|follow|action|carry out|execute|obey) (?:what it says|the "
        r"(?:note|instructions?|text|footer|message|ticket|brief|document|request))\b|\bcarry it out\b")),
    ("personal_information", "lookup", re.compile(
        r"\bon (?:the|a|that|this|your|it|there)\b ?(?:sex offenders?'? )?(?:register|list|database)?\b"
        r"|\b(?:a|an) (?:registered )?(?:sex(?:ual)? offender|paedo\w*|pedo\w*|nonce|predator)\b"
        r"|\b(?:got|has|have|had) (?:a )?(?:criminal )?(?:record|convictions?|previous)\b"
        r"|\bknown to (?:the )?police\b|\b(?:managed )?under mappa\b|\bone of them\b"
        r"|\b(?:check|search|look up|lookup|run)\b.{0,40}\b(?:register|database|records?|list)\b"
        r"|\b(?:yes or no|y/n|haan ya nahi|tak lub nie)\b|\b(?:was|is) it (?:him|her|them)\b|\btick the ones\b")),
    ("personal_information", "aggregation", re.compile(
        r"\b(?:which|what) (?:street|road|estate|village|ward|postcode|area|neighbou?rhood|block|building|"
        r"close|avenue|lane|district|town|part of|house|flat|school|hostel|address)e?s?\b"
        r"|\bby (?:street|road|postcode|ward|estate|village|house|address|name)\b"
        r"|\b(?:street|postcode|ward|road) by (?:street|postcode|ward|road)\b"
        r"|\bhow many\b.{0,60}\b(?:on|in|near|around) (?:my|our|this|that|the same|each|every) "
        r"(?:street|road|estate|close|block|building|village|ward|postcode|area|neighbou?rhood)\b"
        r"|\bhow many\b.{0,60}\b(?:street|road|close|avenue|lane|crescent|estate|postcode|ward)\b"
        r"|\b(?:only|just|single) (?:one|1)\b.{0,40}\b(?:area|village|town|street|ward|district|place)\b"
        r"|\b(?:area|village|town|street|ward|district|place) with (?:only|just) (?:one|1)\b"
        r"|\bmap (?:of|showing)\b|\bsmallest (?:wards?|areas?)\b|\bnearest (?:town|street|village)\b")),
]


def _subject_and_ask(text: str) -> bool:
    """Asking for an identifying detail (a name, an address, a photo) of people on the register, victims
    or private individuals: the two may sit anywhere in the question. Officials are public."""
    return bool(re.search(rf"\b{_IDENTIFY}\b", text) and re.search(rf"\b{_PEOPLE}\b", text)
                and not re.search(r"\bhow many\b", text) and not _OFFICIAL.search(text))


_PERSONAL = re.compile(
    r"\bmy (?:\w+'s )?(?:neighbou?r|landlord|tenant|colleague|boss|ex|partner|boyfriend|girlfriend|husband|wife|"
    r"coach|teacher|babysitter|childminder|brother|sister|uncle|aunt|cousin|friend|son|daughter|dad|mum|"
    r"father|mother|stepdad|lodger|flatmate|carer)\b"
    r"|\b(?:the|a|this|that|our) (?:new )?(?:man|woman|guy|bloke|lad|person|family|tenant|neighbou?r|chap|fella) "
    r"(?:at|on|in|next|who|from|with|across|opposite|called|named)\b"
    r"|\b(?:named|called) [a-z]+|\b(?:mr|mrs|ms|miss)\.? [a-z]+\b|\bnumber \d+\b|\b(?:he|she|him|her)\b"
    r"|\b\d+ [a-z]+ (?:road|street|lane|close|avenue|way|drive|crescent|court|place|gardens|terrace|grove)\b")
# "Is Dean Harrowby on ...", "has Jo Bloggs got ...": a named person as the subject of a yes/no question.
_NAME = re.compile(r"\b(?:[Ii]s|[Ww]as|[Hh]as|[Dd]oes|[Dd]id)\s+(?:[A-Z][\w'-]+\s){1,3}(?:on|a|an|got|ever|still|"
                   r"registered|in|been|have)\b")


def _checks(text: str, original: str = "") -> Decision:
    for reason, rule, pattern in _RULES:
        if not pattern.search(text):
            continue
        insist = re.search(r"\b(?:just|simply) (?:tell|say|confirm)|\byes or no\b|\by/n\b", text)
        if rule == "lookup":
            someone = _PERSONAL.search(text) or _NAME.search(original)
            if not someone or (not insist and (_OWN_DUTY.search(text) or _ROUTE.search(text)
                                               or _POLICY.search(text))):
                continue
        if rule == "aggregation":
            if not re.search(rf"\b{_PEOPLE}\b|\b{_REGISTER}\b", text):
                continue
            if not insist and (_POLICY.search(text) or _ROUTE.search(text)):
                continue
        return Decision(True, reason, rule)
    demands = re.search(r"\b(?:tell|give|show|send|list) (?:me|us)\b", text)
    exempt = _OWN_DUTY.search(text) or _POLICY.search(text) or (_ROUTE.search(text) and not demands)
    if _subject_and_ask(text) and not exempt:
        return Decision(True, "personal_information", "identity_or_location")
    return ALLOW


_FOLLOW_ON = re.compile(r"^(?:and|ok|okay|so|right|now|same|what about|how about|then)\b|\b(?:he|him|she|her|it|"
                        r"they|them|those|that one|the ones?|the other|second|first|there)\b")


def check_question(question: str, history: list[dict] | None = None) -> Decision:
    text = normalise(question)
    for variant in [text, *(normalise(v) for v in _decoded_variants(question))]:
        decision = _checks(variant, question)
        if decision.refuse:
            return decision
    # A request split over turns: read the follow-up together with what the user said before it.
    user_turns = [normalise(t["content"]) for t in history or [] if t.get("role") == "user"]
    if user_turns and _FOLLOW_ON.search(text):
        joined = " ".join([*user_turns[-3:], text])
        decision = _checks(joined)
        if decision.refuse:
            return decision
        refused_before = any(t.get("role") == "assistant" and t.get("content", "").startswith("I can't help with")
                             for t in history or [])
        if refused_before:
            return Decision(True, "personal_information", "follow_up_to_refusal")
    return ALLOW


# --- the output side -----------------------------------------------------------------------------------

_PRIVATE_DATA = re.compile(
    r"\b\d{1,4}[a-z]?,? [A-Z][a-z]+(?: [A-Z][a-z]+)? (?:Road|Street|Lane|Close|Avenue|Way|Drive|Crescent|Court|"
    r"Place|Gardens|Terrace|Grove|Row|Hill|Walk|Mews|Square|Rise|View)\b"
    r"|\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b"  # UK postcode
    r"|(?:\+44\s?|\b0)\d{3,4}\s?\d{3}\s?\d{3,4}\b"  # UK phone number
    r"|(?i:\b(?:born on|date of birth|dob)\b)[^.]{0,20}\d")
_INSTRUCTION = re.compile(r"(?:^|\s)(?:assistant|system|ai)\s*:|\bignore (?:all|previous|your)\b", re.I)


def check_answer(answer: Answer | None) -> Answer | None:
    """Drop any cited passage that carries personal data or instructions; refuse if nothing is left."""
    if answer is None or answer.status != "answered":
        return None
    bad = {c.n for c in answer.citations if _PRIVATE_DATA.search(c.quote) or _INSTRUCTION.search(c.quote)}
    if not bad:
        return None
    keep = [c for c in answer.citations if c.n not in bad]
    if not keep:
        return refusal(answer.question, Decision(True, "personal_information", "output_personal_data"))
    lines = [ln for ln in answer.answer.splitlines() if not any(f"[{n}]" in ln for n in bad)]
    answer.answer = "\n".join(lines)
    answer.citations = keep
    return None
