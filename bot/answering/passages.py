"""Answers in words, not numbers: the best sentence, a quoted name, or a list of places or items."""

from __future__ import annotations

import re

from bot.answering.question import Question
from index import TOWNS, Chunk, Hit, canonical, place_names_in, sentences

_ITEM = r"(?:[^\W和及与]|[“”]){1,12}"
_ENUMERATION = re.compile(rf"(?:{_ITEM}、)+{_ITEM}(?:(?:和|及|与|以及){_ITEM})?")
_WHERE = re.compile(r"哪里|哪儿|什么地方|在哪|哪些(?:地方|区|街道|镇|乡|街镇|地区|区域)|哪几个(?:区|镇|街道)")
_QUOTED = re.compile(r"[“\"「『《]([^”\"」』》]{1,20})[”\"」』》]")


def gap(sentence: str, start: int, end: int, term: str) -> int | None:
    """Return how many characters lie between the span [start, end) and the nearest term, or None."""
    best = None
    at = sentence.find(term) if term else -1
    while at >= 0:  # each occurrence, not overlapping (as re.finditer would give them, at a fraction of the cost)
        after = at + len(term)
        distance = start - after if after <= start else max(0, at - end)
        best = distance if best is None or distance < best else best
        at = sentence.find(term, after)
    return best


def passage_answer(question: Question, hits: list[Hit], weights: dict[str, float]) -> tuple[str, str, Chunk]:
    """Return the headline, the sentence it comes from and its chunk, for a question that wants words."""
    best_sentence, best_chunk, best_score = "", hits[0].chunk, -1.0
    # only the best document's passages: the quote must come from the source ranked first
    for hit in [h for h in hits[:3] if h.chunk.document == hits[0].chunk.document]:
        for sentence in sentences(hit.chunk.text):
            score = sum(w for t, w in weights.items() if t in sentence) + hit.score / hits[0].score
            if score > best_score:
                best_sentence, best_chunk, best_score = sentence, hit.chunk, score
    headline = best_sentence
    if question.wants == "name":
        headline = quoted_name(best_sentence, weights) or best_sentence
    elif question.wants == "list":
        headline = listed(best_sentence, question, weights) or best_sentence
    return headline, best_sentence, best_chunk


def quoted_name(sentence: str, weights: dict[str, float]) -> str | None:
    """Return the quoted name nearest the question's words (“骑乐融融”户外职工驿站), or None."""
    best: tuple[float, str] | None = None
    for m in _QUOTED.finditer(sentence):
        score = max((w / (1.0 + d / 4.0) for t, w in weights.items()
                     if (d := gap(sentence, m.start(), m.end(), t)) is not None), default=0.0)
        # the name runs on to the question's noun when it follows closely: “骑乐融融”户外职工驿站
        tail = ""
        for term in weights:
            at = sentence.find(term, m.end())
            between = sentence[m.end():at]
            if at >= 0 and len(between) <= 8 and not re.search(r"[，。；、,;]", between):
                tail = sentence[m.end():at + len(term)]
                break
        if best is None or score > best[0]:
            best = (score, m.group() + tail)
    return best[1] if best else None


def listed(sentence: str, question: Question, weights: dict[str, float]) -> str | None:
    """Return the places or the enumeration (甲、乙和丙) a 哪些/哪里 question asks for, or None."""
    if _WHERE.search(question.text):
        # towns count even inside the asked district; the district's own names are the question, not the answer
        places = [p for p in place_names_in(sentence) if p in TOWNS or canonical(p) not in question.places]
        if places:
            return "、".join(places)
    best: tuple[float, str] | None = None
    for m in _ENUMERATION.finditer(sentence):
        score = sum(w / (1.0 + d / 6.0) for t, w in weights.items()
                    if (d := gap(sentence, m.start(), m.end(), t)) is not None)
        if best is None or score > best[0]:
            best = (score, _trim_enumeration(m.group(), weights))
    return best[1] if best else None


def _trim_enumeration(text: str, weights: dict[str, float]) -> str:
    """Cut the words that cling to an enumeration's ends: 分别在甲、乙和丙成立 -> 甲、乙和丙."""
    first, sep, rest = text.partition("、")
    first = re.split(r"[在于由为是有将对从向把被的了]", first)[-1] or first
    last_at = max(rest.rfind(c) for c in ("和", "及", "与", "、"))
    head, last = rest[:last_at + 1], rest[last_at + 1:]
    if "等" in last:
        return f"{first}{sep}{head}{last.split('等')[0]}"  # 等 closes a list
    items = re.split(r"[、和及与]", f"{first}{sep}{head}")
    for term in weights:
        # a question word after the last item is the verb that follows the list (…和奉城镇成立), unless
        # the items all end in it (卫浴设施、厨房设施、智能设施)
        if (pos := last.find(term)) > 1 and not any(i.endswith(term) for i in items):
            last = last[:pos]
    return f"{first}{sep}{head}{last}"
