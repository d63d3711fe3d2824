"""mg.draw: DOT structure for known graphs, leaf kinds, module clusters and collapse, override marker,
node cap, gradient and value annotations, freed graphs, rendering with `dot`, and the CLI."""
import os
import re
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.draw import DotNotFoundError, save
from minigrad.draw.layout import Layout
from minigrad.draw.render import STYLE
from minigrad.tensor import _scope

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's `dot` is not installed (apt-get install graphviz)")


def parse(g):
    """(nodes: id -> (plain label text, attribute text), edges: [(src, dst)]) from the DOT source."""
    nodes, edges = {}, []
    for line in g.source.splitlines():
        m = re.match(r"\s*(\w+) -> (\w+)", line)
        if m:
            edges.append(m.groups())
            continue
        m = re.match(r"\s*(\w+) \[label=<(.*)> (.*)\]$", line)
        if m and m.group(1) not in ("graph", "node", "edge"):
            text = re.sub(r"<[^>]+>", " ", m.group(2)).replace("&gt;", ">").replace("&lt;", "<")
            nodes[m.group(1)] = (" ".join(text.split()), m.group(3))
    return nodes, edges


def by_label(nodes, word):
    return [k for k, (text, _) in nodes.items() if text.split()[0] == word or text.startswith(word + " ")]


def expression():
    x = mg.tensor(np.arange(6.0).reshape(2, 3) - 2)          # constant
    w = mg.tensor([1.0, -1.0, 2.0], requires_grad=True)
    b = mg.tensor([0.5, 0.5, -0.5], requires_grad=True)
    return (x * w + b).relu().sum(), (x, w, b)


class MLP(nn.Module):
    def __init__(self, d_in=12, hidden=8, d_out=3):
        super().__init__()
        self.fc1 = nn.Linear(d_in, hidden)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(hidden, d_out)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


# -- structure ---------------------------------------------------------------------------------------

def test_known_expression_has_one_node_per_op_and_leaf_and_data_flow_edges():
    y, _ = expression()
    nodes, edges = parse(mg.draw(y))
    assert len(nodes) == 7 and len(edges) == 6
    ops = {w: by_label(nodes, w) for w in ("mul", "add", "relu", "sum")}
    assert all(len(v) == 1 for v in ops.values()), nodes
    mul, add, relu, total = (v[0] for v in ops.values())
    leaves = [k for k in nodes if k.startswith("leaf")]
    assert len(leaves) == 3
    assert set(edges) == {(leaves[0], mul), (leaves[1], mul), (mul, add), (leaves[2], add), (add, relu),
                          (relu, total)}
    assert "(2, 3) float64" in nodes[mul][0] and "(2, 3) float64" in nodes[relu][0]
    assert "scalar float64" in nodes[total][0] and "axes=(0, 1)" in nodes[total][0]
    assert "peripheries=2" in nodes[total][1]                     # the output is marked
    assert "peripheries" not in nodes[relu][1]


def test_value_used_twice_by_one_op_draws_two_arrows():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    nodes, edges = parse(mg.draw((x * x).sum()))
    mul = by_label(nodes, "mul")[0]
    assert edges.count(("leaf0", mul)) == 2 and len(nodes) == 3


def test_leaf_kinds_are_drawn_differently():
    p = nn.Parameter(np.ones((2, 3)))
    p.name = "fc.weight"
    x = mg.tensor(np.ones((4, 3)), requires_grad=True)
    c = mg.tensor(np.full((4, 2), 3.0))
    y = (x @ p.T * 0.5 + c).sum()
    nodes, edges = parse(mg.draw(y))
    leaves = {k: v for k, v in nodes.items() if k.startswith("leaf")}
    assert len(leaves) == 4
    param = [v for v in leaves.values() if v[0].startswith("fc.weight")]
    assert len(param) == 1 and "(2, 3) float32" in param[0][0]
    assert "shape=box" in param[0][1] and STYLE["param"][0] in param[0][1]
    inp = [v for v in leaves.values() if v[0].startswith("input")]
    assert len(inp) == 1 and "shape=ellipse" in inp[0][1] and STYLE["input"][0] in inp[0][1]
    consts = [v for v in leaves.values() if "dashed" in v[1]]
    assert sorted(v[0] for v in consts) == ["0.5", "constant (4, 2) float64"]
    # constants' arrows are dashed too
    dashed = re.findall(r"(\w+) -> \w+ \[style=dashed\]", mg.draw(y).source)
    assert len(dashed) == 2


