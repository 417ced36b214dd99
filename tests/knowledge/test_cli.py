import json
import subprocess
import sys


def run(*args, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "knowledge", *args], input=stdin, capture_output=True, text=True, check=False
    )


def test_search_json():
    result = run("search", "làm sổ đỏ lần đầu cần giấy tờ gì", "--k", "3", "--json")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["answerable"] and body["results"][0]["id"] == "cap-so-do-lan-dau"
    assert len(body["results"]) == 3


def test_batch_one_json_object_per_line(tmp_path):
    questions = tmp_path / "q.txt"
    questions.write_text("lam ho chieu o dau\n\ngia vang hom nay\n", encoding="utf-8")
    result = run("search", "--batch", str(questions), "--k", "5", "--json")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["answerable"] for line in lines] == [True, False, False]
    assert lines[0]["results"][0]["id"] == "ho-chieu"


def test_bad_arguments_are_explained():
    assert run("search").returncode == 2
    assert "--k" in run("search", "x", "--k", "0").stderr


def test_validate():
    result = run("validate")
    assert result.returncode == 0 and "41" in result.stdout
