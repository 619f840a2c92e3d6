"""Segmenter: jieba with the project dictionary; index terms and reading-order words."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import helpers
from index.analysis.places import DISTRICTS, place_words
from index.analysis.segment import _CJK, _WORD, Segmenter, hmm_cut

FAST = settings(max_examples=150, deadline=None, database=None)


@pytest.fixture(scope="module")
def seg() -> Segmenter:
    # one Segmenter for the whole session (helpers.segmenter is cached)
    seg: Segmenter = helpers.segmenter()
    return seg


def test_gongzufang_is_one_word(seg: Segmenter) -> None:
    # the dictionary keeps 公租房 whole: no 套公 / 租房 split of the words themselves
    assert seg.words("多少套公租房") == ["多少", "套", "公租房"]
    terms = seg.terms("多少套公租房")
    assert "公租房" in terms
    assert "套" in terms


def test_gongzufang_in_running_text(seg: Segmenter) -> None:
    words = seg.words("青浦局共推动青浦区内100套公租房租赁给快递企业一线员工")
    assert "公租房" in words
    assert "套公" not in words
    assert "100" in words


@pytest.mark.parametrize("text", ["青浦区内100套公租房", "青浦局共推动青浦区内100套公租房", "青浦邮政管理局快递员"])
def test_short_place_terms_within_long_forms(seg: Segmenter, text: str) -> None:
    assert set(seg.terms("青浦")) <= set(seg.terms(text))


@pytest.mark.parametrize(("short", "full"), sorted(DISTRICTS.items()))
def test_every_district_alias_yields_the_short_name(seg: Segmenter, short: str, full: str) -> None:
    assert set(seg.terms(short)) == {short}
    for form in (full, f"{short}局", f"{short}邮政管理局", f"{full}内100套公租房"):
        assert set(seg.terms(short)) <= set(seg.terms(form)), form


def test_place_names_stay_whole_in_precise_mode(seg: Segmenter) -> None:
    assert "南桥镇" in seg.words("会同奉贤区委组织部、金海街道、南桥镇和奉城镇政府等部门")
    assert "青浦局" in seg.words("至此，青浦局共推动")


@pytest.mark.parametrize("word", ["多少", "什么", "哪些", "请问", "的"])
def test_question_words_are_not_terms(seg: Segmenter, word: str) -> None:
    assert word in seg.stopwords
    assert word not in seg.terms(f"青浦有{word}公租房")


def test_words_keep_question_words(seg: Segmenter) -> None:
    # words() is reading order, for question analysis: 多少 is still there
    assert "多少" in seg.words("青浦有多少套公租房")


def test_terms_lowercase_and_no_punctuation(seg: Segmenter) -> None:
    terms = seg.terms("Hello World，青浦！6044.86平方米。")
    assert "hello" in terms
    assert "world" in terms
    assert "6044.86" in terms
    assert not any(t in "，！。" for t in terms)


def test_add_words(seg: Segmenter) -> None:
    # a made-up name, so teaching the shared tokenizer changes nothing for other tests
    assert "蓝鲸快送队" not in seg.words("成立蓝鲸快送队")
    seg.add_words(["蓝鲸快送队"])
    assert "蓝鲸快送队" in seg.words("成立蓝鲸快送队")
    assert "蓝鲸快送队" in seg.terms("成立蓝鲸快送队")


text_strategy = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("青浦区内公租房套多少的了是新增合计，。！？、“”（）　 \t\n.-%")),
        st.characters(codec="utf-8", categories=("L", "N", "P", "Z", "S")),
    ),
    max_size=40,
)


@FAST
@given(text_strategy)
def test_no_empty_or_whitespace_tokens(seg: Segmenter, text: str) -> None:
    for token in [*seg.terms(text), *seg.words(text)]:
        assert token
        assert token.strip() == token
        assert not any(c.isspace() for c in token)


@FAST
@given(text_strategy)
def test_terms_never_stopwords(seg: Segmenter, text: str) -> None:
    terms = seg.terms(text)
    assert not set(terms) & seg.stopwords
    assert all(t == t.lower() for t in terms)


# --- the fast cut is jieba's cut -------------------------------------------------------------------------

# Han characters, CJK outside jieba's Han range (U+3400 block), letters, digits, jieba's joiners (+#&._%-),
# punctuation and every kind of space and line break: what decides how jieba splits text into blocks
jieba_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("青浦区内公租房套多少的了是新增合计快递员驿站网点上海邮政管理局一二三万亿")),
        st.sampled_from(list("，。！？、“”（）\u3000 \t\n\r.-%+#&_AbcZ0123456789㐀㐁")),
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.characters(codec="utf-8", categories=("L", "N", "P", "Z", "S")),
    ),
    max_size=80,
)


def reference_terms(seg: Segmenter, text: str) -> list[str]:
    """terms() as first written: jieba's own lcut, then one token at a time (the fast one must equal it)."""
    words = seg._tokenizer.lcut(text)
    freq = seg._tokenizer.FREQ
    out: list[str] = []
    run = ""
    for piece in [*words, "。"]:
        word = piece.strip().lower()
        if not word or word in seg.stopwords or not (_WORD.fullmatch(word) or _CJK.search(word)):
            out.extend(run[i:i + 2] for i in range(len(run) - 1))
            run = ""
            continue
        for n in (2, 3):
            if len(word) > n:
                out.extend(g for i in range(len(word) - n + 1) if freq.get(g := word[i:i + n]))
        out.append(word)
        if _CJK.match(word):
            run += word
        else:
            out.extend(run[i:i + 2] for i in range(len(run) - 1))
            run = ""
    return out