def test_named_op_output_and_leaf_output():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    loss = x.exp().sum()
    loss.name = "loss"
    nodes, _ = parse(mg.draw(loss))
    assert by_label(nodes, "loss:") and "loss: sum" in nodes[by_label(nodes, "loss:")[0]][0]
    nodes, edges = parse(mg.draw(x))                             # a leaf alone is still a graph
    assert len(nodes) == 1 and not edges and "peripheries=2" in nodes["leaf0"][1]


def test_several_outputs_share_one_graph():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    h = x.exp()
    nodes, edges = parse(mg.draw(h.sum(), h.mean()))
    assert len(by_label(nodes, "exp")) == 1 and len(nodes) == 4 and len(edges) == 3
    assert sum("peripheries=2" in a for _, a in nodes.values()) == 2


# -- module clusters and collapse ------------------------------------------------------------------

def clusters(source):
    """cluster id -> (label, parent cluster id or None), read from the nesting of the DOT text."""
    out, stack = {}, []
    for line in source.splitlines():
        m = re.match(r"\s*subgraph (cluster_\d+) \{", line)
        if m:
            out[m.group(1)] = [None, stack[-1] if stack else None]
            stack.append(m.group(1))
        elif line.strip() == "}" and stack:
            stack.pop()
        elif stack and out[stack[-1]][0] is None:
            lab = re.search(r'label=("[^"]*"|\S+)', line)
            if lab and "subgraph" not in line:
                out[stack[-1]][0] = lab.group(1).strip('"')
    return {k: tuple(v) for k, v in out.items()}


def members(source, cluster):
    """Node ids declared directly inside `cluster`."""
    depth, inside, found = 0, False, []
    for line in source.splitlines():
        if re.match(rf"\s*subgraph {cluster} \{{", line):
            inside, depth = True, 0
            continue
        if not inside:
            continue
        if "subgraph" in line:
            depth += 1
        elif line.strip() == "}":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0:
            m = re.match(r"\s*(\w+) \[label=", line)
            if m:
                found.append(m.group(1))
    return found


def test_ops_are_clustered_by_module_call_with_nesting_and_class_names():
    net = MLP()
    x = mg.tensor(np.random.default_rng(0).standard_normal((5, 12)).astype(np.float32))
    out = net(x)
    g = mg.draw(out, model=net)
    cl = clusters(g.source)
    labels = sorted(lab for lab, _ in cl.values())
    assert labels == ["MLP", "act (ReLU)", "fc1 (Linear)", "fc2 (Linear)"]
    top = [k for k, (lab, parent) in cl.items() if lab == "MLP"][0]
    assert all(parent == top for k, (lab, parent) in cl.items() if k != top)
    nodes, _ = parse(g)
    fc1 = [k for k, (lab, _) in cl.items() if lab == "fc1 (Linear)"][0]
    inside = [nodes[k][0].split()[0] for k in members(g.source, fc1)]
    assert sorted(inside) == ["fc1.bias", "fc1.weight", "linear"]
    # the data input is outside every module, so it stays visible when modules fold
    assert "leaf0" not in members(g.source, top) and nodes["leaf0"][0].startswith("constant (5, 12)")
    # without the model the clusters are still there, labelled by path
    assert sorted(lab for lab, _ in clusters(mg.draw(out).source).values()) == ["MLP", "act", "fc1", "fc2"]


def test_each_call_of_a_shared_module_gets_its_own_cluster():
    x = mg.tensor(np.ones(3), requires_grad=True)
    token = _scope.set("Net")
    try:
        h = x.exp()
        _scope.set("Net.act")
        h = h.relu()
        _scope.set("Net.fc")
        h = h * 2.0
        _scope.set("Net.act")
        h = h.relu()
    finally:
        _scope.reset(token)
    y = h.sum()
    layout = Layout([y])
    (net,) = layout.root.children
    assert [c.path for c in net.children] == ["Net.act", "Net.fc", "Net.act"]
    cl = clusters(mg.draw(y).source)
    assert sorted(lab for lab, _ in cl.values()) == ["Net", "act", "act", "fc"]
    # the scalar constant 2.0 belongs to the call that used it; the output sum is outside all modules
    fc = [c for c in net.children if c.name == "fc"][0]
    assert [layout.boxes[b].kind for b in fc.boxes] == ["op", "const"]
    assert [layout.boxes[b].node.op for b in layout.root.boxes if layout.boxes[b].kind == "op"] == ["sum"]


