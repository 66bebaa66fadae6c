"""Export an index's knowledge graph for other tools: networkx in memory, GraphML on disk.

    from hipporag_like import Index
    from hipporag_like.export import write_graphml
    with Index.open("indexes/demo") as index:
        write_graphml(index.data, "demo.graphml")   # open it in Gephi, Cytoscape, yEd, networkx

Nodes keep the index's layout: passage nodes first, then phrase nodes. Their ids are
"p:<passage id>" and "e:<phrase>"; attributes are `kind` ("passage" or "phrase") and `label`
(the passage title or the phrase), plus `passage_id` and `text` on passages. Edges are
undirected with `kind` (relation, passage or synonymy; see graph.py) and `weight`.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import IndexFormatError, InputError
from .graph import EDGE_KINDS
from .store import IndexData

if TYPE_CHECKING:
    import networkx as nx

PASSAGE_NODE, PHRASE_NODE = "passage", "phrase"
# GraphML stores only these attribute types (networkx maps them to string, int/long, double, boolean).
GRAPHML_TYPES = (str, int, float, bool)
# Characters XML 1.0 cannot hold (C0 controls but tab, newline, CR; surrogates; U+FFFE, U+FFFF).
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def passage_node_id(passage_id: str) -> str:
    return f"p:{passage_id}"


def phrase_node_id(phrase: str) -> str:
    return f"e:{phrase}"


def to_networkx(data: IndexData) -> "nx.Graph":
    """The index's graph as an undirected networkx Graph; no I/O.

    Parameters:
        data: the graph data of an index (`Index.data`): passages, phrases and edges in node
            index space (passage p is node p, phrase i is node len(passages) + i).

    Returns:
        A `networkx.Graph` with one node per passage and phrase, in node-index order, and one
        edge per entry of `data.edges`. Every attribute value is a str or float, so the graph
        can be written as GraphML as it is.

    Raises:
        IndexFormatError: the edge arrays differ in length, an edge names a node or edge kind
            that does not exist, two nodes would share an id, or two edges join the same pair
            (an index holds one edge per pair; a Graph cannot hold two).

    Examples:
        >>> graph = to_networkx(index.data)
        >>> graph.nodes["e:greywick press"]["kind"]
        'phrase'
    """
    import networkx as nx

    graph = nx.Graph()
    for passage in data.passages:
        node = passage_node_id(passage.id)
        if node in graph:
            raise IndexFormatError(f"passage id {passage.id} appears twice")
        graph.add_node(node, kind=PASSAGE_NODE, label=passage.title, passage_id=passage.id, text=passage.text)
    for phrase in data.phrases.keys:
        node = phrase_node_id(phrase)
        if node in graph:
            raise IndexFormatError(f'phrase "{phrase}" appears twice')
        graph.add_node(node, kind=PHRASE_NODE, label=phrase)

    ids = list(graph.nodes)
    edges = data.edges
    src, dst = np.asarray(edges.src), np.asarray(edges.dst)
    weight, kind = np.asarray(edges.weight), np.asarray(edges.kind)
    if not len(src) == len(dst) == len(weight) == len(kind):
        raise IndexFormatError(
            f"edge arrays differ in length (src {len(src)}, dst {len(dst)}, weight {len(weight)}, kind {len(kind)})"
        )
    for i, (a, b, w, k) in enumerate(zip(src.tolist(), dst.tolist(), weight.tolist(), kind.tolist())):
        if not (0 <= a < len(ids) and 0 <= b < len(ids)):
            raise IndexFormatError(f"edge {i} joins nodes {a} and {b}; the graph has {len(ids)} nodes")
        if k not in EDGE_KINDS:
            raise IndexFormatError(f"edge {i} has unknown kind {k} (known: {', '.join(f'{c} {n}' for c, n in EDGE_KINDS.items())})")
        u, v = ids[a], ids[b]
        if graph.has_edge(u, v):
            raise IndexFormatError(f"edge {i} repeats the pair {u} -- {v} (already a {graph.edges[u, v]['kind']} edge)")
        graph.add_edge(u, v, kind=EDGE_KINDS[k], weight=float(w))
    return graph


def graphml_safe(graph: "nx.Graph") -> "nx.Graph":
    """A copy whose node ids and string attributes XML can hold: characters XML 1.0 forbids
    (control characters, lone surrogates) become U+FFFD.

    Raises:
        TypeError: an attribute value is not a str, int, float or bool (GraphML has no other type).
        IndexFormatError: two node ids become the same once cleaned.
    """
    import networkx as nx

    def clean(value: Any, where: str) -> Any:
        if not isinstance(value, GRAPHML_TYPES):
            raise TypeError(f"{where}: GraphML cannot store a {type(value).__name__} (only str, int, float, bool)")
        return _NOT_XML.sub("\ufffd", value) if isinstance(value, str) else value

    names = {node: clean(node, f"node {node!r}") for node in graph.nodes}
    if len(set(names.values())) != len(names):
        raise IndexFormatError("two node ids differ only in characters XML cannot hold")
    safe = nx.Graph()
    safe.graph.update({key: clean(value, f"graph attribute {key!r}") for key, value in graph.graph.items()})
    for node, attrs in graph.nodes(data=True):
        safe.add_node(names[node], **{key: clean(value, f"node {node!r} attribute {key!r}") for key, value in attrs.items()})
    for u, v, attrs in graph.edges(data=True):
        safe.add_edge(names[u], names[v], **{key: clean(value, f"edge {u!r} -- {v!r} attribute {key!r}") for key, value in attrs.items()})
    return safe


def check_destination(path: str | Path, follow_symlinks: bool = False) -> Path:
    """The file to replace for `path`, refused before any work if it cannot or must not be
    replaced: a missing folder, a folder, a device, a FIFO or a socket (a temp file renamed
    over it would turn it into a regular file), or a symbolic link unless `follow_symlinks`,
    in which case the link's final target is returned (the link itself stays).

    Raises:
        InputError: naming the path and what is wrong with it.
    """
    path = Path(path)
    if path.is_symlink():
        if not follow_symlinks:
            raise InputError(f"{path}: is a symbolic link; pass --follow-symlinks to write to the file it points to")
        path = Path(os.path.realpath(path))  # the final target, which may not exist yet
        if path.is_symlink():
            raise InputError(f"{path}: symbolic links point in a loop")
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give a file name for the GraphML")
    if path.exists() and not path.is_file():
        raise InputError(f"{path}: is not a regular file ({_file_kind(path)}); give a file name for the GraphML")
    if path.parent.exists() and not path.parent.is_dir():
        raise InputError(f"{path.parent}: is a file, not a folder")
    if not path.parent.is_dir():
        raise InputError(f"{path.parent}: no such folder (create it first)")
    return path


def _file_kind(path: Path) -> str:
    mode = path.stat().st_mode
    for test, name in ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a plain file"


def write_graphml(data: IndexData, path: str | Path, follow_symlinks: bool = False) -> "nx.Graph":
    """Write the index's graph to `path` as GraphML; return the graph written.

    The file is written under a temporary name beside the file it replaces and renamed into
    place, so that file holds either its old content or the whole new graph, never half of it.
    A symbolic link at `path` is refused unless `follow_symlinks`: then its target is replaced
    (the temporary file is made beside the target, so the rename stays on one file system).

    Raises:
        InputError: see `check_destination`.
        IndexFormatError: see `to_networkx`.
    """
    import networkx as nx

    path = check_destination(path, follow_symlinks)
    graph = graphml_safe(to_networkx(data))
    tmp = path.parent / f".{path.name}.tmp-{os.getpid()}"
    try:
        with tmp.open("wb") as out:
            nx.write_graphml(graph, out, encoding="utf-8")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return graph


__all__ = ["to_networkx", "write_graphml", "graphml_safe", "check_destination", "passage_node_id", "phrase_node_id"]
