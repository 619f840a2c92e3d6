"""Segmenter: the only module that touches jieba (its global state and noisy logging stay here)."""

from __future__ import annotations

import logging
import marshal
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterable
from math import log
from operator import add
from pathlib import Path

from index.analysis.places import place_words
from index.resources import data_path

# jieba imports pkg_resources (a tenth of a second of every start, and a deprecation warning) only to open its own
# data files, which it opens by their path when pkg_resources cannot be imported: it is kept from it here
_HIDDEN = "pkg_resources" not in sys.modules
if _HIDDEN:
    sys.modules["pkg_resources"] = None  # type: ignore[assignment]
try:
    import jieba
    import jieba.finalseg
finally:
    if _HIDDEN:
        del sys.modules["pkg_resources"]

# jieba configures its own DEBUG handler on import; keep it quiet (fxsjy/jieba#815).
jieba.setLogLevel(logging.WARNING)

_WORD = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|\d+(?:\.\d+)?")  # Stam1na, G11, 2022
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

# jieba's own block patterns, so text splits into blocks exactly as jieba.Tokenizer.cut splits it
_HAN = jieba.re_han_default
_SKIP = jieba.re_skip_default

# what the tokens memo holds before it is emptied (a bound on memory, far above a corpus's vocabulary)
_MEMO_SIZE = 200_000
_BREAK, _CJK_WORD, _OTHER_WORD = 0, 1, 2  # what a token is to terms(): a break, a CJK word, another word
# what _known says of a string that is no word: only the beginning of longer words, or not even that (a word's
# log probability is never above 0, as no word is more frequent than all of them together)
_PREFIX, _ABSENT = 1.0, 2.0