def test_collapse_draws_each_child_module_call_as_one_node():
    net = MLP()
    x = mg.tensor(np.ones((64, 12), np.float32), requires_grad=True)
    loss = net(x).sum()
    g = mg.draw(loss, model=net, collapse=True)
    nodes, edges = parse(g)
    mods = {nodes[k][0].split(" (")[0]: k for k in nodes if k.startswith("mod")}
    assert set(mods) == {"fc1: Linear", "act: ReLU", "fc2: Linear"}
    assert "(64, 12) \u2192 (64, 8)" in nodes[mods["fc1: Linear"]][0]
    assert "1 op \u00b7 104 params" in nodes[mods["fc1: Linear"]][0]           # 12*8 + 8
    assert "(64, 8) \u2192 (64, 3)" in nodes[mods["fc2: Linear"]][0]
    assert not [k for k, (t, _) in nodes.items() if ".weight" in t or ".bias" in t]  # folded
    total = by_label(nodes, "sum")[0]
    assert len(nodes) == 5   # input, three module calls, the sum outside any module
    assert sorted(edges) == sorted([("leaf0", mods["fc1: Linear"]), (mods["fc1: Linear"], mods["act: ReLU"]),
                                    (mods["act: ReLU"], mods["fc2: Linear"]), (mods["fc2: Linear"], total)])
    # collapse=1 folds the whole model into one box
    nodes, edges = parse(mg.draw(loss, model=net, collapse=1))
    (mod,) = [k for k in nodes if k.startswith("mod")]
    assert nodes[mod][0].startswith("MLP (64, 12) \u2192 (64, 3) 3 ops") and len(edges) == 2


class Masked(nn.Module):
    """Makes a non-scalar constant inside its forward, like dropout's mask."""

    def forward(self, x):
        return x * mg.tensor(np.ones(x.shape, np.float32))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), Masked())
        self.head = nn.Linear(5, 2)

    def forward(self, x):
        return self.head(self.features(x))


def test_collapse_looks_through_containers_and_keeps_inner_constants_inside():
    net = Net()
    x = mg.tensor(np.ones((3, 6), np.float32))          # data: a constant the model starts from
    y = net(x).sum()
    g = mg.draw(y, model=net, collapse=True)
    nodes, edges = parse(g)
    heads = sorted(t.split(" (")[0] for k, (t, _) in nodes.items() if k.startswith("mod"))
    assert heads == ["0: Linear", "1: ReLU", "2: Masked", "head: Linear"]   # Sequential ran no op itself
    assert "features (Sequential)" in [lab for lab, _ in clusters(g.source).values()]
    (masked,) = [t for t in (v[0] for v in nodes.values()) if t.startswith("2: Masked")]
    assert "(3, 5) → (3, 5)" in masked                 # the mask is folded, not an input
    consts = [t for t, _ in nodes.values() if t.startswith("constant")]
    assert consts == ["constant (3, 6) float32"]           # only the data input stays outside
    # expanded, the mask sits inside its module's cluster and the input outside every cluster
    g = mg.draw(y, model=net)
    cl = clusters(g.source)
    masked = [k for k, (lab, _) in cl.items() if lab == "2 (Masked)"][0]
    nodes, _ = parse(g)
    assert sorted(nodes[k][0] for k in members(g.source, masked)) == ["constant (3, 5) float32",
                                                                      "mul (3, 5) float32"]
    assert not any(k in members(g.source, c) for c in cl for k in nodes if nodes[k][0].startswith("constant (3, 6)"))
    # collapse=2 folds at depth two exactly: the Sequential becomes one box
    nodes, _ = parse(mg.draw(y, model=net, collapse=2))
    assert sorted(t.split(" (")[0] for k, (t, _) in nodes.items() if k.startswith("mod")) == [
        "features: Sequential", "head: Linear"]


