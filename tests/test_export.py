"""GraphML export: a hand-made graph checked by hand, then the demo index through the CLI."""

from __future__ import annotations

import json
import os
import stat

import networkx as nx
import numpy as np
import pytest
from click.testing import CliRunner

from hipporag_like.cli import main
from hipporag_like.corpus import Passage
from hipporag_like.errors import IndexFormatError, InputError
from hipporag_like.export import GRAPHML_TYPES, check_destination, to_networkx, write_graphml
from hipporag_like.extraction.base import Extraction
from hipporag_like.graph import PASSAGE, RELATION, SYNONYMY, Edges, Facts, Phrases
from hipporag_like.store import IndexData

PRESS = Passage.make("Greywick Press", "Greywick Press was founded by Tomas Vell.\nIt released The Salt Ledger.")
LEDGER = Passage.make("", "The Salt Ledger is a novel.")  # no title: an empty label


def tiny(src=(2, 0, 0, 1, 2), dst=(3, 2, 3, 4, 4), weight=(2.0, 10.0, 1.0, 1.0, 0.85),
         kind=(RELATION, PASSAGE, PASSAGE, PASSAGE, SYNONYMY)) -> IndexData:
    """Two passages (nodes 0, 1) and three phrases (nodes 2, 3, 4), one edge per line below:
    greywick press -- tomas vell  relation 2.0
    PRESS -- greywick press       passage 10.0 (title edge)
    PRESS -- tomas vell           passage 1.0
    LEDGER -- salt ledger         passage 1.0
    greywick press -- salt ledger synonymy 0.85
    """
    return IndexData(
        passages=[PRESS, LEDGER],
        extractions=[Extraction(PRESS.id, ("Greywick Press", "Tomas Vell"), (("Greywick Press", "founded by", "Tomas Vell"),)),
                     Extraction(LEDGER.id, ("The Salt Ledger",), ())],
        phrases=Phrases(["greywick press", "tomas vell", "salt ledger"], [[0], [0], [1]]),
        facts=Facts([("greywick press", "founded by", "tomas vell")], [[0]]),
        edges=Edges(np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64),
                    np.array(weight, dtype=np.float64), np.array(kind, dtype=np.int8)),
    )


def check_tiny(graph: nx.Graph) -> None:
    press, ledger = f"p:{PRESS.id}", f"p:{LEDGER.id}"
    assert list(graph.nodes) == [press, ledger, "e:greywick press", "e:tomas vell", "e:salt ledger"]
    assert graph.nodes[press] == {"kind": "passage", "label": "Greywick Press", "passage_id": PRESS.id, "text": PRESS.text}
    assert graph.nodes[ledger]["label"] == "" and graph.nodes[ledger]["text"] == "The Salt Ledger is a novel."
    assert graph.nodes["e:tomas vell"] == {"kind": "phrase", "label": "tomas vell"}
    assert graph.number_of_edges() == 5
    assert graph.edges["e:greywick press", "e:tomas vell"] == {"kind": "relation", "weight": 2.0}
    assert graph.edges[press, "e:greywick press"] == {"kind": "passage", "weight": 10.0}
    assert graph.edges[press, "e:tomas vell"] == {"kind": "passage", "weight": 1.0}
    assert graph.edges[ledger, "e:salt ledger"] == {"kind": "passage", "weight": 1.0}
    assert graph.edges["e:salt ledger", "e:greywick press"] == {"kind": "synonymy", "weight": 0.85}


def test_to_networkx_by_hand():
    graph = to_networkx(tiny())
    assert type(graph) is nx.Graph and not graph.is_directed()
    check_tiny(graph)


def test_every_attribute_is_a_graphml_type():
    graph = to_networkx(tiny())
    values = [v for _, attrs in graph.nodes(data=True) for v in attrs.values()]
    values += [v for _, _, attrs in graph.edges(data=True) for v in attrs.values()]
    assert values and all(type(v) in GRAPHML_TYPES for v in values)  # not numpy scalars