def cache_dir() -> Path:
    """Return the folder for jieba's prefix-dictionary cache (BULLETIN_CACHE_DIR, else ~/.cache)."""
    env = os.environ.get("BULLETIN_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "bulletin"


class Segmenter:
    """One jieba tokenizer with the project dictionary; the same analysis for documents and questions.

    It cuts text exactly as jieba's precise mode with HMM (`Tokenizer.lcut`) does, the same tokens in the same
    order, but several times faster: the word graph and its best route are found in one pass, with the log
    frequencies looked up once per word, and what never changes for a given piece of text (the HMM's cut of an
    unknown run, what a token adds to the terms) is remembered. tests/test_segment.py checks it against jieba.
    """

    def __init__(self, userdict: Path | None = None, stopwords: Path | None = None) -> None:
        self._tokenizer = jieba.Tokenizer()
        folder = cache_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._tokenizer.tmp_dir = str(folder)
        except OSError:
            pass  # an unwritable home: jieba falls back to the temp dir
        self._lock = threading.Lock()
        _initialize(self._tokenizer)
        with (userdict or data_path("userdict.txt")).open("rb") as f:  # jieba leaves a path's file open
            self._tokenizer.load_userdict(f)
        self._forget()
        self.add_words(place_words())  # towns and office names: 南桥镇 stays one word
        words = (stopwords or data_path("stopwords.txt")).read_text(encoding="utf-8").split()
        self.stopwords = frozenset(words)

    def _forget(self) -> None:
        """Drop what was remembered about the dictionary: it changed (caller holds the lock, or none exists)."""
        # what the dictionary says of a string (its log probability as a word, or _PREFIX, or _ABSENT), as met
        self._known: dict[str, float] = {}
        self._logtotal = log(self._tokenizer.total)
        self._hmm: dict[str, list[str]] = {}  # an unknown run -> the HMM's cut of it
        self._token_terms: dict[str, tuple[int, str, tuple[str, ...]]] = {}  # token -> what it adds to terms

    def add_words(self, words: Iterable[str]) -> None:
        """Teach the tokenizer extra words (e.g. place names from the gazetteer)."""
        with self._lock:
            for word in words:
                self._tokenizer.add_word(word, freq=2000)
            self._forget()

    def words(self, text: str) -> list[str]:
        """Cut text into words in reading order (precise mode), punctuation and spaces dropped."""
        with self._lock:
            pieces = self._cut(text)
        return [p for p in pieces if _WORD.fullmatch(p) or _CJK.search(p)]

    def terms(self, text: str) -> list[str]:
        """Return the index terms of text: search-mode words plus CJK bigrams, stop-words dropped."""
        # Search mode adds the dictionary sub-words of long words, so 青浦区 also yields 青浦 and a question about
        # 青浦 matches a document that says 青浦区. Bigrams of each run of content words catch names the
        # dictionary does not know (measured on CMRC 2018: R@1 96.2% -> 97.3%).
        out: list[str] = []
        extend = out.extend
        with self._lock:
            memo = self._token_terms
            if len(memo) > _MEMO_SIZE:
                memo.clear()
            run: list[str] = []  # the run of CJK content words, whose bigrams are added when it ends
            for piece in self._cut(text):
                kind, word, adds = memo.get(piece) or self._token_term(piece)
                extend(adds)
                if kind == _CJK_WORD:
                    run.append(word)
                elif run:
                    joined = "".join(run)
                    extend(map(add, joined, joined[1:]))  # its bigrams
                    run.clear()
            if run:
                joined = "".join(run)
                extend(map(add, joined, joined[1:]))
        return out

    def _token_term(self, piece: str) -> tuple[int, str, tuple[str, ...]]:
        """What one token adds to the terms: its known 2- and 3-character sub-words and itself, and its kind."""
        word = piece.strip().lower()
        if not word or word in self.stopwords or not (_WORD.fullmatch(word) or _CJK.search(word)):
            found: tuple[int, str, tuple[str, ...]] = (_BREAK, "", ())
        else:
            freq = self._tokenizer.FREQ
            adds: list[str] = []
            # jieba's search mode: the known 2- and 3-character words inside a longer word
            for n in (2, 3):
                if len(word) > n:
                    adds.extend(g for i in range(len(word) - n + 1) if freq.get(g := word[i:i + n]))
            adds.append(word)
            found = (_CJK_WORD if _CJK.match(word) else _OTHER_WORD, word, tuple(adds))
        self._token_terms[piece] = found
        return found

    def _cut(self, text: str) -> list[str]:
        """jieba's precise mode with HMM: `jieba.Tokenizer.lcut(text)`, token for token."""
        out: list[str] = []
        # split as jieba splits: runs of Han characters, letters and digits are cut by the dictionary; any other
        # character is a token of its own, a whitespace character or \r\n too
        for n, block in enumerate(_HAN.split(text)):
            if n % 2:
                self._cut_block(block, out)
            elif len(block) == 1:  # most often a punctuation mark, a token of its own (a space too)
                out.append(block)
            elif block:
                for m, part in enumerate(_SKIP.split(block)):
                    if m % 2:
                        out.append(part)
                    else:
                        out.extend(part)
        return out

    def _cut_block(self, sentence: str, out: list[str]) -> None:
        """Append the words of one run of Han characters, letters and digits (jieba's __cut_DAG)."""
        known = self._known
        size = len(sentence)
        # the most probable route from each position to the end: its log probability and the word's last index
        score = [0.0] * (size + 1)
        end = list(range(size))
        for start in range(size - 1, -1, -1):
            # the dictionary words that start here (jieba's DAG), each scored with the best route after it;
            # the highest score wins, and a tie goes to the longer word, as jieba's max over (score, index) does
            best = 0.0
            last = -1
            i = start
            frag = sentence[start]
            while True:
                w = known.get(frag)
                if w is None:
                    w = self._know(frag)
                if w > _PREFIX:  # no dictionary word starts with frag
                    break
                if w < _PREFIX:  # a word, not only the beginning of longer ones
                    s = w + score[i + 1]
                    if last < 0 or s >= best:
                        best = s
                        last = i
                i += 1
                if i >= size:
                    break
                frag = sentence[start:i + 1]
            if last < 0:  # no word starts here: the character alone, scored as a frequency of 1
                best = log(1) - self._logtotal + score[start + 1]
                last = start
            score[start] = best
            end[start] = last
        # walk the route; runs of single characters are put back together, and one the dictionary does not know
        # as a word goes to the HMM (jieba.finalseg), which may find words in it
        x = 0
        buf = ""
        while x < size:
            y = end[x] + 1
            if y - x == 1:
                buf += sentence[x]
            else:
                if buf:
                    self._flush(buf, out)
                    buf = ""
                out.append(sentence[x:y])
            x = y
        if buf:
            self._flush(buf, out)

    def _know(self, frag: str) -> float:
        """Look frag up in the dictionary: its log probability (<= 0) as a word, else _PREFIX or _ABSENT."""
        known = self._known
        if len(known) > _MEMO_SIZE * 4:
            known.clear()
        f = self._tokenizer.FREQ.get(frag)
        # jieba scores a word by log(freq) - log(total), in that order: the same floats, bit for bit
        w = known[frag] = _ABSENT if f is None else _PREFIX if not f else log(f) - self._logtotal
        return w

    def _flush(self, buf: str, out: list[str]) -> None:
        if len(buf) == 1:
            out.append(buf)
        elif self._tokenizer.FREQ.get(buf):
            out.extend(buf)
        else:
            cut = self._hmm.get(buf)
            if cut is None:
                if len(self._hmm) > _MEMO_SIZE:
                    self._hmm.clear()
                cut = self._hmm[buf] = hmm_cut(buf)
            out.extend(cut)


# jieba's HMM for words the dictionary does not know (jieba.finalseg): its probabilities, read once
_MIN = jieba.finalseg.MIN_FLOAT
_START = jieba.finalseg.start_P
_EMIT_B, _EMIT_M, _EMIT_E, _EMIT_S = (jieba.finalseg.emit_P[state] for state in "BMES")
_T = jieba.finalseg.trans_P
_BE, _BM, _EB, _ES, _ME, _MM, _SB, _SS = (_T["B"]["E"], _T["B"]["M"], _T["E"]["B"], _T["E"]["S"], _T["M"]["E"],
                                          _T["M"]["M"], _T["S"]["B"], _T["S"]["S"])


def hmm_cut(text: str) -> list[str]:
    """jieba.finalseg.cut(text), word for word: runs of Han characters cut by the HMM's most probable states."""
    out: list[str] = []
    split = jieba.finalseg.Force_Split_Words  # words jieba was told never to keep whole (usually none)
    for n, block in enumerate(jieba.finalseg.re_han.split(text)):
        if n % 2:
            words: list[str] = []
            begin = following = 0
            for i, state in enumerate(_viterbi(block)):
                if state == "B":
                    begin = i
                elif state == "E":
                    words.append(block[begin:i + 1])
                    following = i + 1
                elif state == "S":
                    words.append(block[i])
                    following = i + 1
            if following < len(block):
                words.append(block[following:])
            if split:  # such a word goes out character by character
                words = [piece for word in words for piece in (word if word in split else (word,))]
            out.extend(words)
        elif block:
            out.extend(part for part in jieba.finalseg.re_skip.split(block) if part)
    return out


def _viterbi(obs: str) -> list[str]:
    """The most probable states (B, M, E, S) of obs, as jieba.finalseg.viterbi finds them, ties and all.

    The same sums in the same order; where jieba's max over (probability, state) finds two equal, the later state
    letter wins, so here too. Each state keeps the one it came from, and the path is read back at the end.
    """
    first = obs[0]
    b = _START["B"] + _EMIT_B.get(first, _MIN)
    m = _START["M"] + _EMIT_M.get(first, _MIN)
    e = _START["E"] + _EMIT_E.get(first, _MIN)
    s = _START["S"] + _EMIT_S.get(first, _MIN)
    came: list[tuple[str, str, str, str]] = []  # for each character after the first: where B, M, E, S came from
    for char in obs[1:]:
        em = _EMIT_B.get(char, _MIN)
        from_e, from_s = e + _EB + em, s + _SB + em
        nb, pb = (from_e, "E") if from_e > from_s else (from_s, "S")
        em = _EMIT_M.get(char, _MIN)
        from_m, from_b = m + _MM + em, b + _BM + em
        nm, pm = (from_b, "B") if from_b > from_m else (from_m, "M")
        em = _EMIT_E.get(char, _MIN)
        from_b, from_m = b + _BE + em, m + _ME + em
        ne, pe = (from_b, "B") if from_b > from_m else (from_m, "M")
        em = _EMIT_S.get(char, _MIN)
        from_s, from_e = s + _SS + em, e + _ES + em
        ns, ps = (from_e, "E") if from_e > from_s else (from_s, "S")
        came.append((pb, pm, pe, ps))
        b, m, e, s = nb, nm, ne, ns
    state = "E" if e > s else "S"
    states = [state]
    for step in reversed(came):
        state = step["BMES".index(state)]
        states.append(state)
    states.reverse()
    return states


def _initialize(tokenizer: jieba.Tokenizer) -> None:
    """Load jieba's dictionary, from its cache file when there is one (jieba builds and writes it otherwise)."""
    # jieba reads its cache with marshal.load(file), which reads the file object by object: reading the bytes
    # first and marshal.loads() them takes a third of the time (about 0.6 s less for every process that loads)
    cache = Path(tokenizer.tmp_dir or tempfile.gettempdir()) / "jieba.cache"
    try:
        freq, total = marshal.loads(cache.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        tokenizer.initialize()  # no cache, or a damaged one: jieba builds the dictionary and writes it
        return
    if not isinstance(freq, dict) or not isinstance(total, int):
        tokenizer.initialize()
        return
    tokenizer.FREQ, tokenizer.total, tokenizer.initialized = freq, total, True