def test_collapse_of_sequential_and_bare_module():
    seq = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2))
    x = mg.tensor(np.ones((3, 4), np.float32))
    nodes, _ = parse(mg.draw(seq(x).sum(), model=seq, collapse=True))
    heads = sorted(t.split(" (")[0] for k, (t, _) in nodes.items() if k.startswith("mod"))
    assert heads == ["0: Linear", "1: ReLU", "2: Linear"]
    lin = nn.Linear(4, 2)
    nodes, _ = parse(mg.draw(lin(x), collapse=True))   # an outermost call without children folds itself
    assert [t.split(" (")[0] for k, (t, _) in nodes.items() if k.startswith("mod")] == ["Linear"]


class Shift(nn.Module):
    """A module with buffers, stored as arrays the way models keep normalisation statistics."""

    def __init__(self):
        super().__init__()
        self.register_buffer("mean", np.full(4, 2.0, np.float32))
        self.register_buffer("scale", np.array(4.0, np.float32))

    def forward(self, x):
        return (x - self.mean) / self.scale


def test_buffers_are_named_and_kept_in_their_module_when_the_model_is_given():
    net = nn.Sequential(Shift(), nn.Linear(4, 2))
    x = mg.tensor(np.ones((3, 4), np.float32), requires_grad=True)
    y = net(x).sum()
    g = mg.draw(y, model=net)
    nodes, _ = parse(g)
    shift = [k for k, (lab, _) in clusters(g.source).items() if lab == "0 (Shift)"][0]
    inside = sorted(nodes[k][0] for k in members(g.source, shift))
    assert inside == ["0.mean (4,) float32", "0.scale scalar float32 = 4", "div (3, 4) float32",
                      "sub (3, 4) float32"]
    assert all(STYLE["buffer"][0] in nodes[k][1] for k in members(g.source, shift) if k.startswith("leaf"))
    nodes, _ = parse(mg.draw(y, model=net, collapse=True))   # folded into the module, not an input
    (mod,) = [t for k, (t, _) in nodes.items() if t.startswith("0: Shift")]
    assert "(3, 4) → (3, 4)" in mod and "(4,)" not in mod
    # without the model the buffer is an anonymous constant
    nodes, _ = parse(mg.draw(y))
    assert "constant (4,) float32" in [t for t, _ in nodes.values()]


# -- overrides, grads, values ----------------------------------------------------------------------

def test_overridden_rule_is_marked_only_inside_the_override_scope():
    x = mg.tensor([-1.0, 2.0], requires_grad=True)
    y = (x.relu() * 3.0).sum()
    with mg.rules.override(relu=mg.rules.guided_relu):
        nodes, _ = parse(mg.draw(y))
        (relu,) = by_label(nodes, "relu")
        assert nodes[relu][0].startswith("relu \u2192 guided_relu")
        assert STYLE["override"][0] in nodes[relu][1]
        assert "overridden rule" in mg.draw(y).source          # in the legend
    nodes, _ = parse(mg.draw(y))
    (relu,) = by_label(nodes, "relu")
    assert "guided_relu" not in nodes[relu][0] and STYLE["override"][0] not in nodes[relu][1]
    assert "overridden rule" not in mg.draw(y).source


def test_grads_are_norms_of_the_real_gradients_and_touch_nothing():
    y, (x, w, b) = expression()
    nodes, _ = parse(mg.draw(y, grads=True))
    assert w.grad is None and b.grad is None                    # computed aside, .grad untouched
    mask = (x.data * w.data + b.data) > 0
    gw, gb = (x.data * mask).sum(0), mask.sum(0).astype(float)
    texts = {nodes[k][0].split()[0]: nodes[k][0] for k in nodes}
    leaf_texts = [t for k, (t, _) in nodes.items() if k.startswith("leaf") and t.startswith("input")]
    assert sorted(re.search(r"\|grad\| (\S+)", t).group(1) for t in leaf_texts) == sorted(
        f"{np.linalg.norm(v):.3g}" for v in (gw, gb))
    assert f"|grad| {np.sqrt(mask.size):.3g}" in texts["relu"]    # d sum / d relu = ones
    assert "|grad|" not in texts["constant"]
    y.backward()                                                 # the graph was not freed by drawing
    np.testing.assert_allclose(w.grad.data, gw)


