"""How a search box's text is read: phone spellings, e-mail, request number, words; the
rough Russian stem SQLite searches by; the snippet around the found word."""

from __future__ import annotations

from hub.queries.search_terms import (
    parse_terms,
    postgres_tsquery,
    postgres_whole_tsquery,
    rough_stem,
    snippet,
    sqlite_match,
)


def test_a_phone_in_any_spelling_reads_as_one_number() -> None:
    for text in ("8 916 555 12 34", "+7 (916) 555-12-34", "89165551234", "79165551234"):
        terms = parse_terms(text)
        assert (terms.phone, terms.digits) == ("+79165551234", "9165551234"), text
    part = parse_terms("555-12-34")
    assert (part.phone, part.digits) == (None, "5551234")
    assert parse_terms("Анна 8916").digits is None  # letters: a name, not a number


def test_email_number_and_words() -> None:
    assert parse_terms(" Anna@Example.RU ").email == "anna@example.ru"
    assert parse_terms("№ 123").number == 123
    assert parse_terms("#77").number == 77
    assert parse_terms("заявка 12").number is None
    assert parse_terms('Ёлки "OR" *палки:').words == ("елки", "or", "палки")


def test_postgres_looks_for_whole_words_and_the_last_one_as_a_prefix_too() -> None:
    assert postgres_tsquery(parse_terms("замера балкона")) == "замера & балкона:*"
    assert postgres_tsquery(parse_terms("балкон 5")) == "балкон & 5"  # a number is whole
    assert postgres_tsquery(parse_terms("8 (916) 012-34-56")) == "8 & 916 & 012 & 34 & 56"
    assert postgres_tsquery(parse_terms("№4711")) == "4711"
    # A whole address is complete; a part of one may be being typed.
    assert postgres_tsquery(parse_terms("Anna@Example.ru")) == "anna & example & ru"
    assert postgres_tsquery(parse_terms("anna@exam")) == "anna & exam:*"


def test_the_whole_words_before_a_prefix_bound_where_postgres_looks() -> None:
    assert postgres_whole_tsquery(parse_terms("Иванова Анна Серг")) == "иванова & анна"
    assert postgres_whole_tsquery(parse_terms("замера балкона")) == "замера"
    assert postgres_whole_tsquery(parse_terms("замер")) is None  # no word but the prefix
    assert postgres_whole_tsquery(parse_terms("балкон 5")) is None  # the last one is whole
    assert postgres_whole_tsquery(parse_terms("Anna@Example.ru")) is None
    assert postgres_whole_tsquery(parse_terms("anna@exam")) == "anna"


def test_sqlite_words_lose_their_vowel_endings_but_keep_three_letters() -> None:
    assert rough_stem("лоджия") == "лодж"
    assert rough_stem("доставка") == "доставк"
    assert rough_stem("окон") == "окон"
    assert rough_stem("замер") == "замер"
    assert rough_stem("дачи") == "дач"
    assert rough_stem("дом") == "дом"
    assert sqlite_match(parse_terms("Лоджия окон")) == '"лодж"* "окон"*'


def test_snippet_is_cut_around_the_first_word_found() -> None:
    text = "начало " + "слово " * 60 + "Замер лоджии " + "хвост " * 60
    cut = snippet(text, parse_terms("замер"))
    assert cut.startswith("…") and cut.endswith("…")
    assert "Замер лоджии" in cut and len(cut) <= 162
    assert snippet("Короткий текст", parse_terms("нет")) == "Короткий текст"