@settings(max_examples=400, deadline=None, database=None)
@given(jieba_text)
def test_the_cut_is_jiebas_precise_mode_token_for_token(seg: Segmenter, text: str) -> None:
    assert seg._cut(text) == seg._tokenizer.lcut(text)


@FAST
@given(jieba_text)
def test_terms_are_those_of_jiebas_cut(seg: Segmenter, text: str) -> None:
    assert seg.terms(text) == reference_terms(seg, text)


def test_terms_of_bulletin_and_encyclopedia_text_are_those_of_jiebas_cut(seg: Segmenter) -> None:
    # long real text: unknown names the HMM cuts, numbers, Latin words, every route through the word graph
    sample = helpers.SAMPLE.read_text(encoding="utf-8")
    texts = [sample, *sample.splitlines(),
             "《星际争霸》是暴雪娱乐于1998年发行的即时战略游戏，玩家可在人族、虫族和神族中选择。Stam1na乐队成立于1996年。"]
    for text in texts:
        assert seg._cut(text) == seg._tokenizer.lcut(text)
        assert seg.terms(text) == reference_terms(seg, text)


@FAST
@given(jieba_text, jieba_text)
def test_a_line_break_ends_every_term_so_a_title_is_tokenized_once(seg: Segmenter, title: str, text: str) -> None:
    # ingest indexes a chunk as title + "\n" + text, tokenizing the title once for all its chunks
    assert seg.terms(f"{title}\n{text}") == seg.terms(title) + seg.terms(text)


def test_taught_words_are_cut_as_jieba_cuts_them() -> None:
    seg = Segmenter()
    text = "成立橙鲸快送队和橙鲸快送驿站，橙鲸快送队共12人。"
    before = seg._cut(text)
    assert before == seg._tokenizer.lcut(text)
    seg.add_words(["橙鲸快送队", "橙鲸快送"])  # the dictionary and its total change: nothing remembered may stay
    assert seg._cut(text) == seg._tokenizer.lcut(text) != before
    assert seg.terms(text) == reference_terms(seg, text)


def test_the_dictionary_read_from_the_cache_is_the_one_jieba_reads() -> None:
    import jieba

    from index.resources import data_path

    seg = Segmenter()
    own = jieba.Tokenizer()
    own.tmp_dir = seg._tokenizer.tmp_dir
    own.initialize()  # jieba's own reading of the same cache file
    with data_path("userdict.txt").open("rb") as f:
        own.load_userdict(f)
    for word in place_words():
        own.add_word(word, freq=2000)
    assert (seg._tokenizer.FREQ, seg._tokenizer.total) == (own.FREQ, own.total)


hmm_text = st.text(alphabet=st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FD5),
    st.sampled_from(list("的了是在青浦区快递员驿站abcZ019.%-+ ，。")),
), min_size=1, max_size=30)


@settings(max_examples=500, deadline=None, database=None)
@given(hmm_text)
def test_the_hmm_cuts_as_jiebas_finalseg(text: str) -> None:
    import jieba.finalseg

    assert hmm_cut(text) == list(jieba.finalseg.cut(text))


def test_the_hmm_cuts_real_text_as_jiebas_finalseg() -> None:
    import jieba.finalseg

    sample = helpers.SAMPLE.read_text(encoding="utf-8")
    runs = [sample[i:i + n] for n in (2, 3, 4, 7, 12) for i in range(0, len(sample) - n, 3)]
    assert [hmm_cut(r) for r in runs] == [list(jieba.finalseg.cut(r)) for r in runs]


def test_words_jieba_must_split_are_split_by_the_hmm_too(monkeypatch: pytest.MonkeyPatch) -> None:
    import jieba.finalseg

    text = "赵钱孙李周吴郑王冯陈褚卫"
    whole = list(jieba.finalseg.cut(text))
    monkeypatch.setattr(jieba.finalseg, "Force_Split_Words", {w for w in whole if len(w) > 1})
    assert hmm_cut(text) == list(jieba.finalseg.cut(text)) != whole
