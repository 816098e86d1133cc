"""Pure parts: passages, fusion, thresholds, shared words (no database, no model)."""

from __future__ import annotations

import numpy as np

from frontdesk.ai.classify import precision_at_coverage, threshold_for
from frontdesk.ai.hybrid import fuse
from frontdesk.ai.similar import shared_words
from frontdesk.ai.texts import passages_split


def test_article_splits_into_sections_by_heading():
    body = (
        "Intro words here.\n\n## Reset your password\n\n"
        + "Open settings and choose reset. " * 10
        + "\n\n## Change your email\n\nGo to profile and type the new address."
    )
    parts = passages_split("Account help", body)
    headings = [p.heading for p in parts]
    assert "Reset your password" in headings
    assert "Change your email" in headings
    assert parts[headings.index("Change your email")].text.startswith("Go to profile")


def test_plain_text_lines_become_paragraphs_and_long_text_is_cut():
    body = "\n".join(
        f"Sentence number {i} says something useful about printers." for i in range(60)
    )
    parts = passages_split("Printers", body)
    assert len(parts) > 3
    assert all(len(p.text.split()) <= 130 for p in parts)


def test_fusion_adds_a_lexical_bonus_to_similarity():
    lexical = [("article", 1), ("article", 2), ("article", 3)]
    semantic = [(("article", 3), 0.62), (("article", 4), 0.5), (("article", 1), 0.6)]
    ranked = [key[1] for key in fuse(lexical, semantic, limit=4)]
    assert ranked[:2] == [1, 3]  # 0.6 + 0.1 beats 0.62 + 0.033
    assert set(ranked) == {1, 2, 3, 4}
    assert ranked[-1] == 2  # a word match alone ranks below close meanings


def test_threshold_is_the_lowest_confidence_meeting_the_precision_target():
    confidence = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    correct = np.array([True, True, True, False, False])
    threshold, precision, coverage = threshold_for(confidence, correct, 0.95)
    assert threshold == 0.7
    assert precision == 1.0
    assert coverage == 0.6
    assert threshold_for(confidence, np.zeros(5, dtype=bool), 0.9)[0] > 1.0
    assert precision_at_coverage(confidence, correct, 0.6) == 1.0


def test_shared_words_name_the_common_cause():
    subjects = ["Login fails with error 500", "Error 500 on login page", "login error 500 again"]
    assert set(shared_words(subjects).split()) >= {"login", "error", "500"}
