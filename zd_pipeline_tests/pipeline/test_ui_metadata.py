"""What the Dagster UI shows about every asset of the code location, read from the definitions (no webserver).

Every asset, raw and analytics, must say what its table holds, list its columns each with a description, name its
owners and kinds, sit in a group that reads as a story (raw ``zendesk`` → ``analytics``) and link to the code
that defines it (the catalogue entry for a raw table, the SQL for an analytics table).
"""

from pathlib import Path

import dagster as dg
import pytest

from zd_pipeline.catalogue import LISTS, STREAMS
from zd_pipeline.definitions import build_definitions

ENV = {"ZENDESK_START_DATE": "2026-11-01"}  # default schema: the raw group is "zendesk"
KINDS = {"zendesk": {"zendesk", "duckdb"}, "analytics": {"duckdb", "sql"}}


GRAPH = build_definitions(ENV).resolve_asset_graph()
NODES = {key.to_user_string(): GRAPH.get(key) for key in GRAPH.get_all_asset_keys()}  # asset nodes, by "a/b"


def test_groups_read_as_a_story_raw_zendesk_then_analytics() -> None:
    groups = {name: node.group_name for name, node in NODES.items()}
    raw = {f"zendesk/{s}" for s in [*STREAMS, *LISTS]}  # the exports and the reference tables
    assert {name for name, group in groups.items() if group == "zendesk"} == raw
    assert set(groups.values()) == {"zendesk", "analytics"}
    for name, node in NODES.items():
        if node.group_name == "analytics":
            assert node.parent_keys, f"{name} reads nothing"
            ancestors = {GRAPH.get(key).group_name for key in GRAPH.get_ancestor_asset_keys(node.key)}
            assert "zendesk" in ancestors and ancestors <= {"zendesk", "analytics"}, (name, ancestors)


@pytest.mark.parametrize("name", sorted(NODES))
def test_every_asset_says_what_it_holds_who_owns_it_and_what_it_is(name: str) -> None:
    node = NODES[name]
    assert node.description and len(node.description) >= 30, name
    assert node.owners and all(o.startswith("team:") for o in node.owners), name
    assert set(node.kinds) == KINDS[node.group_name], name
    assert node.metadata["dagster/table_name"] == name.replace("/", "."), name


@pytest.mark.parametrize("name", sorted(NODES))
def test_every_column_is_typed_and_described(name: str) -> None:
    schema = NODES[name].metadata["dagster/column_schema"]
    assert isinstance(schema, dg.TableSchema) and schema.columns, name
    undescribed = [c.name for c in schema.columns if not (c.description and c.type)]
    assert not undescribed, f"{name}: columns without a description or type: {undescribed}"
    if NODES[name].group_name == "zendesk":
        stream = {**STREAMS, **LISTS}[name.split("/")[-1]]
        assert [c.name for c in schema.columns][: len(stream.columns)] == [c.name for c in stream.columns]


@pytest.mark.parametrize("name", sorted(NODES))
def test_every_asset_links_to_the_code_that_defines_its_table(name: str) -> None:
    [reference] = NODES[name].metadata["dagster/code_references"].code_references
    assert isinstance(reference, dg.LocalFileCodeReference) and reference.label, name
    line = Path(reference.file_path).read_text(encoding="utf-8").splitlines()[reference.line_number - 1]
    if NODES[name].group_name == "zendesk":
        module = "lists.py" if name.split("/")[-1] in LISTS else "streams.py"
        assert Path(reference.file_path).parts[-2:] == ("catalogue", module)
        assert f'"{name.split("/")[-1]}"' in line, (name, line)
    else:
        assert line.rstrip().endswith('"""'), (name, line)  # the SQL string starts on this line
