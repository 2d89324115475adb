"""The notes the report draws in place of charts whose optional raw tables are absent: escaped, parent first."""

from __future__ import annotations

from flowmetrics.report.build import EXPERIMENT_TABLES, absent_note
from flowmetrics.report.html import Note, Section, render
from flowmetrics.warehouse.optional_tables import (
    ABSENT_NOTES,
    NO_RAW_CONTRACT,
    OPTIONAL_TABLES,
    STAGED,
    SUGGESTED_MAP_NOTE,
    absence_notes,
)


def test_every_optional_table_has_its_note_and_it_names_the_table():
    assert set(ABSENT_NOTES) == set(OPTIONAL_TABLES)
    for table, text in ABSENT_NOTES.items():
        assert text.startswith(f"no {table} in this warehouse"), table


def test_every_contract_table_has_the_staged_relation_a_connector_only_warehouse_is_judged_on():
    assert set(OPTIONAL_TABLES) <= set(STAGED)


def test_without_raw_contract_tables_the_status_map_note_names_the_suggested_map():
    notes = absence_notes(("tickets", "status_map", "deploys"))
    assert notes == (NO_RAW_CONTRACT, SUGGESTED_MAP_NOTE, ABSENT_NOTES["deploys"])
    assert "suggested" in SUGGESTED_MAP_NOTE and "default" not in SUGGESTED_MAP_NOTE


def test_a_child_table_is_not_named_when_its_parent_is_absent():
    assert absence_notes(("deploys", "deploy_tickets")) == (ABSENT_NOTES["deploys"],)
    assert absence_notes(("experiments", "experiment_events", "experiment_exposures")) == (
        ABSENT_NOTES["experiments"],)
    assert absence_notes(("deploy_tickets", "experiment_exposures")) == (
        ABSENT_NOTES["deploy_tickets"], ABSENT_NOTES["experiment_exposures"])
    assert absence_notes(("deploys", "incidents")) == (ABSENT_NOTES["deploys"],)
    assert absence_notes(("incidents",)) == (ABSENT_NOTES["incidents"],)
    assert absence_notes(()) == ()


def test_the_chart_note_names_the_parent_first():
    assert absent_note((), "experiment-funnel", EXPERIMENT_TABLES) is None
    assert absent_note(("experiment_events",), "experiment-funnel", EXPERIMENT_TABLES) == Note(
        "experiment-funnel", ABSENT_NOTES["experiment_events"])
    assert absent_note(("experiment_events", "experiments"), "x", EXPERIMENT_TABLES).text == ABSENT_NOTES[
        "experiments"]


def test_a_note_is_escaped_html():
    page = render("t", "s", [Section("dora", "Delivery", "lead", (Note("dora", "<script>alert(1)</script> & co"),))])
    assert '<p class="note" id="note-dora">&lt;script&gt;alert(1)&lt;/script&gt; &amp; co</p>' in page
    assert "<script>alert(1)" not in page



def test_a_warehouse_without_raw_contract_tables_says_so_first():
    from flowmetrics.warehouse.optional_tables import NO_RAW_CONTRACT

    assert absence_notes(("tickets", "deploys", "deploy_tickets")) == (NO_RAW_CONTRACT, ABSENT_NOTES["deploys"])
    assert NO_RAW_CONTRACT.startswith("no raw contract tables in this warehouse")
