"""What gets embedded: pure functions from titles and bodies to texts and passages."""

from __future__ import annotations

import re
from dataclasses import dataclass

# all-MiniLM-L6-v2 reads 256 word pieces; longer text is cut, so passages stay below that.
PASSAGE_WORDS = 120
MIN_PASSAGE_WORDS = 25
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")


@dataclass(frozen=True)
class Passage:
    heading: str
    text: str


def _clean(text: str) -> str:
    return " ".join(text.split())


def passages_split(title: str, body: str) -> list[Passage]:
    """An article cut into sections: by Markdown headings, then by paragraphs, each section
    a few paragraphs long (short paragraphs join the next; long ones stand alone)."""
    sections: list[tuple[str, list[str]]] = [(title, [])]
    paragraph: list[str] = []

    def close_paragraph() -> None:
        if paragraph:
            sections[-1][1].append(_clean(" ".join(paragraph)))
            paragraph.clear()

    for line in body.splitlines():
        heading = HEADING.match(line)
        if heading:
            close_paragraph()
            sections.append((_clean(heading.group(2)) or title, []))
        elif not line.strip():
            close_paragraph()
        else:
            # Plain-text bodies (imports) put one block per line: a line is a paragraph.
            paragraph.append(line.strip())
            if not line.startswith((" ", "\t", "-", "*")) and line.rstrip().endswith((".", ":")):
                close_paragraph()
    close_paragraph()
    out: list[Passage] = []
    for heading, paragraphs in sections:
        chunk: list[str] = []
        for para in paragraphs:
            words = len(para.split())
            if chunk and len(" ".join(chunk).split()) + words > PASSAGE_WORDS:
                out.append(Passage(heading, " ".join(chunk)))
                chunk = []
            chunk.append(para)
            if len(" ".join(chunk).split()) >= MIN_PASSAGE_WORDS * 2:
                out.append(Passage(heading, " ".join(chunk)))
                chunk = []
        if chunk:
            text = " ".join(chunk)
            # A short tail joins the previous section of the same heading.
            if out and out[-1].heading == heading and len(text.split()) < MIN_PASSAGE_WORDS:
                out[-1] = Passage(heading, out[-1].text + " " + text)
            else:
                out.append(Passage(heading, text))
    return [p for p in out if p.text]


def passage_input(title: str, passage: Passage) -> str:
    """What the model reads for a passage: where it sits, then what it says."""
    if passage.heading and passage.heading != title:
        return f"{title}. {passage.heading}. {passage.text}"
    return f"{title}. {passage.text}"


def article_input(title: str, body: str) -> str:
    return f"{title}. {_clean(body)[:1200]}"


def ticket_input(subject: str, body: str) -> str:
    return f"{_clean(subject)}. {_clean(body)[:1000]}"
