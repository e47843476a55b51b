"""Reading import files and guessing their columns: no database, expectations by hand."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from hub.crm_io.fields import NEW_CUSTOM_FIELD, guess_all, headers_key
from hub.crm_io.reading import UnreadableFile, read_table
from hub.crm_io.rows import parse_amount, parse_date
from hub.crm_io.writing import csv_lines
from hub.models import CrmEntity

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "crm_import"


def test_amocrm_contacts_in_windows_1251_with_semicolons() -> None:
    table = read_table((FIXTURES / "amocrm_contacts_cp1251.csv").read_bytes(), "contacts.csv")
    assert table.kind == "csv"
    assert table.headers[:4] == ["ID", "Полное имя контакта", "Компания", "Должность"]
    assert [number for number, _ in table.rows] == [2, 3, 4, 5, 6]
    assert table.rows[0][1][:3] == ["101", "Иванов Иван Петрович", "ООО «СтройМонтаж»"]
    guessed = guess_all(CrmEntity.contact, table.headers, {"город": "city"})
    assert guessed == [
        None,  # ID: the old CRM's own
        "name",
        "organisation",
        "position",
        "phone",
        "phone",  # both phone columns into the one contact
        "email",
        "responsible",
        "cf.city",  # an existing custom field, by its label
        None,  # Дата создания
    ]


def test_bitrix24_contacts_and_companies() -> None:
    contact_headers = [
        "ID", "Обращение", "Имя", "Второе имя", "Фамилия", "Рабочий телефон",
        "Мобильный телефон", "Рабочий e-mail", "Частный e-mail", "Должность", "Компания",
        "Ответственный", "Источник", "Любимый цвет",
    ]  # fmt: skip
    assert guess_all(CrmEntity.contact, contact_headers, {}) == [
        None, NEW_CUSTOM_FIELD, "first_name", "middle_name", "last_name", "phone", "phone",
        "email", "email", "position", "organisation", "responsible", "source",
        NEW_CUSTOM_FIELD,
    ]  # fmt: skip
    company_headers = ["Название компании", "ИНН", "КПП", "Телефон", "E-mail", "Адрес", "Сайт"]
    assert guess_all(CrmEntity.organisation, company_headers, {}) == [
        "name", "inn", "kpp", "phone", "email", "actual_address", "site",
    ]  # fmt: skip


def test_deals_from_amocrm_bitrix24_and_english_headers() -> None:
    amo = ["Название сделки", "Бюджет", "Этап сделки", "Воронка", "Ответственный",
           "Основной контакт", "Компания", "Дата закрытия"]  # fmt: skip
    assert guess_all(CrmEntity.deal, amo, {}) == [
        "title", "amount", "stage", "pipeline", "responsible", "contact", "organisation",
        "expected_close_on",
    ]  # fmt: skip
    table = read_table((FIXTURES / "bitrix24_deals.csv").read_bytes(), "deals.csv")
    assert guess_all(CrmEntity.deal, table.headers, {}) == [
        None, "title", "stage", "amount", "currency", "contact", "organisation", "responsible",
        "expected_close_on", "source",
    ]  # fmt: skip
    assert table.rows[0][1][3] == "125 000,50"  # the quoted comma stays in its cell
    english = ["Deal name", "Amount", "Stage", "Company", "Contact", "Email", "Phone"]
    assert guess_all(CrmEntity.deal, english, {}) == [
        "title", "amount", "stage", "organisation", "contact", "email", "phone",
    ]  # fmt: skip


def test_a_second_column_for_a_single_field_is_left_out() -> None:
    assert guess_all(CrmEntity.organisation, ["Название", "Наименование"], {}) == ["name", None]


@pytest.mark.parametrize(
    ("data", "delimiter"),
    [
        ("\ufeffName,Phone\r\nАнна,+79161234567\r\n".encode(), ","),
        ("Name;Phone\r\nАнна;+79161234567\r\n".encode(), ";"),
        ("Name\tPhone\nАнна\t+79161234567\n".encode("cp1251"), "\t"),
    ],
)
def test_encodings_and_delimiters_as_excel_writes_them(data: bytes, delimiter: str) -> None:
    table = read_table(data, "x.csv")
    assert table.headers == ["Name", "Phone"], delimiter
    assert table.rows == [(2, ["Анна", "+79161234567"])]


def test_xlsx_cells_read_as_typed() -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Название", "ИНН", "Сумма", "Дата"])
    sheet.append(["ООО Ромашка", 7707083893, 1250.5, date(2026, 12, 31)])
    sheet.append([None, None, None, None])  # a blank row is left out
    sheet.append(["ИП Гусев", "500100732259", 10, None])
    out = io.BytesIO()
    book.save(out)
    table = read_table(out.getvalue(), "orgs.xlsx")
    assert table.kind == "xlsx"
    assert table.rows == [
        (2, ["ООО Ромашка", "7707083893", "1250.5", "2026-12-31"]),
        (4, ["ИП Гусев", "500100732259", "10", ""]),
    ]


def test_a_file_named_xlsx_that_is_not_one() -> None:
    with pytest.raises(UnreadableFile) as caught:
        read_table("Name;Phone\nАнна;1\n".encode(), "contacts.xlsx")
    assert caught.value.error_id == "not-an-xlsx"
    with pytest.raises(UnreadableFile) as broken:
        read_table(b"PK\x03\x04 not really a zip", "contacts.xlsx")
    assert broken.value.error_id == "not-an-xlsx"
    empty = io.BytesIO()
    Workbook().save(empty)
    with pytest.raises(UnreadableFile) as blank:
        read_table(empty.getvalue(), "blank.xlsx")
    assert blank.value.error_id == "empty-file"


def test_amounts_and_dates_as_people_write_them() -> None:
    assert parse_amount("125 000,50") == Decimal("125000.50")
    assert parse_amount("125000.5 руб.") == Decimal("125000.50")
    assert parse_amount("1\u00a0000 ₽") == Decimal("1000.00")
    assert parse_amount("много") is None
    assert parse_amount("-5") is None
    assert parse_date("31.12.2026") == date(2026, 12, 31)
    assert parse_date("2026-12-31 10:00:00") == date(2026, 12, 31)
    assert parse_date("31.02.2026") is None


def test_mapping_key_ignores_case_and_spacing_of_headers() -> None:
    assert headers_key(["ФИО", "Телефон"]) == headers_key([" фио ", "ТЕЛЕФОН"])
    assert headers_key(["ФИО", "Телефон"]) != headers_key(["Телефон", "ФИО"])


def test_csv_out_is_what_russian_excel_opens() -> None:
    text = csv_lines([["ФИО", "Сумма"], ["Иванов; Иван", "1,50"]], bom=True)
    assert text == '\ufeffФИО;Сумма\r\n"Иванов; Иван";1,50\r\n'


def test_csv_out_quotes_text_a_spreadsheet_would_run_and_reads_back_as_typed() -> None:
    typed = [
        '=HYPERLINK("http://x","y")',
        "@SUM(1+1)",
        "+7 916 123-45-67",
        "+79161234567",
        "-2+3",
        "\tTAB",
        "\rCR",
        "'=already quoted",
        "-5",
        "-1500,50",
        "Иван",
        "it's",
    ]
    text = csv_lines([["Значение", "Число"], *([value, -5] for value in typed)])
    assert text == (
        "Значение;Число\r\n"
        '"\'=HYPERLINK(""http://x"",""y"")";-5\r\n'
        "'@SUM(1+1);-5\r\n"
        "'+7 916 123-45-67;-5\r\n"
        "'+79161234567;-5\r\n"
        "'-2+3;-5\r\n"
        "'\tTAB;-5\r\n"
        '"\'\rCR";-5\r\n'
        "''=already quoted;-5\r\n"
        "-5;-5\r\n"
        "-1500,50;-5\r\n"
        "Иван;-5\r\n"
        "it's;-5\r\n"
    )
    assert csv_lines([[Decimal("-5.00"), -1.5, None]]) == "-5.00;-1.5;\r\n"

    table = read_table(text.encode(), "export.csv")
    # The reader strips cells, so a leading tab or CR is not kept; the quote still goes.
    assert [cells[0] for _, cells in table.rows] == [
        v if v[0] not in "\t\r" else v[1:] for v in typed
    ]
    # Someone's own «'» before ordinary text (Excel's "text as typed" mark) stays.
    assert read_table(b"a;b\n'123;'x\n", "f.csv").rows == [(2, ["'123", "'x"])]