def test_grads_follow_the_override_in_scope():
    x = mg.tensor([-1.0, 2.0, 3.0], requires_grad=True)
    y = (x.relu() * mg.tensor([1.0, -1.0, 1.0])).sum()
    plain = parse(mg.draw(y, grads=True))[0]["leaf0"][0]
    with mg.rules.override("guided"):
        guided = parse(mg.draw(y, grads=True))[0]["leaf0"][0]
    assert "|grad| 1.41" in plain and "|grad| 1" in guided and "|grad| 1.41" not in guided


def test_stored_grads_show_what_backward_left():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3.0
    h2 = h.exp().retain_grad()
    y = h2.sum()
    y.backward(retain_graph=True)
    nodes, _ = parse(mg.draw(y, grads="stored"))
    assert f"|grad| {np.linalg.norm([3 * np.exp(3), 3 * np.exp(6)]):.3g}" in nodes["leaf0"][0]
    assert "|grad| 1.41" in nodes[by_label(nodes, "exp")[0]][0]   # retained: ones of shape (2,)
    assert "grad: none" in nodes[by_label(nodes, "mul")[0]][0]    # not retained


def test_values_show_min_mean_max():
    x = mg.tensor([1.0, 2.0, 6.0], requires_grad=True)
    nodes, _ = parse(mg.draw((x * 2.0).sum(), values=True))
    assert "min 2 mean 6 max 12" in nodes[by_label(nodes, "mul")[0]][0]
    assert "= 18" in nodes[by_label(nodes, "sum")[0]][0]


# -- limits and errors -------------------------------------------------------------------------------

def test_node_cap_refuses_big_graphs_with_advice():
    x = mg.tensor(np.ones(2), requires_grad=True)
    for _ in range(40):
        x = x * 1.5
    with pytest.raises(ValueError, match=r"81 nodes, more than max_nodes=30.*collapse=True.*max_nodes"):
        mg.draw(x, max_nodes=30)
    assert len(parse(mg.draw(x, max_nodes=None))[0]) == 81
    with pytest.raises(ValueError, match="max_nodes=300"):
        big = mg.tensor(np.ones(2), requires_grad=True)
        for _ in range(300):
            big = big + 1.0
        mg.draw(big)


def test_drawing_works_before_and_after_retained_backward_but_not_after_freeing():
    y, _ = expression()
    before = mg.draw(y).source
    y.backward(retain_graph=True)
    assert mg.draw(y).source == before
    y.backward()
    with pytest.raises(RuntimeError, match=r"freed.*retain_graph=True"):
        mg.draw(y)


def test_bad_arguments_are_named():
    y, _ = expression()
    with pytest.raises(TypeError, match="ndarray"):
        mg.draw(np.ones(2))
    with pytest.raises(TypeError, match="at least one"):
        mg.draw()
    with pytest.raises(ValueError, match="rankdir"):
        mg.draw(y, rankdir="sideways")
    with pytest.raises(ValueError, match="collapse"):
        mg.draw(y, collapse=0)
    with pytest.raises(ValueError, match="grads"):
        mg.draw(y, grads="all")
    with pytest.raises(ValueError, match=r"\.svg, \.png"):
        save(mg.draw(y), "graph.bmp")


def test_rankdir_is_passed_to_graphviz():
    y, _ = expression()
    assert "rankdir=LR" in mg.draw(y, rankdir="LR").source


# -- rendering -----------------------------------------------------------------------------------------

@needs_dot
def test_renders_png_and_svg_with_dot(tmp_path):
    net = MLP()
    loss = net(mg.tensor(np.ones((2, 12), np.float32))).sum()
    g = mg.draw(loss, model=net, grads=True, values=True)
    png = save(g, tmp_path / "g.png")
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    from PIL import Image
    w, h = Image.open(png).size
    assert w > 200 and h > 200
    svg = open(save(g, tmp_path / "g.svg"), encoding="utf-8").read()
    assert "<svg" in svg and "fc1.weight" in svg and "fc1 (Linear)" in svg
    out = g.render(tmp_path / "r", format="svg")                 # graphviz's own render also works
    assert open(out, encoding="utf-8").read().count("<g id=\"node") == len(parse(g)[0])