def test_write_graphml_round_trip(tmp_path):
    path = tmp_path / "tiny.graphml"
    written = write_graphml(tiny(), path)
    assert written.number_of_nodes() == 5 and written.number_of_edges() == 5
    check_tiny(nx.read_graphml(path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.graphml"]  # no temporary file left


def test_write_graphml_replaces_an_existing_file(tmp_path):
    path = tmp_path / "g.graphml"
    path.write_text("old")
    write_graphml(tiny(), path)
    assert nx.read_graphml(path).number_of_nodes() == 5


def test_characters_xml_cannot_hold_are_replaced(tmp_path):
    data = tiny()
    data.passages[0] = Passage(PRESS.id, "Grey\x01wick", "bell\x07 and\ttab\nnewline \ud800")
    path = tmp_path / "g.graphml"
    write_graphml(data, path)
    node = nx.read_graphml(path).nodes[f"p:{PRESS.id}"]
    assert node["label"] == "Grey\ufffdwick" and node["text"] == "bell\ufffd and\ttab\nnewline \ufffd"


@pytest.mark.parametrize(
    "edges, message",
    [
        ({"src": (2, 9, 0, 1, 2)}, "edge 1 joins nodes 9 and 2; the graph has 5 nodes"),
        ({"kind": (RELATION, PASSAGE, PASSAGE, PASSAGE, 7)}, "edge 4 has unknown kind 7"),
        ({"src": (2, 0, 0, 1, 3), "dst": (3, 2, 3, 4, 2)}, "edge 4 repeats the pair e:tomas vell -- e:greywick press"),
        ({"weight": (1.0, 2.0)}, "edge arrays differ in length"),
    ],
)
def test_damaged_edges_are_refused(edges, message):
    with pytest.raises(IndexFormatError) as caught:
        to_networkx(tiny(**edges))
    assert message in str(caught.value)


def test_bad_destination(tmp_path):
    with pytest.raises(InputError, match="no such folder"):
        write_graphml(tiny(), tmp_path / "missing" / "g.graphml")
    with pytest.raises(InputError, match="is a folder"):
        write_graphml(tiny(), tmp_path)


def test_cli_export_demo_index(tmp_path, demo_index_path, demo_index):
    path = tmp_path / "demo.graphml"
    result = CliRunner().invoke(main, ["export", "--index", str(demo_index_path), "--graphml", str(path), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    data = demo_index.data
    n_nodes, n_edges = len(data.passages) + len(data.phrases.keys), len(data.edges.src)
    assert summary == {"graphml": str(path), "nodes": n_nodes, "edges": n_edges}
    graph = nx.read_graphml(path)
    assert graph.number_of_nodes() == n_nodes and graph.number_of_edges() == n_edges
    kinds = [k for _, _, k in graph.edges(data="kind")]
    assert {name: kinds.count(name) for name in ("relation", "passage", "synonymy")} == data.edges.count_by_kind()
    passages = [n for n, k in graph.nodes(data="kind") if k == "passage"]
    assert len(passages) == len(data.passages) and len(graph) - len(passages) == len(data.phrases.keys)
    first = data.passages[0]
    assert graph.nodes[f"p:{first.id}"]["label"] == first.title and graph.nodes[f"p:{first.id}"]["text"] == first.text
    ids = [f"p:{p.id}" for p in data.passages] + [f"e:{k}" for k in data.phrases.keys]
    for i in (0, len(data.edges.src) // 2, len(data.edges.src) - 1):
        u, v = ids[int(data.edges.src[i])], ids[int(data.edges.dst[i])]
        assert graph.edges[u, v]["weight"] == pytest.approx(float(data.edges.weight[i]))


def test_cli_export_text_and_refusals(tmp_path, demo_index_path):
    path = tmp_path / "demo.graphml"
    result = CliRunner().invoke(main, ["export", "--index", str(demo_index_path), "--graphml", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("wrote ") and str(path) in result.stdout
    inside = CliRunner().invoke(main, ["export", "--index", str(demo_index_path), "--graphml", str(demo_index_path / "g.graphml")])
    assert inside.exit_code == 2 and "is inside the index folder" in inside.output
    assert not (demo_index_path / "g.graphml").exists()


def test_a_symlink_is_refused_unless_followed_then_its_target_is_replaced(tmp_path):
    target_dir = tmp_path / "elsewhere"
    target_dir.mkdir()
    target = target_dir / "real.graphml"
    target.write_text("old")
    link = tmp_path / "link.graphml"
    link.symlink_to(target)
    with pytest.raises(InputError, match=r"link\.graphml: is a symbolic link; pass --follow-symlinks"):
        write_graphml(tiny(), link)
    assert link.is_symlink() and target.read_text() == "old"

    write_graphml(tiny(), link, follow_symlinks=True)
    assert link.is_symlink() and link.resolve() == target.resolve()  # the link stays a link
    check_tiny(nx.read_graphml(target))
    assert sorted(p.name for p in target_dir.iterdir()) == ["real.graphml"]  # no temp file left beside the target
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere", "link.graphml"]


def test_a_dangling_symlink_followed_creates_its_target(tmp_path):
    link = tmp_path / "link.graphml"
    link.symlink_to(tmp_path / "new.graphml")
    write_graphml(tiny(), link, follow_symlinks=True)
    assert link.is_symlink() and (tmp_path / "new.graphml").is_file()


def test_files_that_are_not_regular_are_refused_before_any_write(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match=r"pipe: is not a regular file \(a FIFO\)"):
        write_graphml(tiny(), fifo)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    # a device: only the check runs (nothing would be written anyway, but never risk /dev/null)
    with pytest.raises(InputError, match=r"/dev/null: is not a regular file \(a character device\)"):
        check_destination("/dev/null")
    # followed, a link to a device is refused for the device
    link = tmp_path / "null"
    link.symlink_to("/dev/null")
    with pytest.raises(InputError, match="a character device"):
        check_destination(link, follow_symlinks=True)


def test_cli_export_refuses_a_symlink_and_follows_it_when_asked(tmp_path, demo_index_path):
    target = tmp_path / "real.graphml"
    target.write_text("old")
    link = tmp_path / "link.graphml"
    link.symlink_to(target)
    args = ["export", "--index", str(demo_index_path), "--graphml", str(link)]
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 2 and "pass --follow-symlinks" in refused.stderr and target.read_text() == "old"
    followed = CliRunner().invoke(main, [*args, "--follow-symlinks", "--json"])
    assert followed.exit_code == 0, followed.output
    assert link.is_symlink() and nx.read_graphml(target).number_of_nodes() == json.loads(followed.stdout)["nodes"]
