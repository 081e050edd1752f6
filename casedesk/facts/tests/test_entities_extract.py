"""manage.py entities_extract: JSON lines in, spans out, bad lines named and skipped."""

import json

import pytest
from django.core.management import CommandError, call_command


def _run(tmp_path, lines, *extra):
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    call_command("entities_extract", "--input", str(source), "--output", str(target), *extra)
    return source, target


def test_every_line_gets_its_spans_with_offsets_into_its_text(tmp_path):
    texts = {"a1": "Сын служит в войсковой части 12345 с 01.02.2023.",
             7: "Выплата 3 млн рублей по ст. 51 53-ФЗ, категория «Б».",
             "empty": ""}
    lines = [json.dumps({"id": key, "text": text}, ensure_ascii=False)
             for key, text in texts.items()]
    _source, target = _run(tmp_path, lines, "--no-ner")

    out = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in out] == ["a1", 7, "empty"]
    for row in out:
        text = texts[row["id"]]
        for span in row["spans"]:
            assert set(span) == {"start", "end", "type", "text", "normal"}
            assert text[span["start"]:span["end"]] == span["text"]
    assert {(s["type"], s["normal"]) for s in out[0]["spans"]} == {
        ("UNIT", "12345"), ("DATE", "2023-02-01")}
    assert {(s["type"], s["normal"]) for s in out[1]["spans"]} == {
        ("MONEY", "3000000"), ("LAW", "53-ФЗ ст. 51"), ("FITNESS", "Б")}
    assert out[2]["spans"] == []


def test_with_the_model_people_and_places_come_out_too(tmp_path):
    line = json.dumps({"id": 1, "text": "Юрист Павел Чиков из Казани помог нам."},
                      ensure_ascii=False)
    _source, target = _run(tmp_path, [line])
    spans = json.loads(target.read_text(encoding="utf-8"))["spans"]
    assert ("PER", "Павел Чиков") in {(s["type"], s["text"]) for s in spans}
    assert ("LOC", "Казани") in {(s["type"], s["text"]) for s in spans}


def test_bad_lines_are_named_on_stderr_and_skipped_the_rest_written(tmp_path, capsys):
    lines = [json.dumps({"id": 1, "text": "в/ч 11111"}, ensure_ascii=False),
             "{not json",
             json.dumps({"text": "no id"}),
             json.dumps({"id": 4, "text": 5}),
             json.dumps({"id": 5, "text": "вч 55555"}, ensure_ascii=False)]
    with pytest.raises(CommandError):
        _run(tmp_path, lines, "--no-ner")
    err = capsys.readouterr().err
    assert "line 2:" in err and "line 3:" in err and "line 4:" in err
    assert "line 1:" not in err and "line 5:" not in err
    out = [json.loads(line) for line in
           (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(row["id"], row["spans"][0]["normal"]) for row in out] == [(1, "11111"),
                                                                         (5, "55555")]