def test_without_dot_rendering_says_how_to_install_but_source_works(tmp_path, monkeypatch):
    y, _ = expression()
    g = mg.draw(y)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert shutil.which("dot") is None
    with pytest.raises(DotNotFoundError, match="apt-get install graphviz"):
        save(g, tmp_path / "g.png")
    with pytest.raises(DotNotFoundError, match="apt-get install graphviz"):
        g.render(tmp_path / "g", format="svg")
    with pytest.raises(DotNotFoundError, match="graph.source"):
        g.pipe(format="svg")
    assert "digraph" in g.source
    assert open(save(g, tmp_path / "g.dot")).read() == g.source


def test_import_minigrad_does_not_import_graphviz():
    code = "import sys, minigrad; assert 'graphviz' not in sys.modules; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


# -- command line ---------------------------------------------------------------------------------------

MODEL_FILE = textwrap.dedent("""
    import numpy as np
    import minigrad as mg
    from minigrad import nn

    def build():
        return nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 2))

    def sized(hidden, d_out=2):
        return nn.Sequential(nn.Linear(6, hidden), nn.Tanh(), nn.Linear(hidden, d_out))

    def with_loss():
        model = build()
        target = mg.tensor(np.zeros((3, 2), np.float32))
        return model, lambda out: ((out - target) ** 2).mean()
""")


@pytest.fixture
def model_dir(tmp_path, monkeypatch):
    pkg = tmp_path / "tinymodels"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "mlp.py").write_text(MODEL_FILE)
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("tinymodels")]:
        del sys.modules[name]


@needs_dot
def test_cli_end_to_end_writes_svg(model_dir):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-m", "minigrad.draw", "tinymodels.mlp:build", "--input-shape", "3,6",
                        "-o", "graph.svg", "--collapse", "--rankdir", "LR"],
                       cwd=model_dir, capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stderr == "" and "wrote graph.svg" in r.stdout
    svg = (model_dir / "graph.svg").read_text()
    assert "0: Linear" in svg and "2: Linear" in svg and "loss: sum" in svg


def test_cli_writes_dot_with_a_loss_function(model_dir, capsys):
    from minigrad.draw.__main__ import main
    main(["tinymodels.mlp:with_loss", "--input-shape", "3,6", "-o", "g.dot", "--grads", "--collapse", "1"])
    source = (model_dir / "g.dot").read_text()
    nodes, edges = parse(type("G", (), {"source": source}))
    assert by_label(nodes, "mean") and "Sequential" in source and len(edges) >= 3
    assert any(t.startswith("input (3, 6) float32") for t, _ in nodes.values())
    assert "|grad|" in source
    main(["tinymodels.mlp:build", "--input-shape", "3,6", "-o", "full.dot"])
    nodes, _ = parse(type("G", (), {"source": (model_dir / "full.dot").read_text()}))
    assert len(by_label(nodes, "linear")) == 2 and by_label(nodes, "loss:")
    main(["tinymodels.mlp:sized(5, d_out=7)", "--input-shape", "3,6", "-o", "sized.dot", "--collapse"])
    nodes, _ = parse(type("G", (), {"source": (model_dir / "sized.dot").read_text()}))
    heads = sorted(t for k, (t, _) in nodes.items() if k.startswith("mod"))
    assert heads[0].startswith("0: Linear (3, 6) → (3, 5)") and heads[2].startswith("2: Linear (3, 5) → (3, 7)")


def test_cli_errors_name_the_problem(model_dir):
    from minigrad.draw.__main__ import main
    with pytest.raises(SystemExit, match="MODULE:CALLABLE"):
        main(["tinymodels.mlp", "--input-shape", "3,6"])
    with pytest.raises(SystemExit, match="no attribute 'nothing'"):
        main(["tinymodels.mlp:nothing", "--input-shape", "3,6"])
    with pytest.raises(SystemExit, match="max_nodes=2"):
        main(["tinymodels.mlp:build", "--input-shape", "3,6", "-o", "x.dot", "--max-nodes", "2"])
    with pytest.raises(SystemExit):
        main(["tinymodels.mlp:build", "--input-shape", "3,a"])
    with pytest.raises(SystemExit, match="Python literals"):
        main(["tinymodels.mlp:sized(open('x'))", "--input-shape", "3,6"])
