"""Command line of the knowledge base.

python -m knowledge search "làm sổ đỏ cần gì" --k 5 --json
python -m knowledge search --batch questions.txt --k 5 --json
python -m knowledge import export.json
python -m knowledge validate
python -m knowledge export-nlu --out data/nlu/lookups/procedure.yml
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.settings import get_settings
from bot.vietnamese import clean
from knowledge.search import SearchResult


def _print_result(result: SearchResult, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result.to_json(), ensure_ascii=False), flush=True)
        return
    verdict = "có thể trả lời" if result.answerable else "không có thủ tục phù hợp"
    if result.ambiguous:
        verdict += " (nhiều thủ tục gần nhau)"
    print(f"{result.query!r}: {verdict}")
    for rank, hit in enumerate(result.results, start=1):
        print(f"  {rank}. {hit.id:<32} {hit.score:8.4f}  {hit.name}")


def cmd_search(args: argparse.Namespace) -> int:
    from knowledge.service import get_knowledge_base

    if args.query is None and args.batch is None:
        print("lỗi: cần một câu hỏi hoặc --batch FILE", file=sys.stderr)
        return 2
    knowledge_base = get_knowledge_base()
    if args.batch is not None:
        stream = sys.stdin if str(args.batch) == "-" else args.batch.open(encoding="utf-8", errors="replace")
        with stream:
            for line in stream:
                _print_result(knowledge_base.search(line.rstrip("\n"), args.k), args.json)
        return 0
    _print_result(knowledge_base.search(args.query, args.k), args.json)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from knowledge.importer import import_file

    report = import_file(args.file, get_settings().corpus_dir)
    for line, reason in report.errors:
        print(f"{args.file}:{line}: bỏ qua bản ghi: {reason}", file=sys.stderr)
    print(f"đã nhập {len(report.imported)} thủ tục, bỏ qua {len(report.errors)} bản ghi lỗi")
    for procedure_id in report.imported:
        print(f"  {procedure_id}")
    return 0 if report.ok else 1


def cmd_validate(_: argparse.Namespace) -> int:
    from knowledge.corpus import CorpusError, load_catalogue, load_corpus

    settings = get_settings()
    try:
        procedures = load_corpus(settings.corpus_dir)
    except CorpusError as exc:
        print(f"lỗi: {exc}", file=sys.stderr)
        return 1
    missing = {entry.id for entry in load_catalogue(settings.catalogue_file)} - {p.id for p in procedures}
    if missing:
        print(f"lỗi: thiếu hồ sơ thủ tục cho: {', '.join(sorted(missing))}", file=sys.stderr)
        return 1
    print(f"{len(procedures)} thủ tục hợp lệ")
    return 0


def cmd_export_nlu(args: argparse.Namespace) -> int:
    from knowledge.corpus import load_corpus
    from knowledge.nlu_export import render_lookup_yaml

    text = render_lookup_yaml(load_corpus(get_settings().corpus_dir))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m knowledge", description="Procedure knowledge base")
    commands = parser.add_subparsers(dest="command", required=True)

    search = commands.add_parser("search", help="find the procedures matching a question")
    search.add_argument("query", nargs="?", type=clean)
    search.add_argument("--batch", type=Path, help="file with one question per line ('-' for stdin)")
    search.add_argument("--k", type=int, default=5)
    search.add_argument("--json", action="store_true", help="one JSON object per question")
    search.set_defaults(handler=cmd_search)

    importer = commands.add_parser("import", help="import records exported from the national database")
    importer.add_argument("file", type=Path)
    importer.set_defaults(handler=cmd_import)

    validate = commands.add_parser("validate", help="check the corpus against the schema and the catalogue")
    validate.set_defaults(handler=cmd_validate)

    export = commands.add_parser("export-nlu", help="write the procedure lookup table and synonyms for Rasa")
    export.add_argument("--out", type=Path, default=Path("data/nlu/lookups/procedure.yml"))
    export.set_defaults(handler=cmd_export_nlu)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "k", 1) < 1 or getattr(args, "k", 1) > 50:
        print("lỗi: --k phải từ 1 đến 50", file=sys.stderr)
        return 2
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
